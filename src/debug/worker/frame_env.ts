/**
 * The environment that conditions, log messages and evaluations run in: a proxy table whose
 * reads and writes go to the frame's locals, then its upvalues, then its _ENV. One proxy
 * serves every frame: `useFrame` says which one it reads now.
 */
import { LUA_REGISTRYINDEX, LuaTypeId } from "../../engine/vm/lua_h.ts";
import type { WorkerContext } from "./context.ts";

const REG = LUA_REGISTRYINDEX;

/** Where a name lives in a frame: a local's index or an upvalue's (neither: not there). */
export interface Slot {
  local?: number;
  upvalue?: number;
}

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
      ctx.pushFunction(L, ar);
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
  findName(name: string): Slot {
    const ctx = this.#ctx;
    const L = this.#frameL;
    const lua = ctx.api.lua;
    // The last local of that name is the one in scope (an inner block's shadows an outer's).
    const local = ctx.localNames(L, this.#frameAr).lastIndexOf(name) + 1;
    if (local) return { local };
    ctx.pushFunction(L, this.#frameAr);
    const fn = lua.lua_gettop(L);
    try {
      for (let i = 1;; i++) {
        const p = ctx.wasm._lua_getupvalue(L, fn, i);
        if (p === 0) break;
        lua.lua_settop(L, -2);
        if (ctx.readCString(p) === name) return { upvalue: i };
      }
    } finally {
      lua.lua_settop(L, fn - 1);
    }
    return {};
  }

  /** Pushes the value in `slot` of the frame `useFrame` named, on its thread. */
  pushSlot(slot: Slot): void {
    const ctx = this.#ctx;
    const L = this.#frameL;
    if (slot.local) ctx.wasm._lua_getlocal(L, this.#frameAr, slot.local);
    else if (slot.upvalue) {
      ctx.pushFunction(L, this.#frameAr);
      ctx.wasm._lua_getupvalue(L, -1, slot.upvalue);
      ctx.api.lua.lua_rotate(L, -2, 1);
      ctx.api.lua.lua_settop(L, -2);
    }
  }

  /** Sets `slot` of the frame `useFrame` named to the value at `index` of its thread. */
  setSlot(slot: Slot, index: number): void {
    const ctx = this.#ctx;
    const L = this.#frameL;
    const lua = ctx.api.lua;
    if (slot.local) {
      lua.lua_pushvalue(L, index);
      ctx.wasm._lua_setlocal(L, this.#frameAr, slot.local);
    } else if (slot.upvalue) {
      ctx.pushFunction(L, this.#frameAr);
      lua.lua_pushvalue(L, index);
      ctx.wasm._lua_setupvalue(L, -2, slot.upvalue);
      lua.lua_settop(L, -2);
    }
  }

  /**
   * The frame's slot that the key the proxy is indexed with (at 2) names, when the proxy is
   * used on the frame's own thread; none otherwise (the key is then the environment's).
   */
  #slotOf(hL: number): Slot {
    const api = this.#ctx.api;
    if (hL !== this.#frameL || api.lua.lua_type(hL, 2) !== LuaTypeId.string) return {};
    return this.findName(api.str(hL, 2) ?? "");
  }

  /** Pushes the environment of the frame (of the user, on another thread) and the key. */
  #pushEnvAndKey(hL: number): void {
    this.pushEnvOf(hL, hL === this.#frameL ? this.#frameAr : 0);
    this.#ctx.api.lua.lua_pushvalue(hL, 2);
  }

  #proxyIndex(hL: number): number {
    const slot = this.#slotOf(hL);
    if (slot.local || slot.upvalue) this.pushSlot(slot);
    else {
      this.#pushEnvAndKey(hL);
      this.#ctx.api.lua.lua_gettable(hL, -2);
    }
    return 1;
  }

  #proxyNewIndex(hL: number): number {
    const slot = this.#slotOf(hL);
    if (slot.local || slot.upvalue) this.setSlot(slot, 3);
    else {
      const lua = this.#ctx.api.lua;
      this.#pushEnvAndKey(hL);
      lua.lua_pushvalue(hL, 3);
      lua.lua_settable(hL, -3);
    }
    return 0;
  }
}
