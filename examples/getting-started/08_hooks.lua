-- Hooks: Lua functions around every agent and tool call. Here a guard that lets an agent read
-- files but not change them (the model is told the call was refused, as for any tool error),
-- a house style added to every prompt, and a log of what each agent call used.
-- OPENAI_API_KEY=... llmspell run examples/getting-started/08_hooks.lua
local model = ARGS.model or "openai/gpt-4o-mini"

Hook.register("BeforeToolExecution", function(ctx)
  if ctx.name == "file_operations" and ctx.input.operation ~= "read"
    and ctx.input.operation ~= "list" and ctx.input.operation ~= "exists" then
    return { action = "cancel", reason = "this agent may only read files" }
  end
end, { priority = "highest", name = "read-only" })

Hook.register("BeforeAgentExecution", function(ctx)
  if type(ctx.input) == "string" then
    return { action = "modify", input = ctx.input .. "\nAnswer in one sentence." }
  end
end, { name = "house-style" })

Hook.register("AfterAgentExecution", function(ctx)
  local u = ctx.output.usage
  print(string.format("[%s: %d tokens in, %d out]", ctx.name, u.input_tokens, u.output_tokens))
end, { priority = "lowest", name = "usage-log" })

local clerk = Agent.builder():name("clerk"):model(model)
  :tools({ "calculator", "file_operations" }):build()
local r = clerk:execute("Work out 6 * 7 and save it to answer.txt.")
print(r.text)
for _, call in ipairs(r.tool_calls) do
  print(call.name, call.error or "ok")
end
for _, h in ipairs(Hook.list()) do print(h.point, h.name, h.priority) end
