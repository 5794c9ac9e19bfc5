/**
 * The debugger core, in the engine worker (docs/architecture.md, The debugger). It speaks DAP:
 * requests arrive through a shared-memory channel (channel.ts) and responses and events leave
 * with postMessage.
 *
 * Hooks are C-level: a wasm filter (hook_filter.ts) in the function table, which passes
 * on to #hook only the events that need the debugger:
 * - no breakpoint, step or pause: no hook (requests while Lua runs arrive by a poke, see
 *   engine/poke.ts, which sets a count event until the hook has served them);
 * - line breakpoints: line events only; the patched VM (engine/line_trap.ts) runs functions
 *   whose prototype the debugger marked plain (no breakpoint line) without them, so each
 *   prototype is looked at once, at its first line event; the prototype is found by reading
 *   the CallInfo and closure in wasm memory (engine/lua_layout.ts) and cached per Proto;
 * - function breakpoints: call and return events;
 * - step over/out: line events only in frames at or above the step's depth;
 * - step in and pause: line events everywhere.
 * A stop blocks inside the hook with Atomics.wait and answers requests from the channel.
 */
import { cString } from "../engine/libc_env.ts";
import type { LuaModule } from "../engine/lua_wasm.ts";
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import * as path from "../posix_path.ts";
import { type CApi, isLuaUnwind } from "../engine/capi.ts";
import { HookMask, LUA_REGISTRYINDEX, LuaStatus, LuaTypeId } from "../engine/lua_h.ts";
import type { RingWriter } from "../engine/output_ring.ts";
import * as Lua from "../engine/lua_layout.ts";
import { Control, ECHO_GUARD, pendingSignal, raiseSignal, Signal } from "../engine/protocol.ts";
import { lastLineAsReturn } from "../engine/echo.ts";
import { codeLines, nextCodeLine } from "./bytecode.ts";
import { compileFastCondition, type FastCondition } from "./fast_condition.ts";
import { HookFilter } from "./hook_filter.ts";
import { takeRequest, waitRequest } from "./channel.ts";
import { type HitTest, parseHitCondition, parseLogMessage } from "./hit.ts";
import { DEBUG_LUA } from "./lua.ts";

const REG = LUA_REGISTRYINDEX;
const HOOK_COUNT = 1000;

const { AR_SIZE, AR_NAME, AR_NAMEWHAT, AR_WHAT, AR_SOURCE, AR_CURRENTLINE } = Lua;
const { AR_LINEDEFINED, AR_ISTAILCALL, AR_CI, CI_PREVIOUS, TV_TT } = Lua;
const { LUA_VLCL_COLLECTABLE, LCL_PROTO, EV_RET, EV_LINE, EV_COUNT, EV_TAILCALL } = Lua;
const { GC_MARKED, PROTO_PLAIN_BIT } = Lua;

const INTERNAL_PREFIX = "=[llmspell";

export interface DebuggerHost {
  api: CApi;
  /** The engine's shared wasm memory (the hook filter imports it). */
  memory: WebAssembly.Memory;
  /** The main Lua state. */
  L0: number;
  control: Int32Array;
  channel: SharedArrayBuffer;
  out: RingWriter;
  post(message: DP.ProtocolMessage): void;
  /** The runtime's interrupt check (raises on a pending signal). */
  countHook(L: number): void;
  envRef: number;
  formatRef: number;
  cwd: string;
}

interface LineBp {
  id: number;
  line: number;
  condition?: string;
  hit?: HitTest;
  log?: { text: string[]; exprs: string[] };
  hits: number;
  /** Compile or run error of the condition/log message, reported once. */
  reported: boolean;
  /**
   * Compiled condition or log message per code position (savedpc): a registry ref to a
   * Lua function of the frame's `n` locals, and for a simple comparison a reader of the
   * registers (fast_condition.ts).
   */
  compiled: Map<number, { ref: number; n: number; fast?: FastCondition }>;
  error?: string;
}

interface FnBp {
  id: number;
  name: string;
  /** Last component and, for `a.b`/`a:b`, the path to resolve. */
  last: string;
  path: string[];
  condition?: string;
  hit?: HitTest;
  hits: number;
}

interface ProtoInfo {
  internal: boolean;
  /** Breakpoints on this prototype's own code lines, or null. */
  bps: Map<number, LineBp> | null;
}

interface Frame {
  id: number;
  ar: number;
  level: number;
  name: string;
  source?: DP.Source;
  line: number;
  isC: boolean;
}

type Handle =
  | { kind: "locals"; frame: Frame }
  | { kind: "upvalues"; frame: Frame }
  | { kind: "globals"; frame: Frame; userOnly?: boolean }
  | { kind: "value"; slot: number };

const StepMode = { none: 0, over: 1, out: 2 } as const;

const encoder = new TextEncoder();

export class WorkerDebugger {
  readonly #h: DebuggerHost;
  readonly #api: CApi;
  readonly #m: LuaModule;
  /** The lua_Hook: the wasm filter in front of #hook (hook_filter.ts). */
  readonly hookPtr: number;
  readonly #filter: HookFilter;
  readonly #cs = new Map<string, number>();
  readonly #tmpAr: number;
  readonly #condAr: number;

  #threadsRef = 0;
  #setAllRef = 0;
  #pinsRef = 0;
  #builtins = new Set<string>();

  // Breakpoints.
  #nextBpId = 1;
  readonly #lineBps = new Map<string, Map<number, LineBp>>();
  #fnBpsV: FnBp[] = [];
  #breakUncaught = false;
  #breakAll = false;
  readonly #protos = new Map<number, ProtoInfo>();
  #pinCount = 0;
  readonly #keys = new Map<string, string>();
  readonly #linesCache = new Map<string, Set<number> | string>();

  // Run state.
  #T = 0;
  #lineAllV = false;
  #pausePendingV = false;
  #pauseReason = "pause";
  #entryPending = false;
  #stepModeV: number = StepMode.none;
  #stepL = 0;
  #stepLRef = 0;
  #stepDepth = 0;
  #pendingFnV: { L: number; ci: number; id: number } | undefined;

  // The modes in which every hook event goes to #hook: setting one tells the filter.
  get #fnBps(): FnBp[] {
    return this.#fnBpsV;
  }
  set #fnBps(v: FnBp[]) {
    this.#fnBpsV = v;
    this.#syncFilter();
  }
  get #lineAll(): boolean {
    return this.#lineAllV;
  }
  set #lineAll(v: boolean) {
    this.#lineAllV = v;
    this.#syncFilter();
  }
  get #pausePending(): boolean {
    return this.#pausePendingV;
  }
  set #pausePending(v: boolean) {
    this.#pausePendingV = v;
    this.#syncFilter();
  }
  get #stepMode(): number {
    return this.#stepModeV;
  }
  set #stepMode(v: number) {
    this.#stepModeV = v;
    this.#syncFilter();
  }
  get #pendingFn(): { L: number; ci: number; id: number } | undefined {
    return this.#pendingFnV;
  }
  set #pendingFn(v: { L: number; ci: number; id: number } | undefined) {
    this.#pendingFnV = v;
    this.#syncFilter();
  }

  /** Steps, pauses and function breakpoints: every call, return and line event is needed. */
  get #everyEvent(): boolean {
    return this.#fnBpsV.length > 0 || this.#stepModeV !== StepMode.none || this.#lineAllV ||
      this.#pausePendingV || this.#pendingFnV !== undefined;
  }

  #syncFilter(): void {
    this.#filter.forwardAll = this.#everyEvent;
  }
  #terminate = false;
  /** Logpoints as output events (a DAP session) instead of the program's stdout. */
  #logEvents = false;

  /** Line breakpoints in some file: the line mask is then on (see #threadMask). */
  get #hasLineBps(): boolean {
    for (const m of this.#lineBps.values()) if (m.size > 0) return true;
    return false;
  }

  // Stopped state.
  #stopped: { L: number; frames: Frame[]; exception?: { message: string; trace: string } } | null =
    null;
  #refsRef = 0;
  #refSlots = 0;
  #handles = new Map<number, Handle>();
  #nextHandle = 1;
  #inHook = false;

  constructor(host: DebuggerHost) {
    this.#h = host;
    this.#api = host.api;
    this.#m = host.api.lua.module;
    this.#tmpAr = this.#m._malloc(AR_SIZE);
    this.#condAr = this.#m._malloc(AR_SIZE);
    this.#filter = new HookFilter(
      this.#m,
      host.memory,
      (f) => host.api.wasmHook(f),
      (L, ar) => this.#hook(L, ar),
    );
    this.hookPtr = this.#filter.hookPtr;
    this.#setupLua();
  }

  // ── set-up ────────────────────────────────────────────────────────────────────────────

  #cstr(s: string): number {
    let p = this.#cs.get(s);
    if (p === undefined) {
      const b = encoder.encode(s);
      p = this.#m._malloc(b.length + 1);
      this.#m.HEAPU8.set(b, p);
      this.#m.HEAPU8[p + b.length] = 0;
      this.#cs.set(s, p);
    }
    return p;
  }

  #readCString(p: number): string {
    return p === 0 ? "" : cString(this.#m.HEAPU8, p);
  }

  #setupLua(): void {
    const api = this.#api;
    const lua = api.lua;
    const L = this.#h.L0;
    lua.lua_createtable(L, 0, 0);
    lua.lua_createtable(L, 0, 1);
    api.pushString(L, "k");
    lua.lua_setfield(L, -2, "__mode");
    lua.lua_setmetatable(L, -2);
    this.#threadsRef = lua.luaL_ref(L, REG);
    lua.lua_createtable(L, 0, 0);
    this.#pinsRef = lua.luaL_ref(L, REG);
    lua.lua_createtable(L, 0, 0);
    this.#refsRef = lua.luaL_ref(L, REG);

    if (api.load(L, DEBUG_LUA, "=[llmspell debug]") !== LuaStatus.ok) {
      throw new Error(`debugger setup failed: ${api.str(L, -1)}`);
    }
    lua.lua_rawgeti(L, REG, BigInt(this.#h.envRef));
    lua.lua_rawgeti(L, REG, BigInt(this.#threadsRef));
    lua.lua_pushcclosure(L, api.cfunction((hL) => this.#onCaughtError(hL)), 0);
    if (lua.lua_pcallk(L, 3, 1, 0, 0, null) !== LuaStatus.ok) {
      throw new Error(`debugger setup failed: ${api.str(L, -1)}`);
    }
    this.#setAllRef = lua.luaL_ref(L, REG);

    // Names present before any user code ran: the Globals scope lists the others first.
    lua.lua_rawgeti(L, REG, BigInt(this.#h.envRef));
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      if (lua.lua_type(L, -2) === LuaTypeId.string) this.#builtins.add(api.str(L, -2) ?? "");
      lua.lua_settop(L, -2);
    }
    lua.lua_settop(L, -2);
  }

  // ── execution boundaries (called by the runtime) ──────────────────────────────────────

  beginExecute(T: number): void {
    this.#T = T;
    const lua = this.#api.lua;
    lua.lua_rawgeti(T, REG, BigInt(this.#threadsRef));
    lua.lua_pushthread(T);
    lua.lua_pushboolean(T, 1);
    lua.lua_rawset(T, -3);
    lua.lua_settop(T, -2);
    if (this.#entryPending) {
      this.#entryPending = false;
      this.#pausePending = true;
      this.#pauseReason = "entry";
    }
    this.#applyModes(T);
  }

  endExecute(): void {
    this.#T = 0;
    this.#clearStep();
    this.#pausePending = false;
    this.#pendingFn = undefined;
    this.#terminate = false;
    this.#m._lua_sethook(this.#h.L0, this.hookPtr, this.#threadMask(false), HOOK_COUNT);
    this.#releaseRefs(this.#h.L0);
  }

  /** A request arrived while the engine is idle (between executions). */
  serveIdle(): void {
    // Taken here: no poke needs to deliver it any more (handle.ts stops re-poking).
    Atomics.store(this.#h.control, Control.debug, 0);
    const req = takeRequest(this.#h.channel) as DP.Request | undefined;
    if (!req) return;
    let body: unknown;
    try {
      body = this.#handleIdle(req);
    } catch (e) {
      if (isLuaUnwind(e)) throw e;
      this.#respond(req, undefined, e instanceof Error ? e.message : String(e));
      return;
    }
    this.#respond(req, body);
  }

  // ── the hook ──────────────────────────────────────────────────────────────────────────

  #hook(L: number, ar: number): void {
    try {
      const h32 = this.#m.HEAP32;
      const ev = h32[(ar + Lua.AR_EVENT) >> 2];
      if (ev === EV_LINE) this.#onLine(L, ar, h32);
      else if (ev === EV_COUNT) this.#onCount(L);
      else if (ev === EV_RET) this.#onRet(L, ar, h32);
      else this.#onCall(L, ar, h32, ev === EV_TAILCALL);
    } catch (e) {
      if (isLuaUnwind(e)) throw e;
      this.#output(`debugger error: ${e instanceof Error ? e.stack ?? e.message : e}\n`, "stderr");
    }
  }

  /** A count event: a poke (engine/poke.ts) for a debugger request or a signal. */
  #onCount(L: number): void {
    const c = this.#h.control;
    if (Atomics.load(c, Control.debug) !== 0) this.#serveRunning(L);
    if (pendingSignal(c) !== Signal.none) {
      this.#h.countHook(L);
      return;
    }
    // Served: the poke's count event is not needed any more.
    const mask = this.#m.HEAPU8[L + Lua.L_HOOKMASK];
    if (mask & HookMask.count) this.#m._lua_sethook(L, this.hookPtr, mask & ~HookMask.count, 0);
  }

  #onCall(L: number, ar: number, h32: Int32Array, tail: boolean): void {
    const c = this.#h.control;
    // Hook masks change on calls, which restarts the instruction count: check here too.
    if (Atomics.load(c, Control.debug) !== 0 || pendingSignal(c) !== 0) {
      this.#onCount(L);
    }
    const ci = h32[(ar + AR_CI) >> 2];
    if (this.#fnBps.length > 0) this.#checkFunctionBps(L, ar, ci);
    if (tail && this.#stepMode === StepMode.over && L === this.#stepL) {
      const d = this.#depth(ci);
      if (d <= this.#stepDepth) this.#stepDepth = d - 1;
    }
    this.#setLine(L, this.#wantLine(L, this.#protoInfo(L, ci, ar), ci));
  }

  #onRet(L: number, ar: number, h32: Int32Array): void {
    const ci = h32[(ar + AR_CI) >> 2];
    const prev = h32[(ci + CI_PREVIOUS) >> 2];
    if (prev === 0) {
      this.#setLine(L, false);
      return;
    }
    let info: ProtoInfo | null = null;
    if (this.#proto(prev) !== 0) {
      if (this.#m._lua_getstack(L, 1, this.#tmpAr) === 0) return;
      info = this.#protoInfo(L, prev, this.#tmpAr);
    }
    this.#setLine(L, this.#wantLine(L, info, prev));
  }

  #onLine(L: number, ar: number, h32: Int32Array): void {
    const ci = h32[(ar + AR_CI) >> 2];
    const info = this.#protoInfo(L, ci, ar);
    if (info === null || info.internal) return;
    if (this.#pausePending) {
      this.#stop(L, 0, this.#pauseReason);
      return;
    }
    const fn = this.#pendingFn;
    if (fn && fn.L === L && fn.ci === ci) {
      this.#pendingFn = undefined;
      this.#stop(L, 0, "function breakpoint", [fn.id]);
      return;
    }
    if (this.#lineAll) {
      this.#stop(L, 0, "step");
      return;
    }
    if (this.#stepMode !== StepMode.none) {
      if (L === this.#stepL) {
        if (this.#depth(ci) <= this.#stepDepth) {
          this.#stop(L, 0, "step");
          return;
        }
      } else if (this.#stepThreadLeft()) {
        this.#stop(L, 0, "step");
        return;
      }
    }
    if (info.bps !== null) {
      const bp = info.bps.get(h32[(ar + AR_CURRENTLINE) >> 2]);
      if (bp !== undefined) this.#hitLineBp(L, ar, ci, bp);
      return;
    }
    if (!this.#wantLine(L, info, ci)) this.#setLine(L, false);
  }

  // ── hook helpers ──────────────────────────────────────────────────────────────────────

  /**
   * A thread's hook mask. Steps, pauses and function breakpoints need every call and return,
   * and line events as `lineOn` says. Line breakpoints alone need line events only: with the
   * line mask alone, the patched VM (engine/line_trap.ts) runs functions marked plain without
   * them.
   */
  #threadMask(lineOn: boolean): number {
    if (this.#everyEvent) return HookMask.call | HookMask.ret | (lineOn ? HookMask.line : 0);
    return this.#hasLineBps ? HookMask.line : 0;
  }

  /** Sets `L`'s mask for line events on or off, keeping a pending poke's count event. */
  #setLine(L: number, on: boolean): void {
    const mask = this.#threadMask(on);
    const cur = this.#m.HEAPU8[L + Lua.L_HOOKMASK];
    if ((cur & ~HookMask.count) !== mask) {
      this.#m._lua_sethook(
        L,
        this.hookPtr,
        mask | (cur & HookMask.count),
        cur & HookMask.count ? 1 : 0,
      );
    }
  }

  #wantLine(L: number, info: ProtoInfo | null, ci: number): boolean {
    if (info === null) return false;
    if (this.#lineAll || this.#pausePending || this.#pendingFn !== undefined) return true;
    if (info.bps !== null) return true;
    if (this.#stepMode !== StepMode.none) {
      if (L === this.#stepL) return this.#depth(ci) <= this.#stepDepth;
      return this.#stepThreadLeft();
    }
    return false;
  }

  #depth(ci: number): number {
    const h32 = this.#m.HEAP32;
    let d = 0;
    while (ci !== 0) {
      d++;
      ci = h32[(ci + CI_PREVIOUS) >> 2];
    }
    return d;
  }

  /** The Proto of the Lua function running in `ci`, or 0 for a C function. */
  #proto(ci: number): number {
    const h32 = this.#m.HEAP32;
    const func = h32[ci >> 2];
    if (this.#m.HEAPU8[func + TV_TT] !== LUA_VLCL_COLLECTABLE) return 0;
    return h32[(h32[func >> 2] + LCL_PROTO) >> 2];
  }

  /** Per-prototype facts, computed once per prototype (`ar` must describe `ci`). */
  #protoInfo(L: number, ci: number, ar: number): ProtoInfo | null {
    const p = this.#proto(ci);
    if (p === 0) return null;
    const hit = this.#protos.get(p);
    if (hit !== undefined) return hit;
    const m = this.#m;
    const lua = this.#api.lua;
    m._lua_getinfo(L, this.#cstr("Sf"), ar);
    const source = this.#readCString(m.HEAP32[(ar + AR_SOURCE) >> 2]);
    // Pin the closure so that its Proto (the cache key) cannot be freed and reused.
    lua.lua_rawgeti(L, REG, BigInt(this.#pinsRef));
    lua.lua_rotate(L, -2, 1);
    lua.lua_rawseti(L, -2, BigInt(++this.#pinCount));
    lua.lua_settop(L, -2);
    const internal = source.startsWith(INTERNAL_PREFIX);
    let bps: Map<number, LineBp> | null = null;
    const fileBps = internal ? undefined : this.#lineBps.get(this.#keyOf(source));
    if (fileBps && fileBps.size > 0) {
      m._lua_getinfo(L, this.#cstr("L"), ar);
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
    this.#protos.set(p, info);
    // Pinned above, so the mark cannot outlive the Proto; #invalidate clears it.
    if (bps === null) m.HEAPU8[p + GC_MARKED] |= PROTO_PLAIN_BIT;
    else this.#filter.markBreakpoints(p);
    return info;
  }

  #stepThreadLeft(): boolean {
    const L = this.#stepL;
    if (L === 0) return false;
    if (this.#m._lua_status(L) !== LuaStatus.ok) return true;
    return this.#m._lua_getstack(L, 0, this.#condAr) === 0;
  }

  #clearStep(): void {
    this.#stepMode = StepMode.none;
    this.#lineAll = false;
    this.#stepL = 0;
    if (this.#stepLRef !== 0) {
      this.#api.lua.luaL_unref(this.#h.L0, REG, this.#stepLRef);
      this.#stepLRef = 0;
    }
  }

  /** Re-applies hook masks to every known thread after a change of mode. */
  #applyModes(L: number): void {
    const lua = this.#api.lua;
    const m = this.#m;
    const threads: number[] = [this.#h.L0];
    lua.lua_rawgeti(L, REG, BigInt(this.#threadsRef));
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      lua.lua_settop(L, -2);
      threads.push(lua.lua_tothread(L, -1));
    }
    lua.lua_settop(L, -2);
    for (const t of threads) {
      let line = false;
      if (this.#lineAll || this.#pausePending) line = t !== this.#h.L0;
      else if (t !== this.#h.L0 && m._lua_getstack(t, 0, this.#tmpAr) !== 0) {
        const ci = m.HEAP32[(this.#tmpAr + AR_CI) >> 2];
        line = this.#wantLine(t, this.#protoInfo(t, ci, this.#tmpAr), ci);
      }
      m._lua_sethook(t, this.hookPtr, this.#threadMask(line), HOOK_COUNT);
    }
  }

  // ── breakpoints ───────────────────────────────────────────────────────────────────────

  #keyOf(source: string): string {
    let k = this.#keys.get(source);
    if (k === undefined) {
      k = source.startsWith("@") ? this.#normPath(source.slice(1)) : source;
      this.#keys.set(source, k);
    }
    return k;
  }

  #normPath(p: string): string {
    const abs = path.resolve(this.#h.cwd, p);
    try {
      return Deno.realPathSync(abs);
    } catch {
      return abs;
    }
  }

  /** Code lines of a file on disk, or an error message. */
  #codeLinesOf(key: string, L: number): Set<number> | string {
    const cached = this.#linesCache.get(key);
    if (cached !== undefined) return cached;
    let result: Set<number> | string;
    let src: string;
    try {
      src = Deno.readTextFileSync(key);
    } catch (e) {
      result = e instanceof Deno.errors.NotFound ? "file not found" : String(e);
      return result;
    }
    const api = this.#api;
    const lua = api.lua;
    const top = lua.lua_gettop(L);
    try {
      let status = api.load(L, src.replace(/^#![^\n]*/, ""), "@" + key);
      const last = status !== LuaStatus.ok ? lastLineAsReturn(src) : undefined;
      if (last !== undefined) {
        // A kernel cell's dumped file that ends in an expression: compiled as the kernel
        // runs it (the last line returned), whose code lines are the same.
        const asRun = api.load(L, last.chunk, "@" + key);
        if (asRun === LuaStatus.ok) {
          lua.lua_rotate(L, -2, 1);
          lua.lua_settop(L, -2);
          status = asRun;
        } else lua.lua_settop(L, -2);
      }
      if (status !== LuaStatus.ok) {
        result = `syntax error: ${api.str(L, -1)}`;
      } else {
        lua.lua_getglobal(L, "string");
        lua.lua_getfield(L, -1, "dump");
        lua.lua_pushvalue(L, -3);
        if (lua.lua_pcallk(L, 1, 1, 0, 0, null) !== LuaStatus.ok) {
          result = `cannot read code lines: ${api.str(L, -1)}`;
        } else result = codeLines(api.bytes(L, -1) ?? new Uint8Array());
      }
    } finally {
      lua.lua_settop(L, top);
    }
    this.#linesCache.set(key, result);
    return result;
  }

  #setBreakpoints(L: number, args: DP.SetBreakpointsArguments): DP.SetBreakpointsResponse["body"] {
    const src = args.source.path ?? args.source.name ?? "";
    const key = args.source.path ? this.#normPath(args.source.path) : src;
    this.#linesCache.delete(key);
    const lines = args.source.path ? this.#codeLinesOf(key, L) : undefined;
    const old = this.#lineBps.get(key) ?? new Map<number, LineBp>();
    const map = new Map<number, LineBp>();
    const out: DP.Breakpoint[] = [];
    for (const sb of args.breakpoints ?? []) {
      let line = sb.line;
      let message: string | undefined;
      let verified = true;
      if (typeof lines === "string") {
        verified = false;
        message = lines === "file not found"
          ? "file not found now; the breakpoint binds when a chunk with this path loads"
          : lines;
      } else if (lines) {
        const next = nextCodeLine(lines, sb.line);
        if (next === undefined) {
          verified = false;
          message = `no code at or after line ${sb.line}`;
        } else if (next !== sb.line) {
          line = next;
          message = `moved from line ${sb.line} to ${next} (the next line with code)`;
        }
      }
      const prev = old.get(line);
      const same = prev && prev.condition === sb.condition && !sb.hitCondition && !sb.logMessage &&
        !prev.hit && !prev.log;
      const bp: LineBp = same ? prev : {
        id: prev?.id ?? this.#nextBpId++,
        line,
        condition: sb.condition?.trim() || undefined,
        hits: 0,
        reported: false,
        compiled: new Map(),
      };
      if (!same) {
        if (sb.hitCondition?.trim()) {
          const h = parseHitCondition(sb.hitCondition);
          if (typeof h === "string") {
            verified = false;
            message = h;
          } else bp.hit = h;
        }
        if (sb.logMessage) bp.log = parseLogMessage(sb.logMessage);
        const err = this.#checkSyntax(L, bp);
        if (err) {
          bp.error = err;
          message = err;
        }
      }
      if (verified || lines === "file not found" || lines === undefined) map.set(line, bp);
      out.push({ id: bp.id, verified, line, message, source: args.source });
    }
    this.#lineBps.set(key, map);
    this.#invalidate(L);
    return { breakpoints: out };
  }

  #breakpointLocations(
    L: number,
    args: DP.BreakpointLocationsArguments,
  ): DP.BreakpointLocationsResponse["body"] {
    if (!args.source?.path) return { breakpoints: [] };
    const lines = this.#codeLinesOf(this.#normPath(args.source.path), L);
    if (typeof lines === "string") throw new Error(lines);
    const end = args.endLine ?? args.line;
    const out = [...lines].filter((l) => l >= args.line && l <= end).sort((a, b) => a - b);
    return { breakpoints: out.map((line) => ({ line })) };
  }

  /** The DAP source of the function running at `ar`. */
  #lineSource(L: number, ar: number): DP.Source | undefined {
    this.#m._lua_getinfo(L, this.#cstr("S"), ar);
    const src = this.#readCString(this.#m.HEAP32[(ar + AR_SOURCE) >> 2]);
    return this.#dapSource(src);
  }

  #checkSyntax(L: number, bp: LineBp): string | undefined {
    const api = this.#api;
    const exprs = bp.log ? bp.log.exprs : bp.condition ? [bp.condition] : [];
    for (const e of exprs) {
      const top = api.lua.lua_gettop(L);
      const st = api.load(L, `return (${e})`, "=condition");
      const msg = st === LuaStatus.ok ? undefined : api.str(L, -1);
      api.lua.lua_settop(L, top);
      if (msg) return `${bp.log ? "log message" : "condition"} error: ${msg}`;
    }
    return undefined;
  }

  #setFunctionBreakpoints(
    L: number,
    args: DP.SetFunctionBreakpointsArguments,
  ): DP.SetFunctionBreakpointsResponse["body"] {
    const out: DP.Breakpoint[] = [];
    const bps: FnBp[] = [];
    for (const fb of args.breakpoints) {
      const name = fb.name.trim();
      const parts = name.split(/[.:]/);
      const ok = parts.every((p) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p));
      const prev = this.#fnBps.find((b) => b.name === name);
      const bp: FnBp = {
        id: prev?.id ?? this.#nextBpId++,
        name,
        last: parts[parts.length - 1],
        path: parts,
        condition: fb.condition?.trim() || undefined,
        hits: 0,
      };
      let message: string | undefined;
      if (fb.hitCondition?.trim()) {
        const h = parseHitCondition(fb.hitCondition);
        if (typeof h === "string") message = h;
        else bp.hit = h;
      }
      if (!ok) message = `not a function name: ${name}`;
      if (ok) bps.push(bp);
      out.push({ id: bp.id, verified: ok && !message, message });
    }
    this.#fnBps = bps;
    this.#invalidate(L);
    return { breakpoints: out };
  }

  #invalidate(L: number): void {
    const u8 = this.#m.HEAPU8;
    for (const p of this.#protos.keys()) u8[p + GC_MARKED] &= ~PROTO_PLAIN_BIT;
    this.#protos.clear();
    this.#filter.clear();
    const lines: number[] = [];
    for (const m of this.#lineBps.values()) lines.push(...m.keys());
    this.#filter.setLines(lines);
    const lua = this.#api.lua;
    lua.lua_createtable(L, 0, 0);
    lua.lua_rawseti(L, REG, BigInt(this.#pinsRef));
    this.#pinCount = 0;
    if (this.#T !== 0 || this.#stopped) this.#applyModes(L);
    else {
      this.#m._lua_sethook(this.#h.L0, this.hookPtr, this.#threadMask(false), HOOK_COUNT);
    }
  }

  #setExceptionBreakpoints(L: number, args: DP.SetExceptionBreakpointsArguments): void {
    const f = new Set(args.filters);
    this.#breakAll = f.has("all");
    this.#breakUncaught = f.has("uncaught") || this.#breakAll;
    const lua = this.#api.lua;
    lua.lua_rawgeti(L, REG, BigInt(this.#setAllRef));
    lua.lua_pushboolean(L, this.#breakAll ? 1 : 0);
    lua.lua_pcallk(L, 1, 0, 0, 0, null);
  }

  #hitLineBp(L: number, ar: number, ci: number, bp: LineBp): void {
    if (bp.error) {
      if (bp.reported) return;
      bp.reported = true;
      this.#output(`breakpoint ${bp.id}: ${bp.error}\n`, "console");
      this.#stop(L, 0, "breakpoint", [bp.id], bp.error);
      return;
    }
    if (bp.condition !== undefined) {
      const r = this.#runCompiled(L, ar, ci, bp, [bp.condition]);
      if (typeof r === "string") {
        if (bp.reported) return;
        bp.reported = true;
        const msg = `breakpoint ${bp.id}: condition error: ${r}`;
        this.#output(msg + "\n", "console");
        this.#stop(L, 0, "breakpoint", [bp.id], msg);
        return;
      }
      if (!r[0]) return;
    }
    bp.hits++;
    if (bp.hit && !bp.hit(bp.hits)) return;
    if (bp.log) {
      const r = this.#runCompiled(L, ar, ci, bp, bp.log.exprs, true);
      let text: string;
      if (typeof r === "string") text = `<log message error: ${r}>`;
      else {
        text = bp.log.text[0];
        for (let i = 0; i < bp.log.exprs.length; i++) text += r[i] + bp.log.text[i + 1];
      }
      if (this.#logEvents) {
        const src = this.#lineSource(L, ar);
        this.#post({
          type: "event",
          event: "output",
          body: { category: "console", output: text + "\n", source: src, line: bp.line },
        });
      } else this.#h.out.write(1, encoder.encode(text + "\n"));
      return;
    }
    this.#stop(L, 0, "breakpoint", [bp.id]);
  }

  /**
   * Runs a breakpoint's condition or log expressions in the frame of `ar`: compiled once
   * per code position as a function whose parameters are the frame's locals (fast, no
   * lookups), with upvalues and globals through the frame environment proxy.
   * Returns the results (truthiness for a condition, strings for a log) or an error.
   */
  #runCompiled(
    L: number,
    ar: number,
    ci: number,
    bp: LineBp,
    exprs: string[],
    asText = false,
  ): (boolean | string)[] | string {
    const m = this.#m;
    const lua = this.#api.lua;
    const pc = m.HEAP32[(ci + Lua.CI_SAVEDPC) >> 2];
    let entry = bp.compiled.get(pc);
    if (entry?.fast) {
      // Registers start after the function's own slot.
      const r = entry.fast(m, m.HEAP32[(ci + Lua.CI_FUNC) >> 2] + Lua.TV_SIZE);
      if (r !== undefined) return [r];
    }
    const top = lua.lua_gettop(L);
    if (entry === undefined) {
      const names: string[] = [];
      for (let i = 1;; i++) {
        const p = m._lua_getlocal(L, ar, i);
        if (p === 0) break;
        lua.lua_settop(L, -2);
        const n = this.#readCString(p);
        if (n === "(temporary)" || n === "(C temporary)") break;
        names.push(n.startsWith("(") ? `__llmspell_tmp${i}` : n);
      }
      const body = asText ? exprs.map((e) => `(${e})`).join(", ") : `(${exprs[0]})`;
      const code = `return function(${names.join(", ")}) return ${body} end`;
      if (this.#api.load(L, code, "=[llmspell condition]") !== LuaStatus.ok) {
        const e = this.#api.str(L, -1) ?? "error";
        lua.lua_settop(L, top);
        return e;
      }
      this.#pushFrameEnv(L, ar);
      lua.lua_setupvalue(L, -2, 1);
      if (lua.lua_pcallk(L, 0, 1, 0, 0, null) !== LuaStatus.ok) {
        const e = this.#api.str(L, -1) ?? "error";
        lua.lua_settop(L, top);
        return e;
      }
      const fast = asText ? undefined : compileFastCondition(exprs[0], names);
      entry = { ref: lua.luaL_ref(L, REG), n: names.length, fast };
      bp.compiled.set(pc, entry);
      // The filter skips this position's false passes in wasm from now on.
      if (fast) this.#filter.setCondition(pc, fast.spec);
    }
    lua.lua_rawgeti(L, REG, BigInt(entry.ref));
    // The proxy environment reads this frame.
    this.#frameAr = ar;
    this.#frameL = L;
    const n = entry.n;
    for (let i = 1; i <= n; i++) m._lua_getlocal(L, ar, i);
    const nres = asText ? exprs.length : 1;
    if (m._lua_pcallk(L, n, nres, 0, 0, 0) !== LuaStatus.ok) {
      const e = this.#api.str(L, -1) ?? "error";
      lua.lua_settop(L, top);
      return e;
    }
    const out: (boolean | string)[] = [];
    for (let i = nres; i >= 1; i--) {
      out.push(asText ? this.#tostring(L, -i) : m._lua_toboolean(L, -i) !== 0);
    }
    lua.lua_settop(L, top);
    return out;
  }

  #checkFunctionBps(L: number, ar: number, ci: number): void {
    if (this.#stopped) return;
    const m = this.#m;
    m._lua_getinfo(L, this.#cstr("n"), ar);
    const namePtr = m.HEAP32[(ar + AR_NAME) >> 2];
    // A tail call (`return f(x)` in a script) has no name: compare the called
    // function with what each breakpoint's name holds in the globals.
    const name = namePtr === 0 ? undefined : this.#readCString(namePtr);
    for (const bp of this.#fnBps) {
      if (name === undefined) {
        if (!this.#resolvesTo(L, ar, bp.path)) continue;
      } else {
        if (bp.last !== name) continue;
        if (bp.path.length > 1 && !this.#resolvesTo(L, ar, bp.path)) continue;
      }
      if (bp.condition !== undefined) {
        // Evaluated at the function's entry: its parameters are its first locals.
        const r = this.#evaluateIn(L, ar, bp.condition, false);
        if (typeof r === "string" || !r.truthy) continue;
      }
      bp.hits++;
      if (bp.hit && !bp.hit(bp.hits)) continue;
      if (this.#proto(ci) === 0) {
        this.#stop(L, 0, "function breakpoint", [bp.id]);
      } else {
        this.#pendingFn = { L, ci, id: bp.id };
      }
      return;
    }
  }

  /** True when the path `a.b.c` (from the frame's globals) is the function being called. */
  #resolvesTo(L: number, ar: number, parts: string[]): boolean {
    const lua = this.#api.lua;
    const top = lua.lua_gettop(L);
    try {
      lua.lua_rawgeti(L, REG, BigInt(this.#h.envRef));
      for (const p of parts) {
        if (lua.lua_type(L, -1) !== LuaTypeId.table) return false;
        this.#api.pushString(L, p);
        lua.lua_rawget(L, -2);
      }
      this.#m._lua_getinfo(L, this.#cstr("f"), ar);
      return lua.lua_rawequal(L, -1, -2) !== 0;
    } finally {
      lua.lua_settop(L, top);
    }
  }

  // ── errors ────────────────────────────────────────────────────────────────────────────

  /** The runtime's message handler: an error nobody caught, at the point it was raised. */
  onUncaughtError(L: number): void {
    if (!this.#breakUncaught || this.#stopped || this.#inHook) return;
    if (pendingSignal(this.#h.control) !== Signal.none) return;
    this.#stopOnError(L);
  }

  /** The message handler of the pcall/xpcall wrappers (break on all errors). */
  #onCaughtError(L: number): number {
    if (this.#breakAll && !this.#stopped && !this.#inHook && this.#T !== 0) {
      if (pendingSignal(this.#h.control) === Signal.none) {
        // Errors raised in the engine's own code are not the user's.
        if (this.#firstUserLevel(L) !== undefined) this.#stopOnError(L, true);
      }
    }
    return 1;
  }

  #firstUserLevel(L: number): number | undefined {
    const m = this.#m;
    for (let level = 1; m._lua_getstack(L, level, this.#tmpAr) !== 0; level++) {
      m._lua_getinfo(L, this.#cstr("S"), this.#tmpAr);
      const what = this.#readCString(m.HEAP32[(this.#tmpAr + AR_WHAT) >> 2]);
      if (what === "C") continue;
      const src = this.#readCString(m.HEAP32[(this.#tmpAr + AR_SOURCE) >> 2]);
      return src.startsWith(INTERNAL_PREFIX) ? undefined : level;
    }
    return undefined;
  }

  #stopOnError(L: number, caught = false): void {
    const message = this.#tostring(L, 1);
    const api = this.#api;
    api.lua.luaL_traceback(L, L, null, 1);
    const trace = api.str(L, -1) ?? "";
    api.lua.lua_settop(L, -2);
    this.#stop(L, 1, "exception", undefined, message, { message, trace }, caught);
  }

  // ── stopping ──────────────────────────────────────────────────────────────────────────

  /**
   * Stops: announces it, then answers requests until one resumes. `skip` levels are
   * hidden (the message handler's own frame).
   */
  #stop(
    L: number,
    skip: number,
    reason: string,
    hitBreakpointIds?: number[],
    text?: string,
    exception?: { message: string; trace: string },
    caught = false,
  ): void {
    if (this.#stopped) return;
    this.#clearStep();
    this.#pausePending = false;
    this.#pendingFn = undefined;
    const frames = this.#collectFrames(L, skip);
    this.#stopped = { L, frames, exception };
    this.#inHook = true;
    const description = reason === "exception"
      ? (caught ? "Paused on caught error" : "Paused on error")
      : undefined;
    this.#post({
      type: "event",
      event: "stopped",
      body: {
        reason,
        threadId: 1,
        allThreadsStopped: true,
        hitBreakpointIds,
        text,
        description,
      },
    } as DP.StoppedEvent);
    let resume = false;
    try {
      while (!resume) {
        const req = waitRequest(this.#h.channel, 250) as DP.Request | undefined;
        Atomics.store(this.#h.control, Control.debug, 0);
        if (req === undefined) {
          if (pendingSignal(this.#h.control) !== Signal.none) {
            this.#terminate = true;
            break;
          }
          continue;
        }
        const r = this.#handleStopped(L, req);
        this.#respond(req, r.body, r.error);
        resume = r.resume;
      }
    } finally {
      for (const f of frames) this.#m._free(f.ar);
      this.#stopped = null;
      this.#inHook = false;
      this.#releaseRefs(L);
    }
    if (this.#terminate) {
      this.#terminate = false;
      raiseSignal(this.#h.control, Signal.interrupt);
      this.#clearStep();
      this.#m._lua_sethook(L, this.hookPtr, HookMask.count, 1);
      return;
    }
    this.#applyModes(L);
    this.#setLine(L, this.#lineAll || this.#stepMode !== StepMode.none || this.#curWants(L));
  }

  #curWants(L: number): boolean {
    if (this.#m._lua_getstack(L, 0, this.#tmpAr) === 0) return false;
    const ci = this.#m.HEAP32[(this.#tmpAr + AR_CI) >> 2];
    return this.#wantLine(L, this.#protoInfo(L, ci, this.#tmpAr), ci);
  }

  #collectFrames(L: number, skip: number): Frame[] {
    const m = this.#m;
    const frames: Frame[] = [];
    for (let level = skip;; level++) {
      const ar = m._malloc(AR_SIZE);
      if (m._lua_getstack(L, level, ar) === 0) {
        m._free(ar);
        break;
      }
      m._lua_getinfo(L, this.#cstr("nSlt"), ar);
      const h32 = m.HEAP32;
      const what = this.#readCString(h32[(ar + AR_WHAT) >> 2]);
      const source = this.#readCString(h32[(ar + AR_SOURCE) >> 2]);
      // A Lua global's own Lua side (`=[llmspell Agent]`) is shown, so that a Lua tool's
      // caller (the agent's execute) is in the stack, but as library code: like a C frame,
      // no source and no locals. The engine's other chunks are not shown at all.
      const library = /^=\[llmspell ([A-Z]\w*)\]$/.exec(source)?.[1];
      const isC = what === "C" || library !== undefined;
      if (source.startsWith(INTERNAL_PREFIX) && library === undefined) {
        m._free(ar);
        continue;
      }
      let name = this.#readCString(h32[(ar + AR_NAME) >> 2]);
      const namewhat = this.#readCString(h32[(ar + AR_NAMEWHAT) >> 2]);
      if (what === "main") name = "main chunk";
      else if (!name) {
        // No name from the call (a tail call): a global holding the function names it.
        name = isC ? "?" : this.#globalName(L, ar) ??
          `function <${this.#shortSource(source)}:${h32[(ar + AR_LINEDEFINED) >> 2]}>`;
      } else if (namewhat === "method" || namewhat === "field" || namewhat === "global") {
        name = this.#qualify(L, ar, name, namewhat === "method");
      }
      if (m.HEAPU8[ar + AR_ISTAILCALL]) name += " (tail call)";
      frames.push({
        id: frames.length + 1,
        ar,
        level,
        name: library !== undefined ? `[${library}] ${name}` : isC ? `[C] ${name}` : name,
        source: isC ? undefined : this.#dapSource(source),
        line: isC ? 0 : h32[(ar + AR_CURRENTLINE) >> 2],
        isC,
      });
    }
    // The chunk runs inside the engine's xpcall: not the user's frame.
    const last = frames[frames.length - 1];
    if (last && last.isC && last.name === "[C] ?" && frames.length > 1) {
      m._free(last.ar);
      frames.pop();
    }
    return frames;
  }

  /** The name of a global whose value is the frame's function (500 globals at most). */
  #globalName(L: number, ar: number): string | undefined {
    const lua = this.#api.lua;
    const top = lua.lua_gettop(L);
    try {
      this.#m._lua_getinfo(L, this.#cstr("f"), ar);
      const fn = lua.lua_gettop(L);
      lua.lua_rawgeti(L, REG, BigInt(this.#h.envRef));
      const env = lua.lua_gettop(L);
      lua.lua_pushnil(L);
      let scanned = 0;
      while (lua.lua_next(L, env) !== 0 && scanned++ < 500) {
        if (lua.lua_type(L, -2) === LuaTypeId.string && lua.lua_rawequal(L, -1, fn)) {
          return this.#api.str(L, -2);
        }
        lua.lua_settop(L, -2);
      }
      return undefined;
    } finally {
      lua.lua_settop(L, top);
    }
  }

  /** `Table.fn` / `Table:fn` when the function is a field of a global table. */
  #qualify(L: number, ar: number, name: string, method: boolean): string {
    const lua = this.#api.lua;
    const api = this.#api;
    const top = lua.lua_gettop(L);
    try {
      this.#m._lua_getinfo(L, this.#cstr("f"), ar);
      const fn = lua.lua_gettop(L);
      lua.lua_rawgeti(L, REG, BigInt(this.#h.envRef));
      const env = lua.lua_gettop(L);
      api.pushString(L, name);
      lua.lua_rawget(L, env);
      if (lua.lua_rawequal(L, -1, fn)) return name;
      lua.lua_settop(L, env);
      lua.lua_pushnil(L);
      let scanned = 0;
      while (lua.lua_next(L, env) !== 0 && scanned++ < 500) {
        if (lua.lua_type(L, -1) === LuaTypeId.table && lua.lua_type(L, -2) === LuaTypeId.string) {
          api.pushString(L, name);
          lua.lua_rawget(L, -2);
          if (lua.lua_rawequal(L, -1, fn)) {
            const t = api.str(L, -3) ?? "?";
            return `${t}${method ? ":" : "."}${name}`;
          }
          lua.lua_settop(L, -2);
        }
        lua.lua_settop(L, -2);
      }
      return name;
    } finally {
      lua.lua_settop(L, top);
    }
  }

  #shortSource(source: string): string {
    if (source.startsWith("@")) return path.basename(source.slice(1));
    if (source.startsWith("=")) return source.slice(1);
    return "string";
  }

  #dapSource(source: string): DP.Source {
    if (source.startsWith("@")) {
      const p = this.#keyOf(source);
      return { name: path.basename(p), path: p };
    }
    return { name: source.startsWith("=") ? source.slice(1) : "[string]" };
  }

  // ── requests ──────────────────────────────────────────────────────────────────────────

  #respond(req: DP.Request, body: unknown, error?: string): void {
    this.#post({
      type: "response",
      seq: 0,
      request_seq: req.seq,
      command: req.command,
      success: error === undefined,
      message: error,
      body,
    } as DP.Response);
  }

  #post(m: DP.ProtocolMessage | Omit<DP.Event, "seq">): void {
    this.#h.post({ seq: 0, ...m } as DP.ProtocolMessage);
  }

  #output(text: string, category: "console" | "stderr"): void {
    this.#post({ type: "event", event: "output", body: { category, output: text } });
  }

  /** Requests that do not need a stopped program. */
  #handleCommon(L: number, req: DP.Request): { body?: unknown; error?: string } | undefined {
    // deno-lint-ignore no-explicit-any
    const args = (req.arguments ?? {}) as any;
    switch (req.command) {
      case "setBreakpoints":
        return { body: this.#setBreakpoints(L, args) };
      case "setFunctionBreakpoints":
        return { body: this.#setFunctionBreakpoints(L, args) };
      case "setExceptionBreakpoints":
        this.#setExceptionBreakpoints(L, args);
        return { body: {} };
      case "threads":
        return { body: { threads: [{ id: 1, name: "main" }] } };
      case "configurationDone":
        return { body: {} };
      case "breakpointLocations":
        return { body: this.#breakpointLocations(L, args) };
      case "inspectVariables": {
        // Jupyter's request: the user's globals, without the standard library's names.
        const frame: Frame = { id: 0, ar: 0, level: 0, name: "", line: 0, isC: true };
        const ref = this.#handle({ kind: "globals", frame, userOnly: true });
        return { body: { variables: this.#variables(L, { variablesReference: ref }) } };
      }
      case "logpointOutput":
        // A DAP session wants logpoints as output events (with their source and line);
        // the terminal debugger keeps them in the program's stdout, in order with it.
        this.#logEvents = args.events === true;
        return { body: {} };
    }
    return undefined;
  }

  #handleIdle(req: DP.Request): unknown {
    const L = this.#h.L0;
    const common = this.#handleCommon(L, req);
    if (common) return common.body;
    // deno-lint-ignore no-explicit-any
    const args = (req.arguments ?? {}) as any;
    switch (req.command) {
      case "pause":
        // Before a run: stop at its first line.
        this.#entryPending = true;
        return {};
      case "continue":
        // Takes back such a pause (one that arrived after the run it was meant for).
        this.#entryPending = false;
        return { allThreadsContinued: true };
      case "evaluate":
        if (args.frameId !== undefined) throw new Error(`no frame ${args.frameId} (not stopped)`);
        return this.#evaluateRequest(L, args, undefined);
      case "variables":
        return { variables: this.#variables(L, args) };
      case "terminate":
      case "disconnect":
        return {};
    }
    throw new Error(`${req.command}: the program is not stopped`);
  }

  /** A request arrived while Lua runs (seen by the count or call hook). */
  #serveRunning(L: number): void {
    Atomics.store(this.#h.control, Control.debug, 0);
    if (this.#stopped || this.#inHook) return;
    const req = takeRequest(this.#h.channel) as DP.Request | undefined;
    if (!req) return;
    this.#inHook = true;
    try {
      let common: { body?: unknown; error?: string } | undefined;
      try {
        common = this.#handleCommon(L, req);
      } catch (e) {
        if (isLuaUnwind(e)) throw e;
        common = { error: e instanceof Error ? e.message : String(e) };
      }
      if (common) {
        this.#respond(req, common.body, common.error);
        return;
      }
      switch (req.command) {
        case "pause":
          this.#pausePending = true;
          this.#pauseReason = "pause";
          this.#respond(req, {});
          this.#applyModes(L);
          this.#setLine(L, true);
          return;
        case "terminate":
        case "disconnect":
          this.#respond(req, {});
          raiseSignal(this.#h.control, Signal.interrupt);
          return;
      }
      this.#respond(req, undefined, "the program is running");
    } finally {
      this.#inHook = false;
    }
  }

  #handleStopped(
    L: number,
    req: DP.Request,
  ): { body?: unknown; error?: string; resume: boolean } {
    const common = this.#handleCommon(L, req);
    if (common) return { ...common, resume: false };
    // deno-lint-ignore no-explicit-any
    const args = (req.arguments ?? {}) as any;
    const stopped = this.#stopped!;
    try {
      switch (req.command) {
        case "continue":
          return { body: { allThreadsContinued: true }, resume: true };
        case "next":
        case "stepOut": {
          const top = stopped.frames.find((f) => !f.isC) ?? stopped.frames[0];
          if (!top) return { body: {}, resume: true };
          const ci = this.#m.HEAP32[(top.ar + AR_CI) >> 2];
          this.#stepMode = req.command === "next" ? StepMode.over : StepMode.out;
          this.#stepL = L;
          this.#api.lua.lua_pushthread(L);
          this.#stepLRef = this.#api.lua.luaL_ref(L, REG);
          this.#stepDepth = this.#depth(ci) - (req.command === "next" ? 0 : 1);
          return { body: {}, resume: true };
        }
        case "stepIn":
          this.#lineAll = true;
          return { body: {}, resume: true };
        case "pause":
          return { body: {}, resume: false };
        case "terminate":
        case "disconnect":
          this.#terminate = true;
          return { body: {}, resume: true };
        case "stackTrace": {
          const start = args.startFrame ?? 0;
          const count = args.levels || stopped.frames.length;
          const frames = stopped.frames.slice(start, start + count).map((f) => ({
            id: f.id,
            name: f.name,
            source: f.source,
            line: f.line,
            // Lua knows no column: the line's start (DAP: 0 when there is no source).
            column: f.source ? 1 : 0,
            presentationHint: f.isC ? "subtle" : "normal",
          } as DP.StackFrame));
          return {
            body: { stackFrames: frames, totalFrames: stopped.frames.length },
            resume: false,
          };
        }
        case "scopes": {
          const f = stopped.frames.find((x) => x.id === args.frameId);
          if (!f) return { error: `no frame ${args.frameId}`, resume: false };
          const scopes: DP.Scope[] = [];
          if (!f.isC) {
            scopes.push({
              name: "Locals",
              presentationHint: "locals",
              variablesReference: this.#handle({ kind: "locals", frame: f }),
              expensive: false,
            });
            scopes.push({
              name: "Upvalues",
              variablesReference: this.#handle({ kind: "upvalues", frame: f }),
              expensive: false,
            });
          }
          scopes.push({
            name: "Globals",
            variablesReference: this.#handle({ kind: "globals", frame: f }),
            expensive: true,
          });
          return { body: { scopes }, resume: false };
        }
        case "variables":
          return { body: { variables: this.#variables(L, args) }, resume: false };
        case "evaluate": {
          const f = args.frameId !== undefined
            ? stopped.frames.find((x) => x.id === args.frameId)
            : stopped.frames.find((x) => !x.isC);
          if (args.frameId !== undefined && !f) {
            return { error: `no frame ${args.frameId}`, resume: false };
          }
          return { body: this.#evaluateRequest(L, args, f), resume: false };
        }
        case "setVariable":
          return { body: this.#setVariable(L, args), resume: false };
        case "exceptionInfo": {
          const ex = stopped.exception;
          if (!ex) return { error: "not stopped on an error", resume: false };
          return {
            body: {
              exceptionId: "error",
              description: ex.message,
              breakMode: this.#breakAll ? "always" : "unhandled",
              details: { message: ex.message, stackTrace: ex.trace },
            },
            resume: false,
          };
        }
      }
      return { error: `unsupported request ${req.command}`, resume: false };
    } catch (e) {
      if (isLuaUnwind(e)) throw e;
      return { error: e instanceof Error ? e.message : String(e), resume: false };
    }
  }

  // ── values ────────────────────────────────────────────────────────────────────────────

  #handle(h: Handle): number {
    const id = this.#nextHandle++;
    this.#handles.set(id, h);
    return id;
  }

  #releaseRefs(L: number): void {
    this.#handles.clear();
    this.#refSlots = 0;
    const lua = this.#api.lua;
    lua.lua_createtable(L, 0, 0);
    lua.lua_rawseti(L, REG, BigInt(this.#refsRef));
  }

  /** Keeps the value at the top alive for a variablesReference; pops it. */
  #pinValue(L: number): number {
    const lua = this.#api.lua;
    lua.lua_rawgeti(L, REG, BigInt(this.#refsRef));
    lua.lua_rotate(L, -2, 1);
    const slot = ++this.#refSlots;
    lua.lua_rawseti(L, -2, BigInt(slot));
    lua.lua_settop(L, -2);
    return this.#handle({ kind: "value", slot });
  }

  /** tostring() of the value at idx, through __tostring, never failing. */
  #tostring(L: number, idx: number): string {
    const lua = this.#api.lua;
    const abs = idx < 0 ? lua.lua_gettop(L) + idx + 1 : idx;
    lua.lua_rawgeti(L, REG, BigInt(this.#h.formatRef));
    lua.lua_pushvalue(L, abs);
    lua.lua_pushboolean(L, 0);
    const st = lua.lua_pcallk(L, 2, 1, 0, 0, null);
    const s = st === LuaStatus.ok ? this.#api.str(L, -1) ?? "" : "<error>";
    lua.lua_settop(L, -2);
    return s;
  }

  /** A short one-line display of the value at idx. */
  #short(L: number, idx: number, depth = 0): string {
    const lua = this.#api.lua;
    const api = this.#api;
    const abs = idx < 0 ? lua.lua_gettop(L) + idx + 1 : idx;
    const t = lua.lua_type(L, abs);
    switch (t) {
      case LuaTypeId.nil:
        return "nil";
      case LuaTypeId.boolean:
        return lua.lua_toboolean(L, abs) ? "true" : "false";
      case LuaTypeId.number: {
        lua.lua_pushvalue(L, abs);
        const s = api.str(L, -1) ?? "";
        lua.lua_settop(L, -2);
        return s;
      }
      case LuaTypeId.string: {
        let s = api.str(L, abs) ?? "";
        const long = s.length > 200;
        if (long) s = s.slice(0, 200);
        return JSON.stringify(s).slice(0, long ? -1 : undefined) + (long ? '…"' : "");
      }
      case LuaTypeId.function: {
        lua.lua_pushvalue(L, abs);
        const ar = this.#tmpAr;
        this.#m._lua_getinfo(L, this.#cstr(">S"), ar);
        const what = this.#readCString(this.#m.HEAP32[(ar + AR_WHAT) >> 2]);
        if (what === "C") return "function: builtin";
        const src = this.#readCString(this.#m.HEAP32[(ar + AR_SOURCE) >> 2]);
        const where = src.startsWith("@") ? this.#keyOf(src) : this.#shortSource(src);
        return `function: ${where}:${this.#m.HEAP32[(ar + AR_LINEDEFINED) >> 2]}`;
      }
      case LuaTypeId.table: {
        if (depth > 0) return "{…}";
        const mt = lua.lua_getmetatable(L, abs);
        if (mt) {
          lua.lua_getfield(L, -1, "__tostring");
          const has = lua.lua_type(L, -1) !== LuaTypeId.nil;
          lua.lua_settop(L, -3);
          if (has) return this.#tostring(L, abs);
        }
        const len = Number(lua.lua_rawlen(L, abs));
        const items: string[] = [];
        for (let i = 1; i <= Math.min(len, 5); i++) {
          lua.lua_rawgeti(L, abs, BigInt(i));
          items.push(this.#short(L, -1, 1));
          lua.lua_settop(L, -2);
        }
        let more = len > 5;
        lua.lua_pushnil(L);
        let named = 0;
        while (lua.lua_next(L, abs) !== 0) {
          if (!this.#isArrayKey(L, -2, len)) {
            named++;
            if (items.length < 5) items.push(`${this.#keyName(L, -2)}=${this.#short(L, -1, 1)}`);
            else more = true;
          }
          lua.lua_settop(L, -2);
        }
        const size = len > 0 ? ` (#${len}${named ? `, ${named} fields` : ""})` : "";
        return `{${items.join(", ")}${more ? ", …" : ""}}${len > 5 ? size : ""}`;
      }
      default: {
        const p = lua.lua_topointer(L, abs);
        return `${lua.lua_typename(L, t)}: 0x${p.toString(16).padStart(8, "0")}`;
      }
    }
  }

  #isArrayKey(L: number, idx: number, len: number): boolean {
    const lua = this.#api.lua;
    if (lua.lua_type(L, idx) !== LuaTypeId.number || !lua.lua_isinteger(L, idx)) return false;
    const k = Number(lua.lua_tointegerx(L, idx, null));
    return k >= 1 && k <= len;
  }

  #keyName(L: number, idx: number): string {
    const lua = this.#api.lua;
    const t = lua.lua_type(L, idx);
    if (t === LuaTypeId.string) {
      const s = this.#api.str(L, idx) ?? "";
      return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `[${JSON.stringify(s)}]`;
    }
    return `[${this.#short(L, idx, 1)}]`;
  }

  /** A DAP Variable for the value at the top of the stack; pops it. */
  #variable(L: number, name: string, evaluateName?: string): DP.Variable {
    const lua = this.#api.lua;
    const t = lua.lua_type(L, -1);
    const value = this.#short(L, -1);
    const v: DP.Variable = {
      name,
      value,
      type: lua.lua_typename(L, t),
      variablesReference: 0,
      evaluateName,
    };
    if (t === LuaTypeId.table || t === LuaTypeId.userdata || t === LuaTypeId.function) {
      const mt = lua.lua_getmetatable(L, -1);
      if (mt) lua.lua_settop(L, -2);
      let expandable = mt !== 0 || t === LuaTypeId.function;
      if (t === LuaTypeId.table) {
        const len = Number(lua.lua_rawlen(L, -1));
        let named = 0;
        lua.lua_pushnil(L);
        while (lua.lua_next(L, -2) !== 0) {
          if (!this.#isArrayKey(L, -2, len)) named++;
          lua.lua_settop(L, -2);
        }
        if (len > 0) v.indexedVariables = len;
        v.namedVariables = named + (mt ? 1 : 0);
        expandable = len + named > 0 || mt !== 0;
      }
      if (expandable) {
        v.variablesReference = this.#pinValue(L);
        return v;
      }
    }
    lua.lua_settop(L, -2);
    return v;
  }

  #variables(L: number, args: DP.VariablesArguments): DP.Variable[] {
    const h = this.#handles.get(args.variablesReference);
    if (!h) throw new Error("unknown variablesReference (values are valid while stopped)");
    const lua = this.#api.lua;
    const m = this.#m;
    const top = lua.lua_gettop(L);
    try {
      if (h.kind === "locals") {
        const byName = new Map<string, number>();
        for (let i = 1;; i++) {
          const p = m._lua_getlocal(L, h.frame.ar, i);
          if (p === 0) break;
          lua.lua_settop(L, -2);
          const n = this.#readCString(p);
          if (n === "(temporary)" || n === "(C temporary)") break;
          if (!n.startsWith("(") && n !== ECHO_GUARD) {
            byName.delete(n);
            byName.set(n, i);
          }
        }
        return [...byName].map(([n, i]) => {
          m._lua_getlocal(L, h.frame.ar, i);
          return this.#variable(L, n, n);
        });
      }
      if (h.kind === "upvalues") {
        m._lua_getinfo(L, this.#cstr("f"), h.frame.ar);
        const fn = lua.lua_gettop(L);
        const out: DP.Variable[] = [];
        for (let i = 1;; i++) {
          const p = m._lua_getupvalue(L, fn, i);
          if (p === 0) break;
          const n = this.#readCString(p);
          if (n === "_ENV") lua.lua_settop(L, -2);
          else out.push(this.#variable(L, n, n));
        }
        return out;
      }
      if (h.kind === "globals") {
        this.#pushEnvOf(L, h.frame.isC ? 0 : h.frame.ar);
        const env = lua.lua_gettop(L);
        const user: [string, number][] = [];
        const builtin: [string, number][] = [];
        lua.lua_pushnil(L);
        const keys: string[] = [];
        while (lua.lua_next(L, env) !== 0) {
          lua.lua_settop(L, -2);
          if (lua.lua_type(L, -1) === LuaTypeId.string) keys.push(this.#api.str(L, -1) ?? "");
        }
        keys.sort();
        for (const k of keys) (this.#builtins.has(k) ? builtin : user).push([k, 0]);
        const page = this.#page(h.userOnly ? user : [...user, ...builtin], args);
        return page.map(([k]) => {
          this.#api.pushString(L, k);
          lua.lua_rawget(L, env);
          return this.#variable(L, k, k);
        });
      }
      // A value's children.
      lua.lua_rawgeti(L, REG, BigInt(this.#refsRef));
      lua.lua_rawgeti(L, -1, BigInt(h.slot));
      const obj = lua.lua_gettop(L);
      const t = lua.lua_type(L, obj);
      const out: DP.Variable[] = [];
      if (t === LuaTypeId.function) {
        lua.lua_pushvalue(L, obj);
        m._lua_getinfo(L, this.#cstr(">S"), this.#tmpAr);
        const src = this.#readCString(m.HEAP32[(this.#tmpAr + AR_SOURCE) >> 2]);
        const what = this.#readCString(m.HEAP32[(this.#tmpAr + AR_WHAT) >> 2]);
        this.#api.pushString(
          L,
          what === "C"
            ? "[C]"
            : `${this.#keyOf(src)}:${m.HEAP32[(this.#tmpAr + AR_LINEDEFINED) >> 2]}`,
        );
        out.push(this.#variable(L, "[source]"));
        for (let i = 1;; i++) {
          const p = m._lua_getupvalue(L, obj, i);
          if (p === 0) break;
          out.push(this.#variable(L, `[upvalue ${this.#readCString(p) || i}]`));
        }
        return out;
      }
      const filter = args.filter;
      if (t !== LuaTypeId.table) {
        if (lua.lua_getmetatable(L, obj)) out.push(this.#variable(L, "[metatable]"));
        return out;
      }
      const len = Number(lua.lua_rawlen(L, obj));
      if (filter === "indexed") {
        const start = args.start ?? 0;
        const end = Math.min(len, start + (args.count || len));
        for (let i = start + 1; i <= end; i++) {
          lua.lua_rawgeti(L, obj, BigInt(i));
          out.push(this.#variable(L, `[${i}]`));
        }
        return out;
      }
      const named: { name: string; sort: string }[] = [];
      const hasMt = lua.lua_getmetatable(L, obj) !== 0;
      if (hasMt) lua.lua_settop(L, -2);
      // Collect the named keys (sorted by display), then fetch values for the page.
      lua.lua_createtable(L, 0, 0);
      const keysT = lua.lua_gettop(L);
      let nk = 0;
      lua.lua_pushnil(L);
      while (lua.lua_next(L, obj) !== 0) {
        lua.lua_settop(L, -2);
        if (!this.#isArrayKey(L, -1, len)) {
          const name = this.#keyName(L, -1);
          lua.lua_pushvalue(L, -1);
          lua.lua_rawseti(L, keysT, BigInt(++nk));
          named.push({ name, sort: String(nk) });
        }
      }
      const order = named.map((n, i) => ({ ...n, i: i + 1 }))
        .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      type Entry = { kind: "mt" } | { kind: "named"; i: number; name: string } | {
        kind: "index";
        i: number;
      };
      const total = (hasMt ? 1 : 0) + order.length + (filter === "named" ? 0 : len);
      const start = args.start ?? 0;
      const end = Math.min(total, start + (args.count || total));
      const entries: Entry[] = [];
      for (let j = start; j < end; j++) {
        let k = j;
        if (hasMt) {
          if (k === 0) {
            entries.push({ kind: "mt" });
            continue;
          }
          k--;
        }
        if (k < order.length) entries.push({ kind: "named", i: order[k].i, name: order[k].name });
        else entries.push({ kind: "index", i: k - order.length + 1 });
      }
      for (const e of entries) {
        if (e.kind === "mt") {
          lua.lua_getmetatable(L, obj);
          out.push(this.#variable(L, "[metatable]"));
        } else if (e.kind === "named") {
          lua.lua_rawgeti(L, keysT, BigInt(e.i));
          lua.lua_rawget(L, obj);
          out.push(this.#variable(L, e.name));
        } else {
          lua.lua_rawgeti(L, obj, BigInt(e.i));
          out.push(this.#variable(L, `[${e.i}]`));
        }
      }
      return out;
    } finally {
      lua.lua_settop(L, top);
    }
  }

  #page<T>(items: T[], args: DP.VariablesArguments): T[] {
    const start = args.start ?? 0;
    return items.slice(start, args.count ? start + args.count : undefined);
  }

  // ── evaluation ────────────────────────────────────────────────────────────────────────

  #frameAr = 0;
  #frameL = 0;
  #proxyRef = 0;

  /** Pushes the environment table of the function at `ar` (its _ENV), or the user's. */
  #pushEnvOf(L: number, ar: number): void {
    const lua = this.#api.lua;
    if (ar !== 0) {
      this.#m._lua_getinfo(L, this.#cstr("f"), ar);
      const fn = lua.lua_gettop(L);
      for (let i = 1;; i++) {
        const p = this.#m._lua_getupvalue(L, fn, i);
        if (p === 0) break;
        if (this.#readCString(p) === "_ENV") {
          lua.lua_rotate(L, fn, 1);
          lua.lua_settop(L, fn);
          return;
        }
        lua.lua_settop(L, -2);
      }
      lua.lua_settop(L, fn - 1);
    }
    lua.lua_rawgeti(L, REG, BigInt(this.#h.envRef));
  }

  /**
   * Pushes the environment proxy for the frame at `ar`: reads and writes go to the
   * frame's locals, then its upvalues, then its _ENV.
   */
  #pushFrameEnv(L: number, ar: number): void {
    const lua = this.#api.lua;
    this.#frameAr = ar;
    this.#frameL = L;
    if (this.#proxyRef === 0) {
      const api = this.#api;
      lua.lua_createtable(L, 0, 0);
      lua.lua_createtable(L, 0, 2);
      api.setFunction(L, "__index", api.cfunction((hL) => this.#proxyIndex(hL)));
      api.setFunction(L, "__newindex", api.cfunction((hL) => this.#proxyNewIndex(hL)));
      lua.lua_setmetatable(L, -2);
      this.#proxyRef = lua.luaL_ref(L, REG);
    }
    lua.lua_rawgeti(L, REG, BigInt(this.#proxyRef));
  }

  /** The frame slot holding `name`: local index (>0), upvalue index (<0), or 0. */
  #findName(name: string): { local?: number; upvalue?: number } {
    const m = this.#m;
    const L = this.#frameL;
    const ar = this.#frameAr;
    const lua = this.#api.lua;
    let local = 0;
    for (let i = 1;; i++) {
      const p = m._lua_getlocal(L, ar, i);
      if (p === 0) break;
      lua.lua_settop(L, -2);
      const n = this.#readCString(p);
      if (n === "(temporary)" || n === "(C temporary)") break;
      if (n === name) local = i;
    }
    if (local) return { local };
    m._lua_getinfo(L, this.#cstr("f"), ar);
    const fn = lua.lua_gettop(L);
    try {
      for (let i = 1;; i++) {
        const p = m._lua_getupvalue(L, fn, i);
        if (p === 0) break;
        lua.lua_settop(L, -2);
        if (this.#readCString(p) === name) return { upvalue: i };
      }
    } finally {
      lua.lua_settop(L, fn - 1);
    }
    return {};
  }

  #proxyIndex(hL: number): number {
    const lua = this.#api.lua;
    const name = lua.lua_type(hL, 2) === LuaTypeId.string ? this.#api.str(hL, 2) ?? "" : undefined;
    const L = this.#frameL;
    if (name !== undefined && L === hL) {
      const slot = this.#findName(name);
      if (slot.local) {
        this.#m._lua_getlocal(L, this.#frameAr, slot.local);
        return 1;
      }
      if (slot.upvalue) {
        this.#m._lua_getinfo(L, this.#cstr("f"), this.#frameAr);
        this.#m._lua_getupvalue(L, -1, slot.upvalue);
        lua.lua_rotate(L, -2, 1);
        lua.lua_settop(L, -2);
        return 1;
      }
    }
    this.#pushEnvOf(hL, L === hL ? this.#frameAr : 0);
    lua.lua_pushvalue(hL, 2);
    lua.lua_gettable(hL, -2);
    return 1;
  }

  #proxyNewIndex(hL: number): number {
    const lua = this.#api.lua;
    const name = lua.lua_type(hL, 2) === LuaTypeId.string ? this.#api.str(hL, 2) ?? "" : undefined;
    const L = this.#frameL;
    if (name !== undefined && L === hL) {
      const slot = this.#findName(name);
      if (slot.local) {
        lua.lua_pushvalue(L, 3);
        this.#m._lua_setlocal(L, this.#frameAr, slot.local);
        return 0;
      }
      if (slot.upvalue) {
        this.#m._lua_getinfo(L, this.#cstr("f"), this.#frameAr);
        lua.lua_pushvalue(L, 3);
        this.#m._lua_setupvalue(L, -2, slot.upvalue);
        lua.lua_settop(L, -2);
        return 0;
      }
    }
    this.#pushEnvOf(hL, L === hL ? this.#frameAr : 0);
    lua.lua_pushvalue(hL, 2);
    lua.lua_pushvalue(hL, 3);
    lua.lua_settable(hL, -3);
    return 0;
  }

  /**
   * Evaluates `code` in the frame at `ar` (0: the user's globals). An expression returns
   * its values; otherwise the code runs as statements, and assignments to the frame's
   * locals and upvalues write them. Leaves the values on the stack.
   */
  #evaluateIn(
    L: number,
    ar: number,
    code: string,
    keep: boolean,
  ): { truthy: boolean; n: number; base: number } | string {
    const api = this.#api;
    const lua = api.lua;
    const top = lua.lua_gettop(L);
    let st = api.load(L, `return ${code}`, "=eval");
    if (st !== LuaStatus.ok) {
      lua.lua_settop(L, top);
      st = api.load(L, code, "=eval");
      if (st !== LuaStatus.ok) {
        const e = api.str(L, -1) ?? "syntax error";
        lua.lua_settop(L, top);
        return e;
      }
    }
    if (ar !== 0) this.#pushFrameEnv(L, ar);
    else lua.lua_rawgeti(L, REG, BigInt(this.#h.envRef));
    lua.lua_setupvalue(L, -2, 1);
    const wasIn = this.#inHook;
    this.#inHook = true;
    const rc = lua.lua_pcallk(L, 0, -1, 0, 0, null);
    this.#inHook = wasIn;
    if (rc !== LuaStatus.ok) {
      const e = this.#tostring(L, -1);
      lua.lua_settop(L, top);
      return e;
    }
    const n = lua.lua_gettop(L) - top;
    const truthy = n > 0 && lua.lua_toboolean(L, top + 1) !== 0;
    if (!keep) lua.lua_settop(L, top);
    return { truthy, n, base: top };
  }

  #evaluateRequest(
    L: number,
    args: DP.EvaluateArguments,
    frame: Frame | undefined,
  ): DP.EvaluateResponse["body"] {
    const lua = this.#api.lua;
    const top = lua.lua_gettop(L);
    try {
      const r = this.#evaluateIn(L, frame && !frame.isC ? frame.ar : 0, args.expression, true);
      if (typeof r === "string") throw new Error(r);
      if (r.n === 0) return { result: "", variablesReference: 0 };
      if (r.n === 1) {
        const pretty = args.context === "repl" ? this.#tostringFormatted(L, -1) : undefined;
        const v = this.#variable(L, "result");
        return {
          result: pretty ?? v.value,
          type: v.type,
          variablesReference: v.variablesReference,
          indexedVariables: v.indexedVariables,
          namedVariables: v.namedVariables,
        };
      }
      const parts: string[] = [];
      for (let i = r.base + 1; i <= r.base + r.n; i++) parts.push(this.#short(L, i));
      return { result: parts.join(", "), variablesReference: 0 };
    } finally {
      lua.lua_settop(L, top);
    }
  }

  /** The value through the engine's formatter (as `exec` prints it), for small values. */
  #tostringFormatted(L: number, idx: number): string | undefined {
    const lua = this.#api.lua;
    if (lua.lua_type(L, idx) === LuaTypeId.table && Number(lua.lua_rawlen(L, idx)) > 1000) {
      return undefined;
    }
    return this.#tostring(L, idx);
  }

  #setVariable(L: number, args: DP.SetVariableArguments): DP.SetVariableResponse["body"] {
    const h = this.#handles.get(args.variablesReference);
    if (!h) throw new Error("unknown variablesReference");
    const stopped = this.#stopped!;
    const frame = h.kind === "value" ? stopped.frames.find((f) => !f.isC) : h.frame;
    const lua = this.#api.lua;
    const top = lua.lua_gettop(L);
    try {
      const r = this.#evaluateIn(L, frame && !frame.isC ? frame.ar : 0, args.value, true);
      if (typeof r === "string") throw new Error(r);
      if (r.n === 0) lua.lua_pushnil(L);
      else lua.lua_settop(L, r.base + 1);
      const val = lua.lua_gettop(L);
      const name = args.name;
      if (h.kind === "locals" || h.kind === "upvalues") {
        this.#frameAr = h.frame.ar;
        this.#frameL = L;
        const slot = this.#findName(name);
        if (h.kind === "locals" && slot.local) {
          lua.lua_pushvalue(L, val);
          this.#m._lua_setlocal(L, h.frame.ar, slot.local);
        } else if (h.kind === "upvalues" && slot.upvalue) {
          this.#m._lua_getinfo(L, this.#cstr("f"), h.frame.ar);
          lua.lua_pushvalue(L, val);
          this.#m._lua_setupvalue(L, -2, slot.upvalue);
        } else throw new Error(`no ${h.kind === "locals" ? "local" : "upvalue"} ${name}`);
      } else if (h.kind === "globals") {
        this.#pushEnvOf(L, h.frame.isC ? 0 : h.frame.ar);
        this.#api.pushString(L, name);
        lua.lua_pushvalue(L, val);
        lua.lua_settable(L, -3);
      } else {
        lua.lua_rawgeti(L, REG, BigInt(this.#refsRef));
        lua.lua_rawgeti(L, -1, BigInt(h.slot));
        if (lua.lua_type(L, -1) !== LuaTypeId.table) throw new Error("not a table");
        const m = /^\[(-?\d+)\]$/.exec(name);
        if (m) lua.lua_pushinteger(L, BigInt(m[1]));
        else if (/^\[".*"\]$/.test(name)) this.#api.pushString(L, JSON.parse(name.slice(1, -1)));
        else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) this.#api.pushString(L, name);
        else throw new Error(`cannot set ${name}`);
        lua.lua_pushvalue(L, val);
        lua.lua_settable(L, -3);
      }
      lua.lua_pushvalue(L, val);
      const v = this.#variable(L, name);
      return { value: v.value, type: v.type, variablesReference: v.variablesReference };
    } finally {
      lua.lua_settop(L, top);
    }
  }
}
