/**
 * Worker side of the Lua globals made of host calls (host_link.ts): each global is an
 * empty table until the script first reads a field of it; then its Lua side, asked from
 * the main thread (the host call `api.lua`), is loaded into it with `call`, the C
 * function that makes a host call (host_channel.ts). A script that never touches one
 * costs one table and one C function at start-up; the channel's buffer is made at the
 * first call.
 */
import { type CApi } from "../vm/capi.ts";
import { LUA_REGISTRYINDEX, LuaStatus, LuaTypeId } from "../vm/lua_h.ts";
import { decodeLasting, HostCaller, HostStatus } from "../shared/host_channel.ts";
import { pushLuaValue, UnstorableValue, writeLuaValue } from "./lua_values.ts";
import { pendingSignal, Signal } from "../shared/protocol.ts";
import { ValueReader, ValueWriter } from "../shared/host_values.ts";
import type { HostCallObserver } from "./sampler.ts";
import { AnswerCache } from "./answer_cache.ts";

const decoder = new TextDecoder();
/** lua_upvalueindex(1). */
const UPVALUE_1 = LUA_REGISTRYINDEX - 1;

export interface ApiGlobalsContext {
  api: CApi;
  L: number;
  envRef: number;
  control: Int32Array;
  /** The globals' names (EngineOptions.globals). */
  globals: readonly string[];
  /** Posts the channel's wake-up message (with its buffer the first time). */
  wake(buffer: SharedArrayBuffer | undefined): void;
  /** Called when an interrupt ends a wait, to re-arm the hook (count 1). */
  onInterrupt(L: number): void;
  /** The profiler of the running execution, if it is profiled: it times host calls. */
  observer(): HostCallObserver | undefined;
}

/** The C functions (pointers) of the globals: the host call and the globals' loader. */
export interface ApiFunctions {
  /** `call`, also the kernel API's (input). */
  call: number;
  /** The `__index` that loads a global at first use (0: no globals). */
  loader: number;
}

/** Defines the globals. */
export function installApiGlobals(ctx: ApiGlobalsContext): ApiFunctions {
  const { api, L } = ctx;
  const lua = api.lua;
  const callPtr = api.cfunction(hostCall(ctx));
  if (ctx.globals.length === 0) return { call: callPtr, loader: 0 };
  const callFunction = () => callPtr;

  // __index of a global not loaded yet (t, k); upvalue 1: the global's index.
  const loader = api.cfunction((L) => {
    const name = ctx.globals[Number(lua.lua_tointegerx(L, UPVALUE_1, null))];
    lua.lua_pushcclosure(L, callFunction(), 0);
    api.pushString(L, "api.lua");
    api.pushString(L, name);
    lua.lua_callk(L, 2, 2, 0, null);
    if (!lua.lua_toboolean(L, -2)) throw new Error(`${name}: ${api.str(L, -1)}`);
    const source = api.bytes(L, -1) ?? new Uint8Array();
    lua.lua_settop(L, -3);
    if (api.load(L, source, `=[llmspell ${name}]`) !== LuaStatus.ok) {
      throw new Error(`${name} failed to load: ${api.str(L, -1)}`);
    }
    lua.lua_pushcclosure(L, callFunction(), 0);
    lua.lua_pushvalue(L, 1);
    lua.lua_pushnil(L);
    lua.lua_setmetatable(L, 1);
    // The script's global table: a module reaches the others' globals through it.
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ctx.envRef));
    lua.lua_callk(L, 3, 0, 0, null);
    lua.lua_pushvalue(L, 2);
    // Not raw: a global may answer some fields through its own __index (Tool.<name>).
    lua.lua_gettable(L, 1);
    return 1;
  });

  lua.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ctx.envRef));
  ctx.globals.forEach((name, i) => {
    lua.lua_createtable(L, 0, 0);
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushinteger(L, BigInt(i));
    lua.lua_pushcclosure(L, loader, 1);
    lua.lua_setfield(L, -2, "__index");
    lua.lua_setmetatable(L, -2);
    lua.lua_setfield(L, -2, name);
  });
  lua.lua_settop(L, -2);
  return { call: callPtr, loader };
}

/**
 * `call(method, ...)`: true and the results, or false and an error message (the Lua
 * side raises it at the script's line). An interrupt while waiting raises "interrupted".
 */
function hostCall(ctx: ApiGlobalsContext): (L: number) => number {
  const { api } = ctx;
  const lua = api.lua;
  const caller = new HostCaller(ctx.wake);
  const cache = new AnswerCache();
  const stop = () => pendingSignal(ctx.control) !== Signal.none;
  let w: ValueWriter | undefined;
  /** Pushes true and the encoded results; how many values that is. */
  const pushResults = (L: number, results: Uint8Array) => {
    const r = new ValueReader(results);
    const count = r.uleb();
    if (!lua.lua_checkstack(L, count + 1)) throw new Error("too many results for the Lua stack");
    lua.lua_pushboolean(L, 1);
    for (let i = 0; i < count; i++) pushLuaValue(api, L, r);
    return count + 1;
  };
  return (L) => {
    w ??= new ValueWriter(1024);
    const n = lua.lua_gettop(L);
    const method = api.str(L, 1) ?? "";
    w.length = 0;
    w.uleb(n - 1);
    try {
      for (let i = 2; i <= n; i++) writeLuaValue(api, L, i, w, "value");
    } catch (e) {
      if (e instanceof UnstorableValue) return api.ret(L, false, e.message);
      throw e;
    }
    const key = cache.key(method, w.bytes());
    if (key !== undefined) {
      const kept = cache.get(key);
      if (kept) return pushResults(L, kept);
    }
    const observer = ctx.observer();
    if (observer) {
      // A tool call is named by its tool: `[host] tool.invoke http_request`.
      const tool = method === "tool.invoke" && lua.lua_type(L, 2) === LuaTypeId.string;
      observer.hostBegin(L, tool ? `${method} ${api.str(L, 2)}` : method);
    }
    const answer = caller.call(method, w.bytes(), stop);
    observer?.hostEnd();
    if (answer === null) {
      ctx.onInterrupt(L);
      api.pushString(L, "interrupted");
      return lua.lua_error(L);
    }
    if (answer.status === HostStatus.error) {
      return api.ret(L, false, decoder.decode(answer.data.slice()));
    }
    if (answer.status === HostStatus.lasting) {
      return pushResults(L, cache.keep(method, w.bytes(), decodeLasting(answer.data)));
    }
    return pushResults(L, answer.data);
  };
}
