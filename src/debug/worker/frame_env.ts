/**
 * The environment that conditions, log messages and evaluations run in: a proxy table whose
 * reads and writes go to the frame's locals, then its upvalues, then its _ENV. One proxy
 * serves every frame: `useFrame` says which one it reads now.
 */
import { LUA_REGISTRYINDEX, LuaTypeId } from "../../engine/vm/lua_h.ts";
import type { WorkerContext } from "./context.ts";

const REG = LUA_REGISTRYINDEX;

export class FrameEnv {
  readonly #ctx: WorkerContext;
  /** The frame the proxy reads: its activation record and thread. */
  #frameAr = 0;
  #frameL = 0;
  #proxyRef = 0;

  constructor(ctx: WorkerContext) {
    this.#ctx = ctx;
  }

  /** The proxy reads and writes the frame at `ar` of thread `L` from now on. */
  useFrame(L: number, ar: number): void {
    this.#frameAr = ar;
    this.#frameL = L;
  }

  /** Pushes the environment table of the function at `ar` (its _ENV), or the user's. */
  pushEnvOf(L: number, ar: number): void {
    const ctx = this.#ctx;
    const lua = ctx.api.lua;
    if (ar !== 0) {
      ctx.wasm._lua_getinfo(L, ctx.cString("f"), ar);
      const fn = lua.lua_gettop(L);
      for (let i = 1;; i++) {
        const p = ctx.wasm._lua_getupvalue(L, fn, i);
        if (p === 0) break;
        if (ctx.readCString(p) === "_ENV") {
          lua.lua_rotate(L, fn, 1);
          lua.lua_settop(L, fn);
          return;
        }
        lua.lua_settop(L, -2);
      }
      lua.lua_settop(L, fn - 1);
    }
    lua.lua_rawgeti(L, REG, BigInt(ctx.host.envRef));
  }

  /** Pushes the environment proxy, reading the frame at `ar`. */
  pushFrameEnv(L: number, ar: number): void {
    const api = this.#ctx.api;
    const lua = api.lua;
    this.useFrame(L, ar);
    if (this.#proxyRef === 0) {
      lua.lua_createtable(L, 0, 0);
      lua.lua_createtable(L, 0, 2);
      api.setFunction(L, "__index", api.cfunction((hL) => this.#proxyIndex(hL)));
      api.setFunction(L, "__newindex", api.cfunction((hL) => this.#proxyNewIndex(hL)));
      lua.lua_setmetatable(L, -2);
      this.#proxyRef = lua.luaL_ref(L, REG);
    }
    lua.lua_rawgeti(L, REG, BigInt(this.#proxyRef));
  }

  /** The slot of the frame `useFrame` named that holds `name`: a local's or an upvalue's index. */
  findName(name: string): { local?: number; upvalue?: number } {
    const ctx = this.#ctx;
    const m = ctx.wasm;
    const L = this.#frameL;
    const ar = this.#frameAr;
    const lua = ctx.api.lua;
    let local = 0;
    for (let i = 1;; i++) {
      const p = m._lua_getlocal(L, ar, i);
      if (p === 0) break;
      lua.lua_settop(L, -2);
      const n = ctx.readCString(p);
      if (n === "(temporary)" || n === "(C temporary)") break;
      if (n === name) local = i;
    }
    if (local) return { local };
    m._lua_getinfo(L, ctx.cString("f"), ar);
    const fn = lua.lua_gettop(L);
    try {
      for (let i = 1;; i++) {
        const p = m._lua_getupvalue(L, fn, i);
        if (p === 0) break;
        lua.lua_settop(L, -2);
        if (ctx.readCString(p) === name) return { upvalue: i };
      }
    } finally {
      lua.lua_settop(L, fn - 1);
    }
    return {};
  }

  #proxyIndex(hL: number): number {
    const ctx = this.#ctx;
    const m = ctx.wasm;
    const lua = ctx.api.lua;
    const name = lua.lua_type(hL, 2) === LuaTypeId.string ? ctx.api.str(hL, 2) ?? "" : undefined;
    const L = this.#frameL;
    if (name !== undefined && L === hL) {
      const slot = this.findName(name);
      if (slot.local) {
        m._lua_getlocal(L, this.#frameAr, slot.local);
        return 1;
      }
      if (slot.upvalue) {
        m._lua_getinfo(L, ctx.cString("f"), this.#frameAr);
        m._lua_getupvalue(L, -1, slot.upvalue);
        lua.lua_rotate(L, -2, 1);
        lua.lua_settop(L, -2);
        return 1;
      }
    }
    this.pushEnvOf(hL, L === hL ? this.#frameAr : 0);
    lua.lua_pushvalue(hL, 2);
    lua.lua_gettable(hL, -2);
    return 1;
  }

  #proxyNewIndex(hL: number): number {
    const ctx = this.#ctx;
    const m = ctx.wasm;
    const lua = ctx.api.lua;
    const name = lua.lua_type(hL, 2) === LuaTypeId.string ? ctx.api.str(hL, 2) ?? "" : undefined;
    const L = this.#frameL;
    if (name !== undefined && L === hL) {
      const slot = this.findName(name);
      if (slot.local) {
        lua.lua_pushvalue(L, 3);
        m._lua_setlocal(L, this.#frameAr, slot.local);
        return 0;
      }
      if (slot.upvalue) {
        m._lua_getinfo(L, ctx.cString("f"), this.#frameAr);
        lua.lua_pushvalue(L, 3);
        m._lua_setupvalue(L, -2, slot.upvalue);
        lua.lua_settop(L, -2);
        return 0;
      }
    }
    this.pushEnvOf(hL, L === hL ? this.#frameAr : 0);
    lua.lua_pushvalue(hL, 2);
    lua.lua_pushvalue(hL, 3);
    lua.lua_settable(hL, -3);
    return 0;
  }
}
