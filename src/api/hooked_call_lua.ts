/**
 * A call with the hooks of its kind around it: the one dispatch that the Lua sides of Agent,
 * Tool and Workflow (a workflow and each of its steps) make around their calls. It is Lua
 * text put into each of those chunks, not a field of `shared`, because the Hook global's
 * Lua side loads only when a script first touches it (src/engine/worker/api_globals.ts),
 * while the calls run with or without it; the chunk it goes into has `shared` in scope
 * (api.ts `ApiModule.lua`). The hooks themselves run in hook_lua.ts.
 *
 * `hooked(P, name, f, a, input, b, wrap, extra)` calls `f(a, input, b)` and gives its first
 * two results. P names the kind and its points: `{ kind = "tool", before = ..., after = ...,
 * error = ... }` (error nil: the kind has no error point). Without hooks that is all it
 * does. With them: the before hooks see the input and may change it, cancel the call (an
 * error) or give its result instead; an error hook may give a result for a call that
 * raised; the after hooks see the result (given or made) and may change it or cancel.
 * `wrap(a, v)` turns a result a hook gave into one of the call's (an agent's text into an
 * answer); extra: more fields of the hooks' context (a workflow step's workflow).
 *
 * `f` runs two frames below the caller of `hooked` whether it is caught (pcall, when there
 * are error hooks) or not (direct), so that a level given to `error` in `f` points at the
 * same line either way; the error goes on uncaught when no error hook could take it, so
 * that it keeps its traceback.
 *
 * @module
 */

export const HOOKED_CALL_LUA = String.raw`
local hooked
do
  local pcall, error = pcall, error

  local function direct(f, a, b, c)
    local r, n = f(a, b, c)
    return r, n
  end

  function hooked(P, name, f, a, input, b, wrap, extra)
    local H = shared.hooks
    if H == nil then
      local r, n = direct(f, a, input, b)
      return r, n
    end
    local kind = P.kind
    local replaced, r = H.before(P.before, kind, name, input, extra)
    local n
    if replaced then
      if wrap then r = wrap(a, r) end
    else
      input = r
      if P.error and H.has(P.error) then
        local ok
        ok, r, n = pcall(f, a, input, b)
        if not ok then
          local err = r
          replaced, r = H.failed(P.error, kind, name, input, err, extra)
          if not replaced then error(err, 0) end
          n = nil
          if wrap then r = wrap(a, r) end
        end
      else
        r, n = direct(f, a, input, b)
      end
    end
    r = H.after(P.after, kind, name, input, r, extra)
    return r, n
  end
end
`;
