/**
 * The Lua side of the `Agent` global (src/api/agent.ts). The tool loop runs here, in Lua,
 * so that a Lua tool is an ordinary Lua call (the debugger stops in it, errors carry its
 * lines) and built-in tools are host calls; each model turn is one host call (`llm.chat`)
 * or, streamed, `llm.stream_start` and then `llm.stream_next` until the answer is complete.
 *
 * @module
 */
import { HOOKED_CALL_LUA } from "./hooked_call_lua.ts";

export const AGENT_LUA = String.raw`
local call, Agent, env, shared = ...
local type, error, pairs, ipairs, tostring, select = type, error, pairs, ipairs, tostring, select
local setmetatable, getmetatable, pcall, rawget = setmetatable, getmetatable, pcall, rawget
local sort, concat, gsub = table.sort, table.concat, string.gsub

local ERROR = { __name = "llmspell.error" }
ERROR.__index = ERROR
function ERROR.__tostring(e) return e.code .. ": " .. e.message end

local function raise(code, message, level)
  error(setmetatable({ code = code, message = message }, ERROR), level and level + 1 or 2)
end

local DEFAULT_MEMORY = 10
local DEFAULT_MAX_TOOL_CALLS = 10

local registry = {}
local count = 0

-- An answer: in a notebook (a cell's value, display(r)) its text shows as Markdown.
local RESULT = { __name = "Agent.result" }
function RESULT.__display(r) return { ["text/markdown"] = r.text } end

local AGENT = { __name = "Agent" }
AGENT.__index = AGENT
function AGENT.__tostring(a) return "Agent(" .. a.name .. ")" end

local FIELDS = {
  name = "string", description = "string", model = "string", provider = "string",
  system_prompt = "string", temperature = "number", max_tokens = "number",
  tools = "table", response_format = "table", memory = "number", max_tool_calls = "number",
}

local function tool_global()
  local T = env.Tool
  if type(T) ~= "table" then error("Agent: the Tool global is not available", 3) end
  return T
end

local function check_config(c, level)
  for k, v in pairs(c) do
    local want = FIELDS[k]
    if want == nil then error("Agent: unknown setting '" .. tostring(k) .. "'", level + 1) end
    if type(v) ~= want then
      error("Agent: '" .. k .. "' must be a " .. want .. ", got " .. type(v), level + 1)
    end
  end
  if c.tools then
    local T = tool_global()
    for i, name in ipairs(c.tools) do
      if type(name) ~= "string" then error("Agent: tools[" .. i .. "] must be a tool's name", level + 1) end
      if not T.exists(name) then error("Agent: no tool named '" .. name .. "' (Tool.list() shows them)", level + 1) end
    end
  end
end

local function make(c, level)
  check_config(c, level + 1)
  if c.name == nil then
    count = count + 1
    c.name = "agent_" .. count
  end
  local a = setmetatable({ name = c.name, config = c, _history = {} }, AGENT)
  registry[c.name] = a
  return a
end

local BUILDER = { __name = "Agent.builder" }
BUILDER.__index = BUILDER
for field, want in pairs(FIELDS) do
  BUILDER[field] = function(b, v)
    if getmetatable(b) ~= BUILDER then
      error("Agent.builder: call its methods with a colon (b:" .. field .. "(...))", 2)
    end
    if type(v) ~= want then
      error("bad argument #1 to '" .. field .. "' (" .. want .. " expected, got " .. type(v) .. ")", 2)
    end
    b._config[field] = v
    return b
  end
end
function BUILDER:build() return make(self._config, 2) end

function Agent.builder() return setmetatable({ _config = {} }, BUILDER) end

function Agent.register(t)
  if type(t) ~= "table" then error("bad argument #1 to 'register' (table expected, got " .. type(t) .. ")", 2) end
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return make(c, 2)
end

function Agent.get(name) return registry[name] end

function Agent.list()
  local names = {}
  for name in pairs(registry) do names[#names + 1] = name end
  sort(names)
  return names
end

Agent.Error = ERROR

-- The user message of an input: a string, or {text=, parameters=, images=}.
local function user_message(input)
  if type(input) == "string" then return { role = "user", content = input } end
  if type(input) ~= "table" then
    error("bad argument #1 to 'execute' (string or table expected, got " .. type(input) .. ")", 6)
  end
  local text = input.text or input[1]
  if type(text) ~= "string" then error("Agent: the input's text must be a string", 6) end
  if type(input.parameters) == "table" then
    text = gsub(text, "{{%s*([%w_]+)%s*}}", function(k)
      local v = input.parameters[k]
      if v == nil then return nil end
      return tostring(v)
    end)
  end
  local m = { role = "user", content = text }
  if input.images ~= nil then
    if type(input.images) ~= "table" then error("Agent: images must be a list of URLs", 6) end
    m.images = input.images
  end
  return m
end

-- A host call's answer: (true, true, value), (true, false, code, message), or (false, error).
local function check_answer(reached, ok, value, message)
  if not reached then error(ok, 6) end
  if ok then return value end
  raise(value, message, 6)
end

local function turn(req, fn)
  if not fn then return check_answer(call("llm.chat", req)) end
  local sid = check_answer(call("llm.stream_start", req))
  while true do
    local ok, kind, payload, message = call("llm.stream_next", sid)
    if not ok then error(kind, 5) end
    if kind == "text" then
      local fine, err = pcall(fn, payload)
      if not fine then
        call("llm.stream_close", sid)
        error(err, 0)
      end
    elseif kind == "done" then
      return payload
    else
      raise(payload, message, 5)
    end
  end
end

-- A tool's failure is the model's to handle, and so is a hook's cancelling it; a hook that
-- failed ends the agent's call.
local function run_tool(T, tc)
  local ok, result = pcall(T.invoke, tc.name, tc.arguments)
  if ok then return result, nil end
  local mt = getmetatable(result)
  if mt == shared.hook_error and result.code == "hook_failed" then error(result, 0) end
  if mt == ERROR or mt == shared.hook_error then result = result.message end
  return nil, tostring(result)
end

local function run(self, input, fn)
  local c = self.config
  local started
  local user = user_message(input)
  local messages = {}
  for _, m in ipairs(self._history) do messages[#messages + 1] = m end
  messages[#messages + 1] = user
  local T, specs
  if c.tools and #c.tools > 0 then
    T = tool_global()
    specs = {}
    for i, name in ipairs(c.tools) do
      local info = T.get(name)
      specs[i] = { name = name, description = info.description, parameters = info.parameters }
    end
  end
  local req = {
    model = c.model, provider = c.provider, system = c.system_prompt,
    temperature = c.temperature, max_tokens = c.max_tokens,
    response_format = c.response_format, tools = specs, messages = messages,
  }
  local max_calls = c.max_tool_calls or DEFAULT_MAX_TOOL_CALLS
  local calls = {}
  local usage = { input_tokens = 0, output_tokens = 0, cost_usd = 0 }
  local answer
  while true do
    answer = turn(req, fn)
    -- The host's clock: from the first request's start to the last answer's end.
    started = started or answer.started_ms
    usage.input_tokens = usage.input_tokens + answer.usage.input_tokens
    usage.output_tokens = usage.output_tokens + answer.usage.output_tokens
    if answer.cost_usd == nil or usage.cost_usd == nil then usage.cost_usd = nil
    else usage.cost_usd = usage.cost_usd + answer.cost_usd end
    local tcs = answer.tool_calls
    messages[#messages + 1] = { role = "assistant", content = answer.text, tool_calls = #tcs > 0 and tcs or nil }
    if #tcs == 0 then break end
    for _, tc in ipairs(tcs) do
      local record = { id = tc.id, name = tc.name, arguments = tc.arguments }
      local allowed = false
      for _, name in ipairs(c.tools or {}) do if name == tc.name then allowed = true end end
      local result, err
      if not allowed then err = "no tool named '" .. tostring(tc.name) .. "' is available to this agent"
      else result, err = run_tool(T, tc) end
      record.result, record.error = result, err
      calls[#calls + 1] = record
      messages[#messages + 1] = {
        role = "tool", tool_call_id = tc.id, name = tc.name,
        content = err and ("error: " .. err) or result,
      }
    end
    -- Enough tool calls: the model must answer with what it has.
    if #calls >= max_calls then req.tools = nil end
  end
  -- Memory: the last n turns (a user input, the tool calls, the answer).
  local keep = c.memory or DEFAULT_MEMORY
  if keep > 0 then
    local h = self._history
    for i = #h + 1, #messages do h[#h + 1] = messages[i] end
    local turns = {}
    for i, m in ipairs(h) do if m.role == "user" then turns[#turns + 1] = i end end
    if #turns > keep then
      local cut = turns[#turns - keep + 1]
      local kept = {}
      for i = cut, #h do kept[#kept + 1] = h[i] end
      self._history = kept
    end
  end
  return setmetatable({
    text = answer.text, data = answer.data, tool_calls = calls, usage = usage,
    model = answer.model, provider = answer.provider,
    duration_ms = answer.ended_ms - started,
  }, RESULT)
end

${HOOKED_CALL_LUA}
local HOOKS = {
  kind = "agent", before = "BeforeAgentExecution", after = "AfterAgentExecution", error = "AgentError",
}

-- What a hook gave as an agent's result: a text becomes an answer with it.
local function answer_of(_, v)
  if type(v) ~= "string" then return v end
  return setmetatable({
    text = v, tool_calls = {}, usage = { input_tokens = 0, output_tokens = 0, cost_usd = 0 },
    duration_ms = 0,
  }, RESULT)
end

local function own(self)
  if getmetatable(self) ~= AGENT then error("Agent: call its methods with a colon (agent:execute(...))", 3) end
end

-- Not tail calls, so that the debugger's stack shows execute or stream under a Lua tool.
function AGENT:execute(input)
  own(self)
  local r = hooked(HOOKS, self.name, run, self, input, nil, answer_of)
  return r
end

function AGENT:stream(input, fn)
  if type(fn) ~= "function" then
    error("bad argument #2 to 'stream' (function expected, got " .. type(fn) .. ")", 2)
  end
  own(self)
  local r = hooked(HOOKS, self.name, run, self, input, fn, answer_of)
  return r
end

function AGENT:history()
  local out = {}
  for i, m in ipairs(self._history) do out[i] = m end
  return out
end

function AGENT:reset() self._history = {} end
`;
