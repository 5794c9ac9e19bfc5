-- Errors: a failed call is a Lua error with a code (auth, rate_limited, timeout,
-- provider_unavailable, invalid_response, bad_request, config) and a message.
-- llmspell run examples/getting-started/06_errors.lua
local agent = Agent.builder():model(ARGS.model or "openai/gpt-4o-mini"):build()

local ok, err = pcall(agent.execute, agent, "Hello?")
if ok then
  print("answered: " .. err.text)
elseif err.code == "rate_limited" then
  print("slow down: " .. err.message)
elseif err.code == "auth" then
  print("check the API key: " .. err.message)
else
  print("failed (" .. tostring(err.code) .. "): " .. tostring(err.message or err))
end

-- A provider llmspell does not know is a configuration error.
local _, e = pcall(function()
  return Agent.builder():provider("nowhere"):model("m"):build():execute("x")
end)
print(e.code)
