-- Workflows: three agents asked at once (their requests are in flight together), then a tool
-- and a Lua function in sequence on what they said.
-- OPENAI_API_KEY=... llmspell run examples/getting-started/07_workflow.lua
local model = ARGS.model or "openai/gpt-4o-mini"
local critic = Agent.builder():name("critic"):model(model):system_prompt("One sentence."):build()

local opinions = Workflow.parallel({
  name = "opinions",
  max_concurrency = 3,
  steps = {
    { name = "lua", agent = critic, input = "Lua in one sentence?" },
    { name = "python", agent = critic, input = "Python in one sentence?" },
    { name = "rust", agent = critic, input = "Rust in one sentence?" },
  },
})

local report = Workflow.sequential({
  name = "report",
  steps = {
    { name = "ask", workflow = opinions },
    { name = "shout", tool = "text_manipulator", input = function(ctx)
      return { operation = "uppercase", text = ctx.outputs.ask.lua }
    end },
    { name = "join", fn = function(ctx)
      local o = ctx.outputs.ask
      return table.concat({ o.lua, o.python, o.rust, ctx.outputs.shout.result }, "\n")
    end },
  },
})

local r = report:execute()
print(r.output)
print("success: " .. tostring(r.success))
