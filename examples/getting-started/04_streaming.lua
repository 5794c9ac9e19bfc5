-- Streaming: the answer is printed piece by piece as the model writes it.
-- OPENAI_API_KEY=... llmspell run examples/getting-started/04_streaming.lua
local agent = Agent.builder():model(ARGS.model or "openai/gpt-4o-mini"):build()
-- Output is not buffered: each piece appears as soon as it is written.
local r = agent:stream("Write a haiku about the sea.", function(piece) io.write(piece) end)
print()
print("(" .. r.usage.output_tokens .. " tokens)")
