/**
 * Completion, inspection and the is-complete check, in Lua over the user environment.
 * Loaded on the first question (so batch runs never pay for it), in the real global
 * environment, where `debug.getmetatable` sees past `__metatable`.
 *
 * Nothing here calls user code: fields are read with rawget, `__index` is followed only
 * when it is a table, and values are shown through the formatter (which may call a
 * `__tostring`, inside pcall).
 */
export const INTROSPECT_LUA = String.raw`
local env, format, json = ...
local type, next, rawget, pairs, tostring, load = type, next, rawget, pairs, tostring, load
local sort, concat = table.sort, table.concat
local getmt = debug.getmetatable
local rawlen = rawlen

local KEYWORDS = {}
for w in ("and break do else elseif end false for function goto if in local nil not or repeat return then true until while"):gmatch("%a+") do
  KEYWORDS[#KEYWORDS + 1] = w
end

-- The levels a lookup goes through: the value, then each table __index in turn.
local function levels(v)
  local out, n = {}, 0
  for _ = 1, 16 do
    if type(v) == "table" then n = n + 1; out[n] = v end
    local mt = getmt(v)
    if type(mt) ~= "table" then break end
    local idx = rawget(mt, "__index")
    if type(idx) ~= "table" or idx == v then break end
    v = idx
  end
  return out
end

local function lookup(v, key)
  if type(v) == "string" and type(env.string) == "table" then return rawget(env.string, key) end
  for _, t in ipairs(levels(v)) do
    local x = rawget(t, key)
    if x ~= nil then return x end
  end
  return nil
end

local function resolve(path)
  local v = env
  for i = 1, #path do
    v = lookup(v, path[i])
    if v == nil then return nil end
  end
  return v
end

local function complete(path, sep, prefix)
  local base = resolve(path)
  if base == nil then return json({}) end
  local found = {}
  local scope = levels(base)
  if type(base) == "string" and type(env.string) == "table" then scope = { env.string } end
  for _, t in ipairs(scope) do
    for key, val in next, t do
      if type(key) == "string" and key:match("^[%a_][%w_]*$") and key:sub(1, #prefix) == prefix
        and (sep ~= ":" or type(val) == "function") then
        found[key] = true
      end
    end
  end
  if sep == "" then
    for _, w in ipairs(KEYWORDS) do
      if w:sub(1, #prefix) == prefix then found[w] = true end
    end
  end
  local out = {}
  for key in pairs(found) do out[#out + 1] = key end
  sort(out)
  return json(out)
end

-- Standard-library names by function, from what the user environment holds.
local stdlib = {}
do
  for _, name in ipairs({ "assert", "collectgarbage", "dofile", "error", "getmetatable", "ipairs",
    "load", "loadfile", "next", "pairs", "pcall", "print", "rawequal", "rawget", "rawlen", "rawset",
    "require", "select", "setmetatable", "tonumber", "tostring", "type", "warn", "xpcall",
    "display", "clear_output", "input" }) do
    local f = rawget(env, name)
    if type(f) == "function" then stdlib[f] = name end
  end
  for _, lib in ipairs({ "string", "table", "math", "io", "os", "utf8", "coroutine", "debug", "package" }) do
    local t = rawget(env, lib)
    if type(t) == "table" then
      for key, f in pairs(t) do
        if type(f) == "function" and type(key) == "string" and stdlib[f] == nil then
          stdlib[f] = lib .. "." .. key
        end
      end
    end
  end
end
local LIBS = { string = true, table = true, math = true, io = true, os = true, utf8 = true,
  coroutine = true, debug = true, package = true }

local function inspect(path)
  local v = resolve(path)
  if v == nil then return json({ found = false }) end
  local t = type(v)
  local r = { found = true, type = t }
  local ok, s = pcall(format, v)
  s = ok and s or ("<" .. t .. ">")
  if #s > 2000 then s = s:sub(1, 2000) .. " ..." end
  r.repr = s
  if t == "function" then r.stdlib = stdlib[v] end
  if t == "table" and #path == 1 and LIBS[path[1]] and rawget(env, path[1]) == v then r.stdlib = path[1] end
  if t == "string" then r.length = #v end
  if t == "table" then
    r.length = rawlen(v)
    local names = {}
    for key in next, v do if type(key) == "string" then names[#names + 1] = key end end
    sort(names)
    local fields = {}
    for i = 1, math.min(#names, 50) do fields[i] = names[i] end
    r.fields = fields
  end
  if getmt(v) ~= nil and t ~= "string" then r.hasMetatable = true end
  return json(r)
end

local function is_complete(code)
  if load("return " .. code, "=cell", "t", {}) then return "complete" end
  local f, err = load(code, "=cell", "t", {})
  if f then return "complete" end
  err = tostring(err)
  if err:find("unfinished string near <eof>", 1, true) and not code:find("\\$") then
    return "invalid"
  end
  if err:find("near <eof>$") then return "incomplete" end
  return "invalid"
end

return { complete = complete, inspect = inspect, is_complete = is_complete }
`;
