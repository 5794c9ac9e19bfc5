/**
 * The Lua side of the `Workflow` global (src/api/workflow.ts): workflows of steps (an agent,
 * a tool, a Lua function, another workflow) run in sequence, in parallel, on a condition or
 * in a loop. Everything runs here, in Lua; the only host calls of its own are the spans
 * (`trace.begin`/`trace.end`, skipped when tracing is off) and the scheduler's (`host.branch`,
 * `host.wait`, `host.drop`: src/engine/worker/api_globals.ts `hostCall`).
 *
 * A parallel workflow runs each branch as a coroutine marked as scheduled: a host call made
 * in it (an agent's model call, a tool, State) is submitted to the main thread and the
 * branch yields to the scheduler (workflow_schedule_lua.ts); when every running branch, at
 * any level of nesting, waits, one blocking `host.wait` takes the first answer of any of them
 * and resumes that branch. So N model calls are in flight at once. A call made where the branch cannot yield (inside a metamethod or callback called
 * from C: string.gsub's, table.sort's) blocks, as outside a workflow.
 *
 * @module
 */
import { HOOKED_CALL_LUA } from "./hooked_call_lua.ts";
import { SCHEDULE_LUA } from "./workflow_schedule_lua.ts";

export const WORKFLOW_LUA = String.raw`
local call, Workflow, env, shared = ...
local type, error, pairs, ipairs, tostring = type, error, pairs, ipairs, tostring
local setmetatable, getmetatable, pcall, rawset = setmetatable, getmetatable, pcall, rawset
local create, resume, status, close = coroutine.create, coroutine.resume, coroutine.status, coroutine.close
local pack, unpack, sort, concat = table.pack, table.unpack, table.sort, table.concat
local find, floor = string.find, math.floor

-- Spans are made (Deno's OpenTelemetry is on): otherwise no span call is made at all.
local _, TRACING = call("trace.on")

local WF = { __name = "Workflow" }
WF.__index = WF
function WF.__tostring(w) return "Workflow(" .. w.kind .. " " .. w.name .. ")" end

local RESULT = { __name = "Workflow.result" }
RESULT.__index = RESULT
function RESULT.__tostring(r)
  return "Workflow.result(" .. r.name .. ": " .. (r.success and "success" or (#r.errors .. " error(s)")) .. ")"
end

local registry = {}
local count = 0

-- Settings of each kind, and their types ("a|b": either).
local COMMON = { name = "string", description = "string", on_error = "string", steps = "table" }
local FIELDS = {
  sequential = {},
  parallel = { max_concurrency = "number" },
  conditional = {
    condition = "function|table", then_steps = "table", else_steps = "table", branches = "table",
  },
  loop = { max_iterations = "number", stop_when = "function", ["until"] = "function", over = "table" },
}
for _, fields in pairs(FIELDS) do for k, v in pairs(COMMON) do fields[k] = v end end

local STEP_FIELDS = {
  name = "string", description = "string", on_error = "string",
  agent = "table|string", tool = "string", fn = "function", workflow = "table",
  input = "string|table|function",
}
local STEP_KINDS = { "agent", "tool", "fn", "workflow" }
local ON_ERROR = { fail = true, continue = true }
local CONDITIONS = { always = true, never = true, contains = true, equals = true, state_equals = true }

local function typed(v, want)
  local t = type(v)
  for w in want:gmatch("[^|]+") do if t == w then return true end end
  return false
end

local function check_fields(t, fields, what, level)
  for k, v in pairs(t) do
    local want = fields[k]
    if want == nil then error(what .. ": unknown field '" .. tostring(k) .. "'", level + 1) end
    if not typed(v, want) then
      error(what .. ": '" .. k .. "' must be a " .. want:gsub("|", " or ") .. ", got " .. type(v), level + 1)
    end
  end
end

local function check_on_error(v, what, level)
  if v ~= nil and not ON_ERROR[v] then
    error(what .. ": on_error must be \"fail\" or \"continue\", got \"" .. tostring(v) .. "\"", level + 1)
  end
end

local function check_condition(c, what, level)
  if type(c) == "function" then return end
  if type(c) ~= "table" then error(what .. ": condition must be a function or a table", level + 1) end
  if not CONDITIONS[c.type] then
    error(what .. ": condition.type must be always, never, contains, equals or state_equals, got "
      .. tostring(c.type), level + 1)
  end
  if c.type == "contains" and type(c.text) ~= "string" then
    error(what .. ": a 'contains' condition needs text = \"...\"", level + 1)
  end
  if c.type == "state_equals" and type(c.key) ~= "string" then
    error(what .. ": a 'state_equals' condition needs key = \"...\"", level + 1)
  end
end

-- A list of steps, checked and copied: each gets its kind and a name.
local function check_steps(list, what, level, names)
  local n = 0
  for _ in pairs(list) do n = n + 1 end
  if n == 0 or n ~= #list then error(what .. " must be a non-empty list of steps", level + 1) end
  local out = {}
  for i, s in ipairs(list) do
    local w = what .. "[" .. i .. "]"
    if type(s) ~= "table" then error(w .. ": a step must be a table, got " .. type(s), level + 1) end
    check_fields(s, STEP_FIELDS, w, level + 1)
    check_on_error(s.on_error, w, level + 1)
    local kind
    for _, k in ipairs(STEP_KINDS) do
      if s[k] ~= nil then
        if kind then error(w .. ": a step has one of agent, tool, fn, workflow; it has " .. kind .. " and " .. k, level + 1) end
        kind = k
      end
    end
    if not kind then error(w .. ": a step needs one of agent, tool, fn or workflow", level + 1) end
    if kind == "agent" and type(s.agent) == "table" and (getmetatable(s.agent) or {}).__name ~= "Agent" then
      error(w .. ": agent must be an Agent or an agent's name", level + 1)
    end
    if kind == "workflow" and getmetatable(s.workflow) ~= WF then
      error(w .. ": workflow must be a Workflow", level + 1)
    end
    local step = {}
    for k, v in pairs(s) do step[k] = v end
    step.kind = kind
    -- A default name numbers the workflow's steps in order (then_steps and else_steps alike).
    names[0] = names[0] + 1
    step.name = s.name or (kind .. "_" .. names[0])
    if names[step.name] then error(w .. ": two steps are named '" .. step.name .. "'", level + 1) end
    names[step.name] = true
    out[i] = step
  end
  return out
end

local function make(kind, c, level)
  local what = "Workflow." .. kind
  if type(c) ~= "table" then error("bad argument #1 to '" .. kind .. "' (table expected, got " .. type(c) .. ")", level + 1) end
  check_fields(c, FIELDS[kind], what, level + 1)
  check_on_error(c.on_error, what, level + 1)
  if c.name == nil then
    count = count + 1
  end
  local w = setmetatable({
    name = c.name or ("workflow_" .. count), kind = kind, description = c.description,
    on_error = c.on_error,
  }, WF)
  local names = { [0] = 0 }
  if kind == "conditional" then
    if c.steps ~= nil then error(what .. ": use then_steps/else_steps or branches, not steps", level + 1) end
    if (c.then_steps ~= nil or c.condition ~= nil) == (c.branches ~= nil) then
      error(what .. ": give condition and then_steps (and else_steps), or branches", level + 1)
    end
    local branches = {}
    if c.branches then
      for i, b in ipairs(c.branches) do
        local bw = what .. ": branches[" .. i .. "]"
        if type(b) ~= "table" then error(bw .. " must be a table", level + 1) end
        check_fields(b, { name = "string", condition = "function|table", steps = "table" }, bw, level + 1)
        if b.condition == nil or b.steps == nil then error(bw .. " needs condition and steps", level + 1) end
        check_condition(b.condition, bw, level + 1)
        branches[i] = { name = b.name or ("branch_" .. i), condition = b.condition,
          steps = check_steps(b.steps, bw .. ".steps", level + 1, names) }
      end
      if #branches == 0 then error(what .. ": branches must be a non-empty list", level + 1) end
    else
      if c.condition == nil then error(what .. ": condition is missing", level + 1) end
      if c.then_steps == nil then error(what .. ": then_steps is missing", level + 1) end
      check_condition(c.condition, what, level + 1)
      branches[1] = { name = "then", condition = c.condition,
        steps = check_steps(c.then_steps, what .. ": then_steps", level + 1, names) }
    end
    w.branches = branches
    if c.else_steps then w.else_steps = check_steps(c.else_steps, what .. ": else_steps", level + 1, names) end
    local n = 0
    for _, b in ipairs(branches) do n = n + #b.steps end
    w.step_count = n + (w.else_steps and #w.else_steps or 0)
  else
    if c.steps == nil then error(what .. ": steps is missing", level + 1) end
    w.steps = check_steps(c.steps, what .. ": steps", level + 1, names)
    w.step_count = #w.steps
  end
  if kind == "parallel" then
    local m = c.max_concurrency
    if m ~= nil and (m < 1 or floor(m) ~= m) then
      error(what .. ": max_concurrency must be a whole number of at least 1", level + 1)
    end
    w.max_concurrency = m
  elseif kind == "loop" then
    if c.stop_when ~= nil and c["until"] ~= nil then error(what .. ": give stop_when or until, not both", level + 1) end
    w.stop_when = c.stop_when or c["until"]
    w.over = c.over
    local m = c.max_iterations
    if m ~= nil and (m < 1 or floor(m) ~= m) then
      error(what .. ": max_iterations must be a whole number of at least 1", level + 1)
    end
    if m == nil and c.over == nil then
      error(what .. ": a loop needs max_iterations or a list to go over (over = {...})", level + 1)
    end
    w.max_iterations = m
  end
  registry[w.name] = w
  return w
end

for kind in pairs(FIELDS) do
  -- Not a tail call: the error levels count this function.
  Workflow[kind] = function(c)
    local w = make(kind, c, 2)
    return w
  end
end

function Workflow.get(name) return registry[name] end

function Workflow.list()
  local names = {}
  for name in pairs(registry) do names[#names + 1] = name end
  sort(names)
  return names
end

-- The builder: Workflow.builder():name("x"):sequential():add_step{...}:build().
local BUILDER = { __name = "Workflow.builder" }
BUILDER.__index = BUILDER
local function builder_method(name, fn)
  BUILDER[name] = function(b, ...)
    if getmetatable(b) ~= BUILDER then
      error("Workflow.builder: call its methods with a colon (b:" .. name .. "(...))", 2)
    end
    fn(b, ...)
    return b
  end
end
for kind in pairs(FIELDS) do builder_method(kind, function(b) b._kind = kind end) end
for _, field in ipairs({ "name", "description", "on_error", "max_concurrency", "condition",
  "max_iterations", "stop_when", "over" }) do
  builder_method(field, function(b, v) b._config[field] = v end)
end
local function adder(field)
  return function(b, step)
    if type(step) ~= "table" then error("bad argument #1 to 'add_step' (table expected, got " .. type(step) .. ")", 3) end
    local list = b._config[field] or {}
    list[#list + 1] = step
    b._config[field] = list
  end
end
builder_method("add_step", adder("steps"))
builder_method("add_then_step", adder("then_steps"))
builder_method("add_else_step", adder("else_steps"))
function BUILDER:build()
  if getmetatable(self) ~= BUILDER then error("Workflow.builder: call build with a colon (b:build())", 2) end
  if not self._kind then
    error("Workflow.builder: choose a kind first (:sequential(), :parallel(), :conditional() or :loop())", 2)
  end
  local w = make(self._kind, self._config, 2)
  return w
end
function Workflow.builder() return setmetatable({ _config = {} }, BUILDER) end

-- Running.

local function is_stop(e) return e == "interrupted" or e == "llmspell: stop" end

local function is_hook_failure(e)
  return getmetatable(e) == shared.hook_error and e.code == "hook_failed"
end

local function message(e)
  if type(e) == "string" then return e end
  local mt = getmetatable(e)
  if mt and mt.__tostring then return tostring(e) end
  if type(e) == "table" and type(e.message) == "string" then return e.message end
  return tostring(e)
end

local function error_type(e)
  if type(e) == "table" and type(e.code) == "string" then return e.code end
  return "lua.error"
end

-- ctx.state: the workflow's State scope, made at first use.
local CTX = {}
CTX.__index = function(c, k)
  if k == "state" then
    local s = env.State.scope("workflow:" .. c.workflow)
    rawset(c, "state", s)
    return s
  end
end

local function new_ctx(w, input)
  return setmetatable({ workflow = w.name, input = input, outputs = {}, last = input }, CTX)
end

local run

${HOOKED_CALL_LUA}
local HOOKS = {
  kind = "workflow", before = "BeforeWorkflowStart", after = "AfterWorkflowComplete", error = "WorkflowError",
}
-- A step has no error point: its error is its workflow's.
local STEP_HOOKS = { kind = "step", before = "BeforeWorkflowStage", after = "AfterWorkflowStage" }

-- A step's work: its output (and, for an agent or a workflow, the whole result).
local function run_kind(step, input, ctx)
  local kind = step.kind
  if kind == "fn" then return (step.fn(ctx, input)) end
  if kind == "agent" then
    local a = step.agent
    if type(a) == "string" then
      a = env.Agent.get(a)
      if not a then error("no agent named '" .. step.agent .. "' (Agent.list() shows them)", 0) end
    end
    if input == nil then error("no input for the agent (give the step input = ...)", 0) end
    if type(input) ~= "string" and type(input) ~= "table" then input = tostring(input) end
    local r = a:execute(input)
    return r.text
  end
  if kind == "tool" then
    if input == nil then input = {} elseif type(input) ~= "table" then input = { input = input } end
    return (env.Tool.invoke(step.tool, input))
  end
  local r = run(step.workflow, input)
  return r.output, r
end

local SPAN_GUARD = {
  -- A branch cancelled (coroutine.close) while its step runs: its span ends here.
  __close = function(g)
    if g.id then call("trace.end", g.id, nil, "cancelled", "cancelled") end
  end,
}

local function step_span(w, step, index, span, iteration)
  local _, id = call("trace.begin", "llmspell.workflow.step", {
    ["llmspell.workflow.name"] = w.name,
    ["llmspell.workflow.step.name"] = step.name,
    ["llmspell.workflow.step.kind"] = step.kind,
    ["llmspell.workflow.step.index"] = index,
    ["llmspell.workflow.iteration"] = iteration,
  }, span)
  return setmetatable({ id = id }, SPAN_GUARD)
end

-- Runs one step; true and its output, or false when it failed and the failure is collected.
local function run_step(w, step, index, ctx, input, span, result, iteration)
  local guard <close> = TRACING and step_span(w, step, index, span, iteration) or nil
  local ok, out, nested = pcall(function()
    local i = step.input
    if type(i) == "function" then i = i(ctx) elseif i == nil then i = input end
    -- The step's hooks: a cancel fails the step as its error would.
    local about = shared.hooks and { workflow = w.name, step_kind = step.kind, index = index }
    return hooked(STEP_HOOKS, step.name, run_kind, step, i, ctx, nil, about)
  end)
  if guard then
    local id = guard.id
    guard.id = nil
    call("trace.end", id, nil, (not ok) and message(out) or nil, (not ok) and error_type(out) or nil)
  end
  if nested then
    for _, e in ipairs(nested.errors) do
      result.errors[#result.errors + 1] = { step = step.name .. "/" .. e.step, error = e.error, index = index }
    end
  end
  if ok then
    ctx.outputs[step.name] = out
    return true, out
  end
  -- A hook that failed ends the run, whatever on_error says.
  if is_stop(out) or is_hook_failure(out) then error(out, 0) end
  local msg = message(out)
  result.errors[#result.errors + 1] = { step = step.name, error = msg, index = index }
  if (step.on_error or w.on_error or "fail") == "continue" then return false end
  error("workflow '" .. w.name .. "': step '" .. step.name .. "' failed: " .. msg, 0)
end

local function run_steps(w, steps, ctx, input, span, result, iteration)
  local last = input
  for i, step in ipairs(steps) do
    local ok, out = run_step(w, step, i, ctx, last, span, result, iteration)
    if ok then last = out end
    ctx.last = last
  end
  return last
end

-- The parallel runs' scheduler (workflow_schedule_lua.ts).
local schedule = (function(...)
${SCHEDULE_LUA}end)(call, is_stop)

local function test(cond, ctx, input)
  if type(cond) == "function" then return cond(ctx) end
  local t = cond.type
  if t == "always" then return true end
  if t == "never" then return false end
  if t == "state_equals" then return ctx.state:get(cond.key) == cond.value end
  local v = input
  if cond.step ~= nil then v = ctx.outputs[cond.step] end
  if t == "contains" then return type(v) == "string" and find(v, cond.text, 1, true) ~= nil end
  return v == cond.value
end

local RUN = {}

function RUN.sequential(w, ctx, input, span, result)
  return run_steps(w, w.steps, ctx, input, span, result)
end

function RUN.parallel(w, ctx, input, span, result)
  local fns = {}
  for i, step in ipairs(w.steps) do
    fns[i] = function() run_step(w, step, i, ctx, input, span, result) end
  end
  schedule(fns, w.max_concurrency or #fns)
  sort(result.errors, function(a, b) return a.index < b.index end)
  local out = {}
  for _, step in ipairs(w.steps) do out[step.name] = ctx.outputs[step.name] end
  return out
end

function RUN.conditional(w, ctx, input, span, result)
  for _, b in ipairs(w.branches) do
    if test(b.condition, ctx, input) then
      result.branch = b.name
      return run_steps(w, b.steps, ctx, input, span, result)
    end
  end
  if w.else_steps then
    result.branch = "else"
    return run_steps(w, w.else_steps, ctx, input, span, result)
  end
  return nil
end

function RUN.loop(w, ctx, input, span, result)
  local outs = {}
  local last = input
  local over = w.over
  local n = over and #over or w.max_iterations
  if over and w.max_iterations and w.max_iterations < n then n = w.max_iterations end
  for i = 1, n do
    ctx.iteration = i
    local step_input = last
    if over then
      ctx.item = over[i]
      step_input = over[i]
    end
    last = run_steps(w, w.steps, ctx, step_input, span, result, i)
    outs[i] = last
    if w.stop_when and w.stop_when(ctx) then break end
  end
  result.iterations = outs
  return last
end

-- Runs a workflow: its result. Raises when a step fails (unless on_error = "continue").
local function run_plain(w, input)
  local ctx = new_ctx(w, input)
  local result = setmetatable({ name = w.name, kind = w.kind, errors = {} }, RESULT)
  local span
  if TRACING then
    local _
    _, span = call("trace.begin", "llmspell.workflow", {
      ["llmspell.workflow.name"] = w.name,
      ["llmspell.workflow.kind"] = w.kind,
      ["llmspell.workflow.steps"] = w.step_count,
    })
  end
  local ok, out = pcall(RUN[w.kind], w, ctx, input, span, result)
  if TRACING then
    call("trace.end", span, nil, (not ok) and message(out) or nil, (not ok) and error_type(out) or nil)
  end
  if not ok then error(out, 0) end
  for _, e in ipairs(result.errors) do e.index = nil end
  result.output = out
  result.outputs = ctx.outputs
  result.success = #result.errors == 0
  return result
end

-- What a hook gave as a workflow's result: a value becomes the output of a successful one.
local function result_of(w, v)
  if getmetatable(v) == RESULT then return v end
  return setmetatable({
    name = w.name, kind = w.kind, errors = {}, output = v, outputs = {}, success = true,
  }, RESULT)
end

-- Runs a workflow with its hooks around it.
function run(w, input)
  local r = hooked(HOOKS, w.name, run_plain, w, input, nil, result_of)
  return r
end

function WF:execute(input)
  if getmetatable(self) ~= WF then error("Workflow: call its methods with a colon (wf:execute(...))", 2) end
  local ok, r = pcall(run, self, input)
  if ok then return r end
  if is_stop(r) then error(r, 0) end
  error(r, 2)
end
`;
