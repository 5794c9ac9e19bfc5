-- Tool calling: the model calls a Lua tool and a built-in one, as often as it needs, then answers.
-- OPENAI_API_KEY=... llmspell run examples/getting-started/05_tool_calling.lua
Tool.register("get_temperature", {
  description = "The current temperature of a city, in degrees Celsius",
  parameters = {
    type = "object",
    properties = { city = { type = "string" } },
    required = { "city" },
  },
  execute = function(params)
    local known = { Paris = 18, Oslo = 4, Cairo = 31 }
    return { city = params.city, celsius = known[params.city] or 20 }
  end,
})

local agent = Agent.builder()
  :model(ARGS.model or "openai/gpt-4o-mini")
  :system_prompt("Use the tools. Convert with the calculator: F = C * 9 / 5 + 32.")
  :tools({ "get_temperature", "calculator" })
  :max_tool_calls(6)
  :build()

local r = agent:execute("How warm is it in Oslo, in Fahrenheit?")
for _, call in ipairs(r.tool_calls) do
  print("called " .. call.name .. " " .. JSON.stringify(call.arguments))
end
print(r.text)
