/**
 * What the debugger knows of each function prototype (Proto), computed once, at the first
 * hook event the function brings: whether it is the engine's own, and the breakpoints on its
 * code lines. A prototype without one is marked plain on the Proto itself in wasm memory, so
 * that the patched VM runs it without line events (engine/vm/line_trap.ts); one with a
 * breakpoint goes into the hook filter's table. Breakpoints changing forget it all.
 */
import { LUA_REGISTRYINDEX } from "../../engine/vm/lua_h.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import { INTERNAL_PREFIX } from "./context.ts";
import type { LineBreakpoint } from "./breakpoints.ts";
import type { DebuggerParts } from "./parts.ts";

const REG = LUA_REGISTRYINDEX;
const { AR_SOURCE, GC_MARKED, PROTO_PLAIN_BIT } = Lua;

export interface ProtoInfo {
  /** The engine's own code (never stopped in). */
  internal: boolean;
  /** Breakpoints on this prototype's own code lines, or null. */
  bps: Map<number, LineBreakpoint> | null;
}

export class Prototypes {
  readonly #d: DebuggerParts;
  readonly #infos = new Map<number, ProtoInfo>();
  /** A registry ref to the table that pins the closures of the prototypes seen. */
  #pinsRef = 0;
  #pinCount = 0;

  constructor(parts: DebuggerParts) {
    this.#d = parts;
  }

  /** Makes the pin table (at set-up, on the main state). */
  setUp(L: number): void {
    const lua = this.#d.ctx.api.lua;
    lua.lua_createtable(L, 0, 0);
    this.#pinsRef = lua.luaL_ref(L, REG);
  }

  /** Per-prototype facts of the function running in `ci`, or null for a C function. */
  infoOf(L: number, ci: number, ar: number): ProtoInfo | null {
    const { ctx, sources, breakpoints, filter } = this.#d;
    const p = ctx.proto(ci);
    if (p === 0) return null;
    const hit = this.#infos.get(p);
    if (hit !== undefined) return hit;
    const m = ctx.wasm;
    const lua = ctx.api.lua;
    m._lua_getinfo(L, ctx.cString("Sf"), ar);
    const source = ctx.readCString(m.HEAP32[(ar + AR_SOURCE) >> 2]);
    // Pin the closure so that its Proto (the cache key) cannot be freed and reused.
    lua.lua_rawgeti(L, REG, BigInt(this.#pinsRef));
    lua.lua_rotate(L, -2, 1);
    lua.lua_rawseti(L, -2, BigInt(++this.#pinCount));
    lua.lua_settop(L, -2);
    const internal = source.startsWith(INTERNAL_PREFIX);
    let bps: Map<number, LineBreakpoint> | null = null;
    const fileBps = internal ? undefined : breakpoints.linesOf(sources.keyOf(source));
    if (fileBps && fileBps.size > 0) {
      m._lua_getinfo(L, ctx.cString("L"), ar);
      const t = lua.lua_gettop(L);
      lua.lua_pushnil(L);
      while (lua.lua_next(L, t) !== 0) {
        const line = Number(lua.lua_tointegerx(L, -2, null));
        const bp = fileBps.get(line);
        if (bp) (bps ??= new Map()).set(line, bp);
        lua.lua_settop(L, -2);
      }
      lua.lua_settop(L, -2);
    }
    const info: ProtoInfo = { internal, bps };
    this.#infos.set(p, info);
    // Pinned above, so the mark cannot outlive the Proto; `forgetAll` clears it.
    if (bps === null) m.HEAPU8[p + GC_MARKED] |= PROTO_PLAIN_BIT;
    else filter.markBreakpoints(p);
    return info;
  }

  /**
   * Forgets every prototype (breakpoints changed): clears their plain marks in wasm memory
   * and the filter's tables, gives the filter the new breakpoint lines, unpins the closures.
   */
  forgetAll(L: number, lines: number[]): void {
    const { ctx, filter } = this.#d;
    const u8 = ctx.wasm.HEAPU8;
    for (const p of this.#infos.keys()) u8[p + GC_MARKED] &= ~PROTO_PLAIN_BIT;
    this.#infos.clear();
    filter.clear();
    filter.setLines(lines);
    const lua = ctx.api.lua;
    lua.lua_createtable(L, 0, 0);
    lua.lua_rawseti(L, REG, BigInt(this.#pinsRef));
    this.#pinCount = 0;
  }
}
