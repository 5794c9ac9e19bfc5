/**
 * The one value formatter, written in Lua so it walks tables where they live (no copy into
 * JS). Every front-end (exec/run echo, REPL, kernel execute_result) shows values through it.
 *
 * Rules: top-level strings print raw (like the lua REPL); strings inside tables are quoted;
 * table keys are sorted (numbers, then strings, then the rest); nesting deeper than
 * `max_depth` shows `{...}`; a table reached again while printing itself shows `<cycle>`;
 * arrays longer than `max_items` are elided with a count; a table with `__tostring` prints
 * through it; a table that fits in `width` columns prints on one line.
 */
export const FORMAT_LUA = String.raw`
local type, tostring, next, rawget, rawlen = type, tostring, next, rawget, rawlen
local sort, concat, srep, sfmt = table.sort, table.concat, string.rep, string.format
local mtype = math.type
local getmetatable = getmetatable

local KEYWORDS = {}
for w in ("and break do else elseif end false for function goto if in local nil not or repeat return then true until while"):gmatch("%a+") do
  KEYWORDS[w] = true
end

local function quote(s)
  return (sfmt("%q", s):gsub("\\\n", "\\n"):gsub("\r", "\\r"))
end

local function scalar(v, nested)
  local t = type(v)
  if t == "string" then return nested and quote(v) or v end
  if t == "table" or t == "userdata" then
    local mt = getmetatable(v)
    if type(mt) == "table" and rawget(mt, "__tostring") then
      local ok, s = pcall(tostring, v)
      if ok then return tostring(s) end
    end
  end
  return tostring(v)
end

local TYPE_ORDER = { number = 1, string = 2, boolean = 3 }
local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return (TYPE_ORDER[ta] or 9) < (TYPE_ORDER[tb] or 9) or
    ((TYPE_ORDER[ta] or 9) == (TYPE_ORDER[tb] or 9) and ta < tb) end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") and not KEYWORDS[k] then return k end
  return "[" .. scalar(k, true) .. "]"
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

local format_table

local function item(v, opts, depth, visiting, indent)
  if type(v) == "table" and not has_tostring(v) then
    return format_table(v, opts, depth + 1, visiting, indent)
  end
  return scalar(v, true)
end

function format_table(t, opts, depth, visiting, indent)
  if visiting[t] then return "<cycle>" end
  if depth > opts.max_depth then return next(t) == nil and "{}" or "{...}" end
  visiting[t] = true
  local inner = indent .. "  "
  local parts, n = {}, 0
  local len = rawlen(t)
  local shown = len > opts.max_items and opts.max_items or len
  for i = 1, shown do
    n = n + 1
    parts[n] = item(rawget(t, i), opts, depth, visiting, inner)
  end
  local keys, nk = {}, 0
  for k in next, t do
    if not (mtype(k) == "integer" and k >= 1 and k <= len) then
      nk = nk + 1
      keys[nk] = k
    end
  end
  if len > shown then
    n = n + 1
    parts[n] = "... (" .. (len - shown) .. " more)"
  end
  sort(keys, key_less)
  local kshown = nk > opts.max_items and opts.max_items or nk
  for i = 1, kshown do
    local k = keys[i]
    n = n + 1
    parts[n] = key_text(k) .. " = " .. item(rawget(t, k), opts, depth, visiting, inner)
  end
  if nk > kshown then
    n = n + 1
    parts[n] = "... (" .. (nk - kshown) .. " more keys)"
  end
  visiting[t] = nil
  if n == 0 then return "{}" end
  local one = "{" .. concat(parts, ", ") .. "}"
  if #one + #indent <= opts.width and not one:find("\n", 1, true) then return one end
  return "{\n" .. inner .. concat(parts, ",\n" .. inner) .. "\n" .. indent .. "}"
end

local DEFAULTS = { max_depth = 4, max_items = 100, width = 80 }

--- format(value [, nested]) -> string
return function(v, nested)
  if type(v) == "table" and not has_tostring(v) then
    return format_table(v, DEFAULTS, 1, {}, "")
  end
  return scalar(v, nested)
end
`;
