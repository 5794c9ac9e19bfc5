/**
 * Lua globals of the display system and of input, installed over the user environment
 * after the prelude: `display(value [, mimetype])`, `clear_output([wait])`,
 * `input([prompt [, password]])`, and (kernel stdin) io.read through the client. A value
 * whose metatable has `__display` (a function returning MIME type -> text) is displayed,
 * and shown as a cell's result, in those types beside text/plain.
 *
 * `k` holds the host functions of kernel_api.ts: `emit(mime, data, ...)` sends one
 * display_data bundle, `clear(wait)`, `request_input(prompt, password)` asks the kernel
 * client for a line, and `call`, the host call that waits for its answer.
 */
export const KERNEL_API_LUA = String.raw`
local host, env, format, k, kernel_stdin = ...
local type, tostring, error, select, next = type, tostring, error, select, next
local rawlen, rawget, getmetatable, pairs, pcall = rawlen, rawget, getmetatable, pairs, pcall
local sfmt, concat, sort, unpack = string.format, table.concat, table.sort, table.unpack
local mtype, huge = math.type, math.huge

local ESC = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return ESC[c] or sfmt("\\u%04x", c:byte()) end) .. '"'
end

-- lenient (result values of --output json): what JSON cannot hold becomes a string instead
-- of an error: a cycle "<cycle>", nesting past 100 "<nested too deep>", a function, userdata
-- or thread "<function>" (its type), NaN and infinities "nan", "inf", "-inf", an integer
-- beyond 2^53 its digits; keys that are not strings become their text ("1", "true").
local LIMIT = 2 ^ 53
local encode
local function key_text(key, lenient)
  local kt = type(key)
  if kt == "string" or kt == "number" then return tostring(key) end
  if not lenient then error("cannot encode a table with " .. kt .. " keys as JSON", 0) end
  if kt == "boolean" then return tostring(key) end
  return "<" .. kt .. ">"
end
local function encode_table(t, seen, depth, lenient)
  if seen[t] then
    if lenient then return '"<cycle>"' end
    error("cannot encode a table that contains itself as JSON", 0)
  end
  if depth > 100 then
    if lenient then return '"<nested too deep>"' end
    error("table nested too deeply for JSON", 0)
  end
  seen[t] = true
  local n, count = rawlen(t), 0
  for _ in next, t do count = count + 1 end
  local parts = {}
  if count > 0 and count == n then
    for i = 1, n do parts[i] = encode(rawget(t, i), seen, depth + 1, lenient) end
    seen[t] = nil
    return "[" .. concat(parts, ",") .. "]"
  end
  local keys, texts = {}, {}
  for key in next, t do
    keys[#keys + 1] = key
    texts[key] = key_text(key, lenient)
  end
  sort(keys, function(a, b) return texts[a] < texts[b] end)
  for i, key in ipairs(keys) do
    parts[i] = quote(texts[key]) .. ":" .. encode(rawget(t, key), seen, depth + 1, lenient)
  end
  seen[t] = nil
  return "{" .. concat(parts, ",") .. "}"
end

-- The shortest text that reads back as the same float (0.1, not 0.10000000000000001).
local function float_text(v)
  for digits = 14, 16 do
    local s = sfmt("%." .. digits .. "g", v)
    if tonumber(s) == v then return s end
  end
  return sfmt("%.17g", v)
end

function encode(v, seen, depth, lenient)
  local t = type(v)
  if v == nil then return "null"
  elseif t == "boolean" then return tostring(v)
  elseif t == "number" then
    if mtype(v) == "integer" then
      if lenient and (v > LIMIT or v < -LIMIT) then return quote(tostring(v)) end
      return tostring(v)
    end
    if v ~= v or v == huge or v == -huge then
      if not lenient then return "null" end
      return v ~= v and '"nan"' or v > 0 and '"inf"' or '"-inf"'
    end
    return lenient and float_text(v) or sfmt("%.17g", v)
  elseif t == "string" then return quote(v)
  elseif t == "table" then return encode_table(v, seen, depth, lenient)
  end
  if lenient then return quote("<" .. t .. ">") end
  error("cannot encode a " .. t .. " as JSON", 0)
end

local function json(v, lenient)
  return encode(v, {}, 0, lenient)
end

local BINARY = { ["image/png"] = true, ["image/jpeg"] = true, ["image/gif"] = true, ["image/webp"] = true }

-- The mime bundle display(value [, mimetype]) shows, as mime, data pairs (text/plain always
-- among them): what display() emits, and what the kernel's debugger shows as a variable's rich
-- view (richInspectVariables). Without a mimetype: the value's text through the formatter,
-- and for a table that JSON can hold, its JSON too (a notebook shows that as a tree). Errors
-- point at the caller of display() (level 3: bundle, display, its caller).
-- A value's own representations, as mime, text pairs: its metatable's __display(value)
-- returns a table of MIME type -> text (an agent's result: {["text/markdown"] = its
-- answer}). Nothing when it has none, or __display fails or gives no text.
local function own(value)
  local mt = getmetatable(value)
  local f = type(mt) == "table" and rawget(mt, "__display")
  if type(f) ~= "function" then return end
  local ok, b = pcall(f, value)
  if not ok or type(b) ~= "table" then return end
  local out, n = {}, 0
  for mime, text in pairs(b) do
    if type(mime) == "string" and type(text) == "string" and mime ~= "text/plain" then
      out[n + 1], out[n + 2], n = mime, text, n + 2
    end
  end
  return unpack(out, 1, n)
end

local function bundle(value, mimetype)
  if mimetype == nil then
    local shown = { own(value) }
    if #shown > 0 then
      shown[#shown + 1], shown[#shown + 2] = "text/plain", format(value)
      return unpack(shown)
    end
    if type(value) == "table" then
      local ok, text = pcall(json, value)
      if ok then return "text/plain", format(value), "application/json", text end
    end
    return "text/plain", format(value)
  end
  if type(mimetype) ~= "string" or not mimetype:match("^[%w%-%+%.]+/[%w%-%+%.]+$") then
    error("bad argument #2 to 'display' (a mimetype such as 'text/html' expected)", 3)
  end
  if mimetype == "application/json" or mimetype:match("%+json$") then
    local ok, text = true, value
    if type(value) ~= "string" then ok, text = pcall(json, value) end
    if not ok then error("display: " .. tostring(text), 3) end
    return mimetype, text, "text/plain", type(value) == "string" and value or format(value)
  end
  if type(value) ~= "string" then
    error("bad argument #1 to 'display' (string expected for " .. mimetype .. ", got " .. type(value) .. ")", 3)
  end
  if mimetype == "text/plain" then
    return "text/plain", value
  elseif BINARY[mimetype] then
    return mimetype, value, "text/plain", "<" .. mimetype .. " image, " .. #value .. " bytes>"
  end
  return mimetype, value, "text/plain", value
end

function env.display(value, mimetype)
  k.emit(bundle(value, mimetype))
end

function env.clear_output(wait)
  k.clear(wait and true or false)
end

-- A line from the kernel client (nil at end of input).
local function ask(prompt, password)
  k.request_input(prompt, password)
  local ok, line = k.call("io.input")
  if not ok then error(line, 0) end
  return line
end

if kernel_stdin then
  function env.input(prompt, password)
    if prompt ~= nil and type(prompt) ~= "string" and type(prompt) ~= "number" then
      error("bad argument #1 to 'input' (string expected, got " .. type(prompt) .. ")", 2)
    end
    return ask(prompt and tostring(prompt) or "", password and true or false)
  end
  host.stdin_read = function()
    local line = ask("", false)
    if line == nil then return nil end
    return line .. "\n"
  end
else
  function env.input(prompt)
    if prompt ~= nil then env.io.write(tostring(prompt)) end
    return env.io.read("l")
  end
end

return json, bundle, own
`;
