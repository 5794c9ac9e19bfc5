/**
 * Stops on errors: an uncaught one (the runtime's message handler calls in, where the error
 * was raised), and with the "all" filter a caught one too (the pcall/xpcall wrappers of
 * lua.ts call the handler made here). Errors raised by the engine's own code, by the
 * debugger's own work, or by an interrupt are not the user's.
 */
import { pendingSignal, Signal } from "../../engine/shared/protocol.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import { INTERNAL_PREFIX } from "./context.ts";
import type { DebuggerParts } from "./parts.ts";

const { AR_WHAT, AR_SOURCE } = Lua;

export class ErrorStops {
  readonly #d: DebuggerParts;

  constructor(parts: DebuggerParts) {
    this.#d = parts;
  }

  /** The runtime's message handler: an error nobody caught, at the point it was raised. */
  uncaught(L: number): void {
    const { ctx, breakpoints, stops } = this.#d;
    if (!breakpoints.breakUncaught || stops.stopped || ctx.inHook) return;
    if (pendingSignal(ctx.host.control) !== Signal.none) return;
    this.#stopOnError(L);
  }

  /** The message handler of the pcall/xpcall wrappers (break on all errors). */
  caught(L: number): number {
    const { ctx, breakpoints, stops } = this.#d;
    if (breakpoints.breakAll && !stops.stopped && !ctx.inHook && ctx.running !== 0) {
      if (pendingSignal(ctx.host.control) === Signal.none) {
        // Errors raised in the engine's own code are not the user's.
        if (this.#firstUserLevel(L) !== undefined) this.#stopOnError(L, true);
      }
    }
    return 1;
  }

  #firstUserLevel(L: number): number | undefined {
    const ctx = this.#d.ctx;
    const m = ctx.wasm;
    const ar = ctx.scratchAr;
    for (let level = 1; m._lua_getstack(L, level, ar) !== 0; level++) {
      m._lua_getinfo(L, ctx.cString("S"), ar);
      const what = ctx.readCString(m.HEAP32[(ar + AR_WHAT) >> 2]);
      if (what === "C") continue;
      const src = ctx.readCString(m.HEAP32[(ar + AR_SOURCE) >> 2]);
      return src.startsWith(INTERNAL_PREFIX) ? undefined : level;
    }
    return undefined;
  }

  #stopOnError(L: number, caught = false): void {
    const { ctx, values, stops } = this.#d;
    const message = values.tostring(L, 1);
    const lua = ctx.api.lua;
    lua.luaL_traceback(L, L, null, 1);
    const trace = ctx.api.str(L, -1) ?? "";
    lua.lua_settop(L, -2);
    stops.stop(L, 1, "exception", undefined, message, { message, trace }, caught);
  }
}
