/**
 * The debugger's JavaScript hook: the events the hook filter (hook_filter.ts) passes on.
 * A count event is a poke (engine/vm/poke.ts: a request or a signal); calls and returns keep
 * each thread's line events on only where needed (hook_modes.ts) and check function
 * breakpoints; a line event stops for a pause, a step, or a breakpoint on it.
 */
import { isLuaUnwind } from "../../engine/vm/capi.ts";
import { HookMask } from "../../engine/vm/lua_h.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import { Control, pendingSignal, Signal } from "../../engine/shared/protocol.ts";
import { StepMode } from "./hook_modes.ts";
import type { ProtoInfo } from "./prototypes.ts";
import type { DebuggerParts } from "./parts.ts";

const { AR_CI, AR_CURRENTLINE, CI_PREVIOUS, EV_RET, EV_LINE, EV_COUNT, EV_TAILCALL } = Lua;

export class DebugHook {
  readonly #d: DebuggerParts;

  constructor(parts: DebuggerParts) {
    this.#d = parts;
  }

  /** Lua's hook call (through the filter): event `ar` in thread `L`. */
  onEvent(L: number, ar: number): void {
    try {
      const h32 = this.#d.ctx.wasm.HEAP32;
      const ev = h32[(ar + Lua.AR_EVENT) >> 2];
      if (ev === EV_LINE) this.#onLine(L, ar, h32);
      else if (ev === EV_COUNT) this.#onCount(L);
      else if (ev === EV_RET) this.#onReturn(L, ar, h32);
      else this.#onCall(L, ar, h32, ev === EV_TAILCALL);
    } catch (e) {
      if (isLuaUnwind(e)) throw e;
      this.#d.ctx.output(
        `debugger error: ${e instanceof Error ? e.stack ?? e.message : e}\n`,
        "stderr",
      );
    }
  }

  /** A count event: a poke (engine/vm/poke.ts) for a debugger request or a signal. */
  #onCount(L: number): void {
    const { ctx, requests, filter } = this.#d;
    const c = ctx.host.control;
    ctx.host.sample(L);
    if (Atomics.load(c, Control.debug) !== 0) requests.serveRunning(L);
    if (pendingSignal(c) !== Signal.none) {
      ctx.host.countHook(L);
      return;
    }
    // Served: the poke's count event is not needed any more.
    const m = ctx.wasm;
    const mask = m.HEAPU8[L + Lua.L_HOOKMASK];
    if (mask & HookMask.count) m._lua_sethook(L, filter.hookPtr, mask & ~HookMask.count, 0);
  }

  #onCall(L: number, ar: number, h32: Int32Array, tail: boolean): void {
    const { ctx, breakpoints, hits, modes, prototypes } = this.#d;
    const c = ctx.host.control;
    // Hook masks change on calls, which restarts the instruction count: check here too.
    if (Atomics.load(c, Control.debug) !== 0 || pendingSignal(c) !== 0) {
      this.#onCount(L);
    }
    const ci = h32[(ar + AR_CI) >> 2];
    if (breakpoints.functionCount > 0) hits.checkCall(L, ar, ci);
    if (tail && modes.stepMode === StepMode.over && L === modes.stepThread) {
      const d = ctx.depth(ci);
      if (d <= modes.stepDepth) modes.lowerStepDepth(d - 1);
    }
    modes.setLine(L, modes.wantLine(L, prototypes.infoOf(L, ci, ar), ci));
  }

  #onReturn(L: number, ar: number, h32: Int32Array): void {
    const { ctx, modes, prototypes } = this.#d;
    const ci = h32[(ar + AR_CI) >> 2];
    if (modes.stepMode === StepMode.out && L === modes.stepThread && this.#stepOutEnds(L, ar, ci)) {
      return;
    }
    const prev = h32[(ci + CI_PREVIOUS) >> 2];
    if (prev === 0) {
      modes.setLine(L, false);
      return;
    }
    let info: ProtoInfo | null = null;
    if (ctx.proto(prev) !== 0) {
      if (ctx.wasm._lua_getstack(L, 1, ctx.scratchAr) === 0) return;
      info = prototypes.infoOf(L, prev, ctx.scratchAr);
    }
    modes.setLine(L, modes.wantLine(L, info, prev));
  }

  /**
   * A return during a step out. The frame stepped out of returning (or the one it tail
   * called): from now on the caller's next line ends the step (a line event), and so does the
   * caller's own return if it comes first, on the line of the call (`return n * f(n - 1)`:
   * Lua gives no line event on a return to the same line, so the step would otherwise run
   * on to a line of some caller further up, or to the end). True when it stopped.
   */
  #stepOutEnds(L: number, ar: number, ci: number): boolean {
    const { ctx, modes, prototypes, stops } = this.#d;
    const depth = ctx.depth(ci);
    if (depth === modes.stepDepth + 1) modes.markStepReturned();
    else if (modes.stepReturned && depth <= modes.stepDepth) {
      const info = prototypes.infoOf(L, ci, ar);
      if (info !== null && !info.internal) {
        stops.stop(L, 0, "step");
        return true;
      }
    }
    return false;
  }

  #onLine(L: number, ar: number, h32: Int32Array): void {
    const { ctx, modes, prototypes, stops, hits } = this.#d;
    const ci = h32[(ar + AR_CI) >> 2];
    const info = prototypes.infoOf(L, ci, ar);
    if (info === null || info.internal) return;
    if (modes.pausePending) {
      stops.stop(L, 0, modes.pauseReason);
      return;
    }
    const fn = modes.pendingFunction;
    if (fn && fn.L === L && fn.ci === ci) {
      modes.setPendingFunction(undefined);
      stops.stop(L, 0, "function breakpoint", [fn.id]);
      return;
    }
    if (modes.everyLine) {
      stops.stop(L, 0, "step");
      return;
    }
    if (modes.stepMode !== StepMode.none) {
      if (L === modes.stepThread) {
        if (ctx.depth(ci) <= modes.stepDepth) {
          stops.stop(L, 0, "step");
          return;
        }
      } else if (modes.stepThreadLeft()) {
        stops.stop(L, 0, "step");
        return;
      }
    }
    if (info.bps !== null) {
      const bp = info.bps.get(h32[(ar + AR_CURRENTLINE) >> 2]);
      if (bp !== undefined) hits.lineReached(L, ar, ci, bp);
      return;
    }
    if (!modes.wantLine(L, info, ci)) modes.setLine(L, false);
  }
}
