/**
 * The constants of lua.h that the engine uses. Apart from capi.ts, so that main-thread
 * modules (poke.ts, line_trap.ts) can name a hook mask without loading the C API wrapper.
 */
export const LUA_REGISTRYINDEX = -1001000;
export const LUA_MULTRET = -1;
export const LuaStatus = {
  ok: 0,
  yield: 1,
  errRun: 2,
  errSyntax: 3,
  errMem: 4,
  errErr: 5,
} as const;
export const LuaTypeId = {
  none: -1,
  nil: 0,
  boolean: 1,
  lightUserdata: 2,
  number: 3,
  string: 4,
  table: 5,
  function: 6,
  userdata: 7,
  thread: 8,
} as const;
export const HookMask = { call: 1, ret: 2, line: 4, count: 8 } as const;
