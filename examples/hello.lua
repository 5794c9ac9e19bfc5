-- llmspell run examples/hello.lua -- --name Ada
local name = ARGS.name or "world"
print("Hello, " .. name .. "!")

-- Tables print readably, and an expression's value is echoed by `llmspell exec`.
local languages = { "Lua", "TypeScript", lua = { version = _VERSION } }
print(#languages .. " languages")
return languages
