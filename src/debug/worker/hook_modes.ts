/**
 * Which hook events the debugger needs, per Lua thread (its hook mask), and the modes that
 * decide it: a step over or out (line events in frames at or above the step's depth), a step
 * in or a pause (line events everywhere), a function breakpoint about to stop at its first
 * line. Line breakpoints alone need line events only, which the patched VM skips in
 * functions marked plain (engine/vm/line_trap.ts).
 *
 * Each change of mode writes into the hook filter's configuration in wasm memory whether
 * every event must reach JavaScript (`#writeFilterMode`): the verbs below say so.
 */
import { HookMask, LUA_REGISTRYINDEX, LuaStatus } from "../../engine/vm/lua_h.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import type { ProtoInfo } from "./prototypes.ts";
import type { DebuggerParts } from "./parts.ts";
import { INTERNAL_PREFIX } from "./context.ts";

const REG = LUA_REGISTRYINDEX;
/** The count of the hook mask the debugger installs (a count event is only a poke's). */
export const HOOK_COUNT = 1000;
const { AR_CI } = Lua;

export const StepMode = { none: 0, over: 1, out: 2 } as const;

/** A function breakpoint hit at a call: it stops at the function's first line. */
export interface PendingFunctionStop {
  L: number;
  ci: number;
  id: number;
}

export class HookModes {
  readonly #d: DebuggerParts;
  /** Step in: stop at the next line anywhere. */
  #everyLine = false;
  #pausePending = false;
  #pauseReason = "pause";
  /** A pause asked for before a run: it stops at the run's first line. */
  #entryPending = false;
  #stepMode: number = StepMode.none;
  /** The thread being stepped, and a registry ref that keeps it alive. */
  #stepThread = 0;
  #stepThreadRef = 0;
  /** A step stops at a line in a frame at this depth or above. */
  #stepDepth = 0;
  #pendingFunction: PendingFunctionStop | undefined;
  /** The frame a step out leaves has returned: the caller's return ends the step too. */
  #stepReturned = false;
  /** A registry ref to the weak table of every coroutine (lua.ts records them). */
  threadsRef = 0;
  /**
   * Some thread may have a hook mask other than a poke's count event. False after applyAll
   * found no thread needing events: until a mask is set again, applyAll has nothing to do
   * while nothing needs events, so a cell costs no walk over the threads (the kernel runs
   * every cell under the debugger).
   */
  #hooked = true;

  constructor(parts: DebuggerParts) {
    this.#d = parts;
  }

  get everyLine(): boolean {
    return this.#everyLine;
  }
  get pausePending(): boolean {
    return this.#pausePending;
  }
  get pauseReason(): string {
    return this.#pauseReason;
  }
  get stepMode(): number {
    return this.#stepMode;
  }
  get stepThread(): number {
    return this.#stepThread;
  }
  get stepDepth(): number {
    return this.#stepDepth;
  }
  get pendingFunction(): PendingFunctionStop | undefined {
    return this.#pendingFunction;
  }
  get stepReturned(): boolean {
    return this.#stepReturned;
  }

  /** The frame a step out leaves has returned into its caller. */
  markStepReturned(): void {
    this.#stepReturned = true;
  }

  /** Steps, pauses and function breakpoints: every call, return and line event is needed. */
  get #everyEvent(): boolean {
    return this.#d.breakpoints.functionCount > 0 || this.#stepMode !== StepMode.none ||
      this.#everyLine || this.#pausePending || this.#pendingFunction !== undefined;
  }

  /** Writes the filter's "every event to JavaScript" flag (wasm memory) from the modes. */
  #writeFilterMode(): void {
    this.#d.filter.writeForwardAll(this.#everyEvent);
  }

  /** The function breakpoints changed: rewrites the filter's mode. */
  functionBreakpointsChanged(): void {
    this.#writeFilterMode();
  }

  /** Starts a step in; rewrites the filter's mode. */
  startStepIn(): void {
    this.#everyLine = true;
    this.#writeFilterMode();
  }

  /** Starts a step over or out of thread `L` down to `depth`; rewrites the filter's mode. */
  startStep(mode: number, L: number, depth: number): void {
    const lua = this.#d.ctx.api.lua;
    this.#stepMode = mode;
    this.#writeFilterMode();
    this.#stepThread = L;
    lua.lua_pushthread(L);
    this.#stepThreadRef = lua.luaL_ref(L, REG);
    this.#stepDepth = depth;
  }

  /** A step over a tail call: the frame it replaces is gone, so the step's depth goes up. */
  lowerStepDepth(depth: number): void {
    this.#stepDepth = depth;
  }

  /** Ends a step (over, out or in); rewrites the filter's mode. */
  clearStep(): void {
    this.#stepReturned = false;
    this.#stepMode = StepMode.none;
    this.#everyLine = false;
    this.#writeFilterMode();
    this.#stepThread = 0;
    if (this.#stepThreadRef !== 0) {
      this.#d.ctx.api.lua.luaL_unref(this.#d.ctx.host.L0, REG, this.#stepThreadRef);
      this.#stepThreadRef = 0;
    }
  }

  /** Stops at the next line (`reason` for the stopped event); rewrites the filter's mode. */
  requestPause(reason: string): void {
    this.#pausePending = true;
    this.#writeFilterMode();
    this.#pauseReason = reason;
  }

  /** Drops a pending pause; rewrites the filter's mode. */
  clearPause(): void {
    this.#pausePending = false;
    this.#writeFilterMode();
  }

  /** Sets or clears the function breakpoint to stop at; rewrites the filter's mode. */
  setPendingFunction(stop: PendingFunctionStop | undefined): void {
    this.#pendingFunction = stop;
    this.#writeFilterMode();
  }

  /** A pause before a run: the next run stops at its first line. */
  armEntryPause(): void {
    this.#entryPending = true;
  }

  /** Takes back a pause before a run. */
  disarmEntryPause(): void {
    this.#entryPending = false;
  }

  /** At a run's start: turns a pause asked for before it into a pending pause. */
  takeEntryPause(): void {
    if (!this.#entryPending) return;
    this.#entryPending = false;
    this.requestPause("entry");
  }

  /**
   * A thread's hook mask. Steps, pauses and function breakpoints need every call and return,
   * and line events as `lineOn` says. Line breakpoints alone need line events only: with the
   * line mask alone, the patched VM (engine/vm/line_trap.ts) runs functions marked plain without
   * them.
   */
  threadMask(lineOn: boolean): number {
    if (this.#everyEvent) return HookMask.call | HookMask.ret | (lineOn ? HookMask.line : 0);
    return this.#d.breakpoints.hasLineBreakpoints ? HookMask.line : 0;
  }

  /** No thread needs any event: no step, pause or breakpoint. */
  get #quiet(): boolean {
    return !this.#everyEvent && !this.#d.breakpoints.hasLineBreakpoints;
  }

  /** A mask other than a poke's may have been set on some thread (see #hooked). */
  markHooked(): void {
    this.#hooked = true;
  }

  /** Sets `L`'s mask for line events on or off, keeping a pending poke's count event. */
  setLine(L: number, on: boolean): void {
    const m = this.#d.ctx.wasm;
    const mask = this.threadMask(on);
    const cur = m.HEAPU8[L + Lua.L_HOOKMASK];
    if ((cur & ~HookMask.count) !== mask) {
      if (mask !== 0) this.#hooked = true;
      m._lua_sethook(
        L,
        this.#d.filter.hookPtr,
        mask | (cur & HookMask.count),
        cur & HookMask.count ? 1 : 0,
      );
    }
  }

  /** Whether a function (`info`, running in `ci` of thread `L`) needs its line events. */
  wantLine(L: number, info: ProtoInfo | null, ci: number): boolean {
    if (info === null) return false;
    if (this.#everyLine || this.#pausePending || this.#pendingFunction !== undefined) return true;
    if (info.bps !== null) return true;
    if (this.#stepMode !== StepMode.none) {
      if (L === this.#stepThread) return this.#d.ctx.depth(ci) <= this.#stepDepth;
      return this.stepThreadLeft();
    }
    return false;
  }

  /** Whether the function running now in `L` needs its line events. */
  wantLineNow(L: number): boolean {
    const { ctx, prototypes } = this.#d;
    const ar = ctx.scratchAr;
    if (ctx.wasm._lua_getstack(L, 0, ar) === 0) return false;
    const ci = ctx.wasm.HEAP32[(ar + AR_CI) >> 2];
    return this.wantLine(L, prototypes.infoOf(L, ci, ar), ci);
  }

  /**
   * The stepped thread has ended or is suspended: a step stops in any thread then. Not a
   * workflow's branch waiting for its call's answer (it yielded to the scheduler until the
   * answer comes): to the script that is a call like any, so the step goes on in the branch
   * when it is resumed, as over a call that blocks.
   */
  stepThreadLeft(): boolean {
    const L = this.#stepThread;
    if (L === 0) return false;
    const { ctx } = this.#d;
    const m = ctx.wasm;
    const status = m._lua_status(L);
    if (status === LuaStatus.yield) return !this.#waitsForAnswer(L);
    if (status !== LuaStatus.ok) return true;
    return m._lua_getstack(L, 0, ctx.spareAr) === 0;
  }

  /**
   * Whether suspended thread `L` waits for a host call's answer: it yielded from the host-call
   * C function (a branch's call), or the engine's own Lua yielded it (a nested parallel
   * workflow's scheduler, which waits for its branches' answers through the enclosing one).
   */
  #waitsForAnswer(L: number): boolean {
    const { ctx } = this.#d;
    const lua = ctx.api.lua;
    const m = ctx.wasm;
    const ar = ctx.spareAr;
    if (m._lua_getstack(L, 0, ar) === 0 || !lua.lua_checkstack(L, 1)) return false;
    ctx.pushFunction(L, ar);
    const fn = lua.lua_tocfunction(L, -1);
    lua.lua_settop(L, -2);
    if (fn !== 0 && fn === ctx.host.hostCall) return true;
    if (m._lua_getstack(L, 1, ar) === 0) return false;
    m._lua_getinfo(L, ctx.cString("S"), ar);
    return ctx.readCString(m.HEAP32[(ar + Lua.AR_SOURCE) >> 2]).startsWith(INTERNAL_PREFIX);
  }

  /** Re-applies hook masks to every known thread after a change of mode. */
  applyAll(L: number): void {
    // Every thread's mask is already none (a new thread takes the main state's, none too).
    if (!this.#hooked && this.#quiet) return;
    const { ctx, prototypes } = this.#d;
    const lua = ctx.api.lua;
    const m = ctx.wasm;
    const L0 = ctx.host.L0;
    const ar = ctx.scratchAr;
    const threads: number[] = [L0];
    lua.lua_rawgeti(L, REG, BigInt(this.threadsRef));
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      lua.lua_settop(L, -2);
      threads.push(lua.lua_tothread(L, -1));
    }
    lua.lua_settop(L, -2);
    let hooked = false;
    for (const t of threads) {
      let line = false;
      if (this.#everyLine || this.#pausePending) line = t !== L0;
      else if (t !== L0 && m._lua_getstack(t, 0, ar) !== 0) {
        const ci = m.HEAP32[(ar + AR_CI) >> 2];
        line = this.wantLine(t, prototypes.infoOf(t, ci, ar), ci);
      }
      const mask = this.threadMask(line);
      if (mask !== 0) hooked = true;
      m._lua_sethook(t, this.#d.filter.hookPtr, mask, HOOK_COUNT);
    }
    this.#hooked = hooked;
  }

  /** The main state's mask between executions (breakpoints only, no line events). */
  applyIdle(): void {
    const { ctx, filter } = this.#d;
    const mask = this.threadMask(false);
    if (mask !== 0) this.#hooked = true;
    ctx.wasm._lua_sethook(ctx.host.L0, filter.hookPtr, mask, HOOK_COUNT);
  }
}
