/**
 * The Lua side of the engine, run once when the engine starts, in the real global
 * environment. It receives the host functions (C closures implemented in the worker) and
 * builds what user code sees:
 *
 * - `safe`: user code runs over an allow-listed environment table: no os.execute,
 *   io.popen, os.exit, package.loadlib, debug, string.dump, binary chunks; files only
 *   under the allowed paths (checked by the host).
 * - `unrestricted`: user code runs over the real `_G`; only what would crash or end the
 *   host is replaced (os.execute, os.exit), and io/os file functions reach the real disk.
 *
 * wasmoon's own io and os work on an in-memory file system, so in both modes io and the
 * file parts of os are re-implemented over host functions that reach the real disk.
 */
export const PRELUDE_LUA = String.raw`
local host, format, security, script_dir = ...
local G = _G
local type, error, select, tostring, setmetatable = type, error, select, tostring, setmetatable
local concat, sfmt = table.concat, string.format
local safe = security == "safe"

local write = host.write

-- print: like Lua's, through the host's ordered output stream.
local function print(...)
  local n = select("#", ...)
  if n == 1 then
    write(1, tostring((...)) .. "\n")
    return
  end
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  write(1, concat(parts, "\t") .. "\n")
end

-- io: files on the real disk through the host, buffered on the Lua side. ---------------
local FILE = {}
FILE.__index = FILE
FILE.__name = "FILE*"

local CHUNK = 65536

local function new_file(kind, id, label)
  return setmetatable({ kind = kind, id = id, label = label, buf = "", bpos = 1, eof = false }, FILE)
end

function FILE.__tostring(f)
  if f.closed then return "file (closed)" end
  return "file (" .. f.label .. ")"
end

local function check_open(f)
  if type(f) ~= "table" or getmetatable(f) ~= FILE then error("bad argument #1 (FILE* expected)", 3) end
  if f.closed then error("attempt to use a closed file", 3) end
end

local function fill(f)
  if f.eof then return false end
  local s
  if f.kind == "stdin" then s = host.stdin_read(CHUNK)
  elseif f.kind == "string" then s = nil
  else s = host.fs_read(f.id, CHUNK) end
  if s == nil or s == "" then f.eof = true return false end
  if f.bpos > #f.buf then f.buf = s else f.buf = f.buf:sub(f.bpos) .. s end
  f.bpos = 1
  return true
end

local function read_line(f, keep)
  while true do
    local nl = f.buf:find("\n", f.bpos, true)
    if nl then
      local line = f.buf:sub(f.bpos, keep and nl or nl - 1)
      f.bpos = nl + 1
      return line
    end
    if not fill(f) then
      if f.bpos > #f.buf then return nil end
      local line = f.buf:sub(f.bpos)
      f.bpos = #f.buf + 1
      return line
    end
  end
end

local function read_all(f)
  while fill(f) do end
  local s = f.buf:sub(f.bpos)
  f.buf, f.bpos = "", 1
  return s
end

local function read_count(f, n)
  while #f.buf - f.bpos + 1 < n and fill(f) do end
  if f.bpos > #f.buf then
    if n == 0 then return nil end
    return nil
  end
  local s = f.buf:sub(f.bpos, f.bpos + n - 1)
  f.bpos = f.bpos + #s
  return s
end

local function read_number(f)
  while true do
    local s = f.buf:match("^%s*()", f.bpos)
    if s <= #f.buf then f.bpos = s break end
    if not fill(f) then return nil end
  end
  -- make sure a whole numeral is buffered before matching it
  while not f.buf:find("[^%w%.%+%-]", f.bpos) and fill(f) do end
  local num = f.buf:match("^[%+%-]?[%w%.]*[eEpP]?[%+%-]?[%w%.]*", f.bpos)
  f.bpos = f.bpos + #num
  return G.tonumber(num)
end

local function read_one(f, fmt)
  if type(fmt) == "number" then
    if fmt == 0 then
      if f.bpos > #f.buf and not fill(f) then return nil end
      return ""
    end
    return read_count(f, fmt)
  end
  fmt = tostring(fmt):gsub("^%*", "")
  local c = fmt:sub(1, 1)
  if c == "l" then return read_line(f, false)
  elseif c == "L" then return read_line(f, true)
  elseif c == "a" then return read_all(f)
  elseif c == "n" then return read_number(f)
  end
  error("bad argument #1 to 'read' (invalid format)", 3)
end

local function read(f, ...)
  local n = select("#", ...)
  if n == 0 then return read_line(f, false) end
  local out = {}
  for i = 1, n do
    local v = read_one(f, (select(i, ...)))
    out[i] = v
    if v == nil then return G.table.unpack(out, 1, i) end
  end
  return G.table.unpack(out, 1, n)
end

function FILE:read(...)
  check_open(self)
  if self.mode_w and not self.mode_r then return nil, "file not open for reading", 9 end
  return read(self, ...)
end

function FILE:lines(...)
  check_open(self)
  local fmts = { n = select("#", ...), ... }
  return function()
    if self.closed then error("file is already closed", 2) end
    return read(self, G.table.unpack(fmts, 1, fmts.n))
  end
end

function FILE:write(...)
  check_open(self)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do
    local v = select(i, ...)
    local t = type(v)
    if t == "number" then v = tostring(v)
    elseif t ~= "string" then error("bad argument #" .. i .. " to 'write' (string expected, got " .. t .. ")", 2) end
    parts[i] = v
  end
  local s = concat(parts)
  if self.kind == "stdout" then write(1, s)
  elseif self.kind == "stderr" then write(2, s)
  elseif self.kind == "file" then
    local ok, err, code = host.fs_write(self.id, s)
    if not ok then return nil, err, code end
  else
    return nil, "file not open for writing", 9
  end
  return self
end

function FILE:seek(whence, offset)
  check_open(self)
  whence = whence or "cur"
  offset = offset or 0
  if self.kind ~= "file" then return nil, "Illegal seek", 29 end
  local unread = #self.buf - self.bpos + 1
  if whence == "cur" then offset = offset - unread end
  local pos, err, code = host.fs_seek(self.id, whence, offset)
  if not pos then return nil, err, code end
  self.buf, self.bpos, self.eof = "", 1, false
  return pos
end

function FILE:flush() check_open(self) return self end
function FILE:setvbuf() check_open(self) return true end

function FILE:close()
  check_open(self)
  if self.kind == "stdout" or self.kind == "stderr" or self.kind == "stdin" then
    return nil, "cannot close standard file"
  end
  self.closed = true
  if self.kind == "file" then host.fs_close(self.id) end
  return true
end

FILE.__close = function(f) if not f.closed then f:close() end end
FILE.__gc = FILE.__close

local stdin = new_file("stdin", nil, "stdin")
local stdout = new_file("stdout", nil, "stdout")
local stderr = new_file("stderr", nil, "stderr")
local default_in, default_out = stdin, stdout

local function open(path, mode)
  mode = mode or "r"
  if type(path) ~= "string" then error("bad argument #1 to 'open' (string expected, got " .. type(path) .. ")", 2) end
  if not mode:match("^[rwa]%+?b?$") then error("bad argument #2 to 'open' (invalid mode)", 2) end
  local id, err, code = host.fs_open(path, mode)
  if not id then return nil, path .. ": " .. err, code end
  local f = new_file("file", id, path)
  f.mode_r = mode:find("r") or mode:find("+", 1, true)
  f.mode_w = not mode:find("^r") or mode:find("+", 1, true)
  return f
end

local io = {
  stdin = stdin, stdout = stdout, stderr = stderr,
  open = open,
  write = function(...) return default_out:write(...) end,
  read = function(...) return default_in:read(...) end,
  close = function(f) return (f or default_out):close() end,
  type = function(f)
    if type(f) ~= "table" or getmetatable(f) ~= FILE then return nil end
    return f.closed and "closed file" or "file"
  end,
  lines = function(path, ...)
    if path == nil then return default_in:lines(...) end
    local f, err = open(path, "r")
    if not f then error(err, 2) end
    local fmts = { n = select("#", ...), ... }
    return function()
      local v = read(f, G.table.unpack(fmts, 1, fmts.n))
      if v == nil and not f.closed then f:close() end
      return v
    end
  end,
  input = function(f)
    if f == nil then return default_in end
    if type(f) == "string" then
      local opened, err = open(f, "r")
      if not opened then error(err, 2) end -- the caller's line, not this one
      f = opened
    end
    default_in = f
    return f
  end,
  output = function(f)
    if f == nil then return default_out end
    if type(f) == "string" then
      local opened, err = open(f, "w")
      if not opened then error(err, 2) end -- the caller's line, not this one
      f = opened
    end
    default_out = f
    return f
  end,
}

if not safe then
  io.popen = function(cmd, mode)
    mode = mode or "r"
    if mode ~= "r" then return nil, "io.popen supports only mode 'r'" end
    local out = host.popen_read(cmd)
    local f = new_file("string", nil, "popen")
    f.buf, f.eof, f.mode_r = out, true, true
    return f
  end
end

-- os: time functions as shipped; file and process functions through the host. ---------
local real_os = G.os
local os = safe and {
  time = real_os.time, clock = real_os.clock, date = real_os.date, difftime = real_os.difftime,
} or real_os
os.getenv = host.getenv
os.remove = host.fs_remove
os.rename = host.fs_rename
os.tmpname = host.fs_tmpname
if not safe then
  os.execute = host.execute
  os.exit = host.exit
end

-- require: modules from the real disk (next to the script, then package.path). ---------
local loaded = {}
local package = safe and { loaded = loaded, path = "", config = G.package.config } or G.package
if not safe then loaded = package.loaded end
local path_parts = {}
if script_dir then
  path_parts[#path_parts + 1] = script_dir .. "/?.lua"
  path_parts[#path_parts + 1] = script_dir .. "/?/init.lua"
end
path_parts[#path_parts + 1] = "./?.lua"
path_parts[#path_parts + 1] = "./?/init.lua"
package.path = concat(path_parts, ";")

local env

-- Every chunk a script loads (require, reload, load, loadfile, dofile) goes through
-- host.load_chunk, so that a debugger hears of each one (src/debug/worker/lua.ts wraps it).
host.load_chunk = G.load

local function find_module(name)
  local path, src = host.find_module(name, package.path)
  if not path then return nil, src end
  local f, err = host.load_chunk(src, "@" .. path, "t", env)
  if not f then error("error loading module '" .. name .. "' from file '" .. path .. "':\n\t" .. err, 3) end
  return f, path
end

if safe then
  G.require = nil
  env = {}
  env.require = function(name)
    if type(name) ~= "string" then error("bad argument #1 to 'require' (string expected, got " .. type(name) .. ")", 2) end
    local v = loaded[name]
    if v ~= nil then return v end
    local f, path = find_module(name)
    if not f then error("module '" .. name .. "' not found:" .. path, 2) end
    local r = f(name, path)
    if r ~= nil then loaded[name] = r elseif loaded[name] == nil then loaded[name] = true end
    return loaded[name], path
  end
else
  env = G
  G.table.insert(package.searchers, 2, function(name)
    local f, path = find_module(name)
    if not f then return path end
    return f, path
  end)
end

-- reload(name): hot reload. The module runs again and its new functions replace the old
-- ones in the table already loaded (and in tables nested in it), so code holding that
-- table, or objects whose metatable is one of its tables, calls the new code. Data stays:
-- values that are not functions are kept, and a new function's upvalues are joined to the
-- old function's upvalues of the same name when those hold data (not functions, which are
-- code and come from the new version); a table upvalue is patched like the module. When the
-- new version fails to load or run, the old module stays as it was.
local getupvalue, upvaluejoin = G.debug.getupvalue, G.debug.upvaluejoin
local rawget, rawset, pairs, pcall = G.rawget, G.rawset, G.pairs, G.pcall
local patch_table

local function join_upvalues(new_fn, old_fn, seen)
  local old_index = {}
  for j = 1, 255 do
    local name = getupvalue(old_fn, j)
    if name == nil then break end
    old_index[name] = j
  end
  for i = 1, 255 do
    local name, new_value = getupvalue(new_fn, i)
    if name == nil then break end
    local j = old_index[name]
    if j and name ~= "_ENV" then
      local _, old_value = getupvalue(old_fn, j)
      if type(old_value) ~= "function" and type(new_value) ~= "function" then
        if type(old_value) == "table" and type(new_value) == "table" then
          patch_table(old_value, new_value, seen)
        end
        upvaluejoin(new_fn, i, old_fn, j)
      end
    end
  end
end

patch_table = function(old, new, seen)
  if seen[old] or old == new then return end
  seen[old] = true
  for k, nv in pairs(new) do
    local ov = rawget(old, k)
    if type(nv) == "function" then
      if type(ov) == "function" then join_upvalues(nv, ov, seen) end
      rawset(old, k, nv)
    elseif type(nv) == "table" and type(ov) == "table" then
      patch_table(ov, nv, seen)
    elseif ov == nil then
      rawset(old, k, nv)
    end
  end
  local nm, om = G.getmetatable(new), G.getmetatable(old)
  if type(nm) == "table" and type(om) == "table" then patch_table(om, nm, seen) end
end

local function reload(name)
  if type(name) ~= "string" then error("bad argument #1 to 'reload' (string expected, got " .. type(name) .. ")", 2) end
  local old = loaded[name]
  loaded[name] = nil
  local ok, new = pcall(env.require, name)
  if not ok then
    loaded[name] = old
    error(new, 0)
  end
  if type(old) == "table" and type(new) == "table" and old ~= new then
    patch_table(old, new, {})
    loaded[name] = old
    return old
  end
  return new
end

-- load/dofile/loadfile: text chunks only in safe mode, over the user environment. -------
local function user_load(chunk, name, mode, chunk_env)
  if safe then mode = "t" end
  if chunk_env == nil then chunk_env = env end
  return host.load_chunk(chunk, name, mode or "bt", chunk_env)
end
local function read_source(path)
  local src, err
  if path == nil then src = read_all(stdin) else src, err = host.read_file(path) end
  if not src then return nil, err end
  return (src:gsub("^#![^\n]*", ""))
end
local function loadfile(path, mode, chunk_env)
  local src, err = read_source(path)
  if not src then return nil, err end
  return user_load(src, "@" .. (path or "stdin"), mode, chunk_env)
end
local function dofile(path)
  local src, err = read_source(path)
  -- A file that cannot be read is an error at the caller's line; a syntax error names the
  -- file's own line already (lua5.4 raises it as it is).
  if not src then error(err, 2) end
  local f, load_err = user_load(src, "@" .. (path or "stdin"))
  if not f then error(load_err, 0) end
  return f()
end

-- The user environment. ------------------------------------------------------------------
if safe then
  for _, k in ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget",
    "rawlen", "rawset", "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type",
    "xpcall", "_VERSION", "collectgarbage", "warn" }) do
    env[k] = G[k]
  end
  local function copy(t, without)
    local c = {}
    for k, v in pairs(t) do if k ~= without then c[k] = v end end
    return c
  end
  env.string = copy(G.string, "dump")
  env.table = copy(G.table)
  env.math = copy(G.math)
  env.utf8 = copy(G.utf8)
  env.coroutine = copy(G.coroutine)
  env.os = os
  env.io = io
  env.package = package
  env._G = env
  for _, k in ipairs({ "string", "table", "math", "utf8", "coroutine", "os", "io" }) do
    loaded[k] = env[k]
  end
  loaded._G = env
  -- keep scripts from reaching the real string library through a string's metatable
  getmetatable("").__metatable = false
else
  G.os = os
  G.io = io
  loaded.io = io
  loaded.os = os
end
env.print = print
env.load = user_load
env.loadfile = loadfile
env.dofile = dofile
env.reload = reload

return { env = env, format = format, stdin = stdin }
`;
