/**
 * The Lua side of the debugger, loaded once in the real global environment when a
 * debugging engine starts (chunk "=[llmspell debug]", which the debugger never stops in
 * and hides from stack traces).
 *
 * - coroutine.create/wrap record every coroutine in a weak table, so that the debugger
 *   can set the hook mask of suspended coroutines when breakpoints or stepping change
 *   (a C hook's mask is per thread, and a thread copies it only when it is created).
 * - pcall/xpcall wrappers call the debugger's `notify` as the message handler, so that
 *   break-on-error "all" sees errors that a pcall catches. They are installed only while
 *   that filter is on.
 * - the prelude's chunk loader (`host.load_chunk`, which require, reload, load, loadfile and
 *   dofile go through) tells the debugger of each chunk loaded (`chunk_loaded`: its
 *   loadedSource event). Its local is named `load`, so that a bad argument's message still
 *   names `load`.
 */
export const DEBUG_LUA = String.raw`
local env, threads, notify, host, chunk_loaded = ...
local G = _G
local create, wrap, getupvalue, xpcall = G.coroutine.create, G.coroutine.wrap, G.debug.getupvalue, G.xpcall
local co = env.coroutine

local function dcreate(f)
  local c = create(f)
  threads[c] = true
  return c
end

local function dwrap(f)
  local w = wrap(f)
  local _, c = getupvalue(w, 1)
  if c then threads[c] = true end
  return w
end

co.create = dcreate
co.wrap = dwrap

local load = host.load_chunk
host.load_chunk = function(...)
  local f, err = load(...)
  if f then chunk_loaded(f) end
  return f, err
end

local orig_pcall, orig_xpcall = env.pcall, env.xpcall

local function dpcall(f, ...)
  return xpcall(f, notify, ...)
end

local function dxpcall(f, h, ...)
  return xpcall(f, function(e)
    notify(e)
    return h(e)
  end, ...)
end

return function(on)
  if on then
    env.pcall, env.xpcall = dpcall, dxpcall
  else
    env.pcall, env.xpcall = orig_pcall, orig_xpcall
  end
end
`;
