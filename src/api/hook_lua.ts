/**
 * The Lua side of the `Hook` global (src/api/hook.ts): the hooks a script registered, by
 * point, and their dispatch, which the Lua sides of Agent, Tool and Workflow call around
 * each call (hooked_call_lua.ts).
 * Hooks are Lua functions run here, in the worker, with no host call: the dispatch is
 * `shared.hooks` (api.ts `ApiModule.lua`), nil while no hook is registered, so that an
 * agent or tool call without hooks pays one table read.
 *
 * A point is a before point (its hooks see the call's input and may change it, cancel the
 * call or give its result instead), an after point (they see its result and may change it
 * or refuse it) or an error point (they see the error the call raised and may give a
 * result instead). README.md, "Hook", says what each action does.
 *
 * @module
 */
import { HOOK_POINTS } from "../hook_points.ts";

export const HOOK_LUA = String.raw`
local call, Hook, _, shared = ...
local type, error, pairs, ipairs, tostring, pcall = type, error, pairs, ipairs, tostring, pcall
local setmetatable, getmetatable = setmetatable, getmetatable
local sort, getinfo, running = table.sort, debug.getinfo, coroutine.running

-- The points (src/hook_points.ts), in the order Hook.points() and Hook.list() give them,
-- and their phase.
local POINTS = { ${Object.keys(HOOK_POINTS).map((p) => `"${p}"`).join(", ")} }
local PHASE = { ${Object.entries(HOOK_POINTS).map(([p, v]) => `${p} = "${v}"`).join(", ")} }

-- Spans are made (Deno's OpenTelemetry is on): otherwise no span call is made at all.
local _, TRACING = call("trace.on")

-- Smaller runs first (rs-llmspell's order); a number is its own rank.
local PRIORITY = { highest = -200, high = -100, normal = 0, low = 100, lowest = 200 }

-- The actions each phase accepts, for the error that names them.
local ACTIONS = {
  before = { modify = true, cancel = true, replace = true },
  after = { modify = true, cancel = true },
  error = { replace = true },
}
local ACTION_LIST = {
  before = "continue, modify, cancel, replace",
  after = "continue, modify, cancel",
  error = "continue, replace",
}

-- A hook that cancelled a call, or failed (raised, or answered what its point does not take).
local ERROR = { __name = "Hook.Error" }
ERROR.__index = ERROR
function ERROR.__tostring(e) return e.code .. ": " .. e.message end

-- Hooks by point, each list in run order (absent when none). A change makes a new list,
-- so that a dispatch running over the old one (a hook that unregisters itself) is not
-- disturbed.
local lists = {}
local count = 0
local seq = 0

local HANDLE = { __name = "Hook.handle" }
HANDLE.__index = HANDLE
function HANDLE.__tostring(h) return "Hook(" .. h.point .. ", " .. h.name .. ")" end

local dispatch = {}

local function publish()
  shared.hooks = count > 0 and dispatch or nil
end

local function check_point(fn, point, level)
  if type(point) ~= "string" then
    error("bad argument #1 to '" .. fn .. "' (hook point expected, got " .. type(point) .. ")", level + 1)
  end
  if PHASE[point] then return end
  local message = "Hook." .. fn .. ": unknown hook point '" .. point .. "'"
  local ok, near = call("hook.suggest", point, POINTS)
  if ok and near then message = message .. " (did you mean '" .. near .. "'?)" end
  error(message .. "; Hook.points() lists them", level + 1)
end

local function rank_of(p, level)
  if p == nil then return "normal", PRIORITY.normal end
  -- Not NaN, which would make the order no order.
  if type(p) == "number" and p == p then return p, p end
  if PRIORITY[p] then return p, PRIORITY[p] end
  error("Hook.register: priority must be highest, high, normal, low, lowest or a number, got "
    .. (type(p) == "string" and ("'" .. p .. "'") or p ~= p and "NaN" or type(p)), level + 1)
end

-- Where a hook function was written: its default name.
local function where(fn)
  local info = getinfo(fn, "S")
  if info.what == "C" then return "[C]" end
  return info.short_src .. ":" .. info.linedefined
end

local function sorted(list)
  sort(list, function(a, b)
    if a.rank ~= b.rank then return a.rank < b.rank end
    return a.seq < b.seq
  end)
  return list
end

function Hook.register(point, fn, options)
  check_point("register", point, 2)
  if type(fn) ~= "function" then
    error("bad argument #2 to 'register' (function expected, got " .. type(fn) .. ")", 2)
  end
  local priority, name = options, nil
  if type(options) == "table" then
    priority, name = options.priority, options.name
    if name ~= nil and type(name) ~= "string" then
      error("Hook.register: name must be a string, got " .. type(name), 2)
    end
  end
  local given, rank = rank_of(priority, 2)
  seq = seq + 1
  local h = setmetatable({ point = point, name = name or where(fn), priority = given }, HANDLE)
  local list = {}
  for i, e in ipairs(lists[point] or {}) do list[i] = e end
  list[#list + 1] = { handle = h, name = h.name, fn = fn, rank = rank, seq = seq }
  lists[point] = sorted(list)
  count = count + 1
  publish()
  return h
end

local function unregister(h)
  local old = lists[h.point]
  if not old then return false end
  local list, found = {}, false
  for _, e in ipairs(old) do
    if e.handle == h then found = true else list[#list + 1] = e end
  end
  if not found then return false end
  lists[h.point] = #list > 0 and list or nil
  count = count - 1
  publish()
  return true
end

function Hook.unregister(h)
  if getmetatable(h) ~= HANDLE then
    error("bad argument #1 to 'unregister' (a handle of Hook.register expected, got " .. type(h) .. ")", 2)
  end
  return unregister(h)
end

function HANDLE:unregister()
  if getmetatable(self) ~= HANDLE then
    error("Hook: call a handle's methods with a colon (handle:unregister())", 2)
  end
  return unregister(self)
end

local function each_point(point, fn, f)
  if point ~= nil then
    check_point(fn, point, 3)
    f(point)
  else
    for _, p in ipairs(POINTS) do f(p) end
  end
end

function Hook.list(point)
  local out = {}
  each_point(point, "list", function(p)
    for _, e in ipairs(lists[p] or {}) do
      out[#out + 1] = { point = p, name = e.name, priority = e.handle.priority, handle = e.handle }
    end
  end)
  return out
end

function Hook.clear(point)
  local removed = 0
  each_point(point, "clear", function(p)
    removed = removed + #(lists[p] or {})
    lists[p] = nil
  end)
  count = count - removed
  publish()
  return removed
end

function Hook.points()
  local out = {}
  for i, p in ipairs(POINTS) do out[i] = p end
  return out
end

Hook.Error = ERROR

local function fail(e, ctx, what)
  error(setmetatable({
    code = "hook_failed", point = ctx.point, hook = e.name,
    message = ctx.point .. " hook '" .. e.name .. "' " .. what,
  }, ERROR), 0)
end

-- The coroutines running a hook: the calls a hook makes run no hooks (so that a hook may
-- call the tool it watches). By coroutine, so that a workflow's other branches still do.
local inside = setmetatable({}, { __mode = "k" })

-- What a hook answered: its action and the table, or nil and what is wrong with it.
local function judge(ctx, answer)
  if answer == nil or answer == "continue" then return "continue" end
  local phase = PHASE[ctx.point]
  if type(answer) ~= "table" then
    return nil, "returned " .. (type(answer) == "string" and ("'" .. answer .. "'") or ("a " .. type(answer)))
      .. ": a hook returns nothing, \"continue\" or {action = ...} (" .. ACTION_LIST[phase] .. ")"
  end
  local action = answer.action
  if action == nil or action == "continue" then return "continue" end
  if not ACTIONS[phase][action] then
    return nil, "returned the action '" .. tostring(action) .. "', which a" ..
      (phase == "after" and "n " or " ") .. phase .. " point does not take (" .. ACTION_LIST[phase] .. ")"
  end
  if action == "modify" then
    local field = phase == "before" and "input" or "output"
    if answer[field] == nil then return nil, "returned modify without " .. field end
  end
  return action, answer
end

local function reason_of(answer)
  local reason = answer.reason
  if reason == nil then return "no reason given" end
  return tostring(reason)
end

-- Runs the index-th hook of its point, in a span llmspell.hook when tracing is on: nil to
-- go on, or its action and the table it answered.
local function ask(e, ctx, index)
  local span
  if TRACING then
    local _
    _, span = call("trace.begin", "llmspell.hook", {
      ["llmspell.hook.point"] = ctx.point, ["llmspell.hook.name"] = e.name,
      ["llmspell.hook.index"] = index, ["llmspell.hook.target"] = ctx.kind .. " " .. ctx.name,
    })
  end
  local co = running()
  inside[co] = true
  local ok, answer = pcall(e.fn, ctx)
  inside[co] = nil
  local action, why
  -- A hook whose own call was cancelled or failed fails with that error.
  if ok then action, answer = judge(ctx, answer) else why = "failed: " .. tostring(answer) end
  if not action and ok then why = answer end
  if span then
    call("trace.end", span, {
      ["llmspell.hook.action"] = action or "fail",
      ["llmspell.hook.reason"] = action == "cancel" and reason_of(answer) or nil,
    }, why and (ctx.point .. " hook '" .. e.name .. "' " .. why), why and "hook_failed")
  end
  if why then fail(e, ctx, why) end
  if action == "continue" then return nil end
  return action, answer
end

local function cancel(e, ctx, answer)
  local reason = reason_of(answer)
  error(setmetatable({
    code = "hook_cancelled", point = ctx.point, hook = e.name, reason = reason,
    message = ctx.point .. " hook '" .. e.name .. "' cancelled " .. ctx.kind .. " '" ..
      ctx.name .. "': " .. reason,
  }, ERROR), 0)
end

-- The context each hook of a point gets: one table, passed along the chain; extra: more
-- fields the caller gives (a workflow step's workflow).
local function context(point, kind, name, extra)
  local ctx = { point = point, kind = kind, name = name }
  if extra then for k, v in pairs(extra) do ctx[k] = v end end
  return ctx
end

-- Before a call: false and the input (changed or not), or true and the result a hook gave.
function dispatch.before(point, kind, name, input, extra)
  local list = lists[point]
  if not list or inside[running()] then return false, input end
  local ctx = context(point, kind, name, extra)
  ctx.input = input
  for i = 1, #list do
    local e = list[i]
    local action, answer = ask(e, ctx, i)
    if action == "modify" then
      ctx.input = answer.input
    elseif action == "replace" then
      return true, answer.result
    elseif action == "cancel" then
      cancel(e, ctx, answer)
    end
  end
  return false, ctx.input
end

-- After a call that gave a result: the result, changed or not.
function dispatch.after(point, kind, name, input, output, extra)
  local list = lists[point]
  if not list or inside[running()] then return output end
  local ctx = context(point, kind, name, extra)
  ctx.input, ctx.output = input, output
  for i = 1, #list do
    local e = list[i]
    local action, answer = ask(e, ctx, i)
    if action == "modify" then
      ctx.output = answer.output
    elseif action == "cancel" then
      cancel(e, ctx, answer)
    end
  end
  return ctx.output
end

-- Whether a point has hooks (the caller catches errors only for an error point with some).
function dispatch.has(point) return lists[point] ~= nil and not inside[running()] end

-- After a call that raised: true and a result a hook gave instead, or false. An interrupt,
-- a time limit, os.exit, and a hook that failed are not the call's errors: they go on.
function dispatch.failed(point, kind, name, input, err, extra)
  local list = lists[point]
  if not list or inside[running()] or err == "interrupted" or err == "llmspell: stop"
    or (getmetatable(err) == ERROR and err.code == "hook_failed") then
    return false
  end
  local ctx = context(point, kind, name, extra)
  ctx.input, ctx.error = input, err
  for i = 1, #list do
    local action, answer = ask(list[i], ctx, i)
    if action == "replace" then return true, answer.result end
  end
  return false
end

shared.hook_error = ERROR
publish()
`;
