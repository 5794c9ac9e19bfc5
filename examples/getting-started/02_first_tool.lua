-- A first tool: call a built-in one, then make a Lua function a tool with a JSON schema.
-- llmspell run examples/getting-started/02_first_tool.lua
print(Tool.calculator({ expression = "2 * (3 + 4) ^ 2" }).result)

Tool.register("word_count", {
  description = "Counts the words of a text",
  parameters = {
    type = "object",
    properties = { text = { type = "string", description = "The text" } },
    required = { "text" },
  },
  execute = function(params)
    local n = 0
    for _ in params.text:gmatch("%S+") do n = n + 1 end
    return { words = n }
  end,
})

print(Tool.word_count({ text = "the quick brown fox" }).words)
-- Parameters are checked against the schema before the function runs.
print(pcall(Tool.invoke, "word_count", { text = 42 }))
