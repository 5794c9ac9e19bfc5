-- Hello: a script, its arguments, a value printed.
-- llmspell run examples/getting-started/01_hello.lua -- --name Ada
local name = ARGS.name or "world"
print("Hello, " .. name .. "!")
print(JSON.stringify({ greeted = name, at = Tool.date_time_handler({ operation = "now", utc = true }).iso ~= nil }))
