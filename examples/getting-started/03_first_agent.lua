-- A first agent: one question, one answer, with usage and cost.
-- OPENAI_API_KEY=... llmspell run examples/getting-started/03_first_agent.lua
-- (or -- --model anthropic/claude-haiku-4-5 with ANTHROPIC_API_KEY, or ollama/llama3.2)
local agent = Agent.builder()
  :name("helper")
  :model(ARGS.model or "openai/gpt-4o-mini")
  :system_prompt("You answer in one short sentence.")
  :build()

local r = agent:execute("What is Lua?")
print(r.text)
print(string.format("%d tokens in, %d out, $%.6f", r.usage.input_tokens, r.usage.output_tokens,
  r.usage.cost_usd or 0))
