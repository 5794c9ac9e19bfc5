/**
 * The debugger's hook, in front of its JavaScript: a small wasm function (built here, byte
 * by byte) that Lua calls for every hook event and that decides in wasm whether the
 * debugger needs to see it. With line breakpoints set, Lua calls the hook at every new line
 * of the functions that trap (engine/vm/line_trap.ts): those whose prototype is not marked
 * plain yet, and those with a breakpoint; almost all of those events need nothing, and a
 * call into JavaScript for each costs more than the event itself.
 * See docs/decisions/0006-hook-filter.md.
 *
 * The filter passes an event on to the JavaScript hook when:
 * - the configuration says so (`writeForwardAll`: steps, pauses, function breakpoints);
 * - it is not a line event (a count event is a poke: engine/vm/poke.ts);
 * - a line event on a line number that has a breakpoint in some file (a bitmap), in a
 *   function not marked plain;
 * - a line event in a function whose prototype is neither marked plain (on the Proto itself,
 *   lua_layout.ts PROTO_PLAIN_BIT) nor in the table of prototypes with breakpoints: the
 *   debugger has not seen it yet.
 * The debugger fills the table as it meets prototypes and clears it when breakpoints change.
 */
import type { LuaModule } from "../../engine/vm/lua_wasm.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import { MAX_PAGES } from "../../engine/wasm/shared_memory.ts";
import { name, op, section, sleb, uleb } from "../../engine/wasm/wasm_encode.ts";
import { CONDITION_OPS, type ConditionSpec } from "./fast_condition.ts";

/** What the filter reads and allocates in the engine's wasm memory. */
export type FilterMemory = Pick<LuaModule, "HEAP32" | "HEAPU8" | "_malloc" | "_free">;

// The configuration block in wasm memory (offsets).
const CFG_FORWARD_ALL = 0;
const CFG_TABLE = 4;
const CFG_MASK = 8;
const CFG_LINES = 12;
const CFG_CONDS = 16;
const CFG_SIZE = 20;
/**
 * The conditions the filter evaluates itself (see setCondition): an open-addressing table
 * keyed by code position. An entry: key (i32, the savedpc) at 0, comparison at 4, the two
 * operands' registers at 8 and 12 (-1: a constant), their constants (f64) at 16 and 24.
 */
const COND_ENTRY = 32;
const COND_CAP = 256;

/** Lines 0..MAX_LINE-1 have a bit; events on later lines always reach JavaScript. */
const MAX_LINE = 1 << 16;

const { AR_EVENT, AR_CURRENTLINE, AR_CI, CI_FUNC, LCL_PROTO, GC_MARKED, PROTO_PLAIN_BIT } = Lua;
const { EV_LINE } = Lua;

export class HookFilter {
  /** The filter's index in the wasm function table: the lua_Hook to install. */
  readonly hookPtr: number;
  readonly #m: FilterMemory;
  readonly #cfg: number;
  #table = 0;
  #cap = 0;
  #count = 0;
  readonly #conds: number;
  #condCount = 0;

  constructor(
    m: FilterMemory,
    memory: WebAssembly.Memory,
    addFunction: (f: (L: number, ar: number) => void) => number,
    jsHook: (L: number, ar: number) => void,
  ) {
    this.#m = m;
    this.#cfg = m._malloc(CFG_SIZE);
    const lines = m._malloc(MAX_LINE / 8);
    m.HEAPU8.fill(0, lines, lines + MAX_LINE / 8);
    m.HEAP32[(this.#cfg + CFG_FORWARD_ALL) >> 2] = 0;
    m.HEAP32[(this.#cfg + CFG_LINES) >> 2] = lines;
    this.#conds = m._malloc(COND_CAP * COND_ENTRY);
    m.HEAPU8.fill(0, this.#conds, this.#conds + COND_CAP * COND_ENTRY);
    m.HEAP32[(this.#cfg + CFG_CONDS) >> 2] = this.#conds;
    this.#allocTable(1024);
    const module = new WebAssembly.Module(filterModule(this.#cfg));
    const instance = new WebAssembly.Instance(module, {
      js: { hook: jsHook },
      env: { memory },
    });
    this.hookPtr = addFunction(instance.exports.hook as (L: number, ar: number) => void);
  }

  /**
   * Writes into the filter's configuration in wasm memory whether every event goes to
   * JavaScript (steps, pauses, function breakpoints).
   */
  writeForwardAll(on: boolean): void {
    this.#m.HEAP32[(this.#cfg + CFG_FORWARD_ALL) >> 2] = on ? 1 : 0;
  }

  /** The line numbers that have a breakpoint, in any file. */
  setLines(lines: Iterable<number>): void {
    const u8 = this.#m.HEAPU8;
    const base = this.#m.HEAP32[(this.#cfg + CFG_LINES) >> 2];
    u8.fill(0, base, base + MAX_LINE / 8);
    for (const l of lines) if (l >= 0 && l < MAX_LINE) u8[base + (l >> 3)] |= 1 << (l & 7);
  }

  /** Records a prototype that has a breakpoint line. */
  markBreakpoints(proto: number): void {
    if ((this.#count + 1) * 2 > this.#cap) this.#grow();
    if (this.#put(proto, 1)) this.#count++;
  }

  /**
   * Lets the filter evaluate the condition of the breakpoint at code position `pc` (a
   * savedpc): a line event there whose condition is false then ends in wasm. A true one, or
   * one it cannot decide (an operand that is not a number, an integer a double cannot hold),
   * goes on to JavaScript, which evaluates it again. Full tables just accelerate less.
   */
  setCondition(pc: number, spec: ConditionSpec): void {
    if ((this.#condCount + 1) * 2 > COND_CAP) return;
    const m = this.#m as FilterMemory & { HEAPF64: Float64Array };
    for (let h = (pc >>> 2) & (COND_CAP - 1);; h = (h + 1) & (COND_CAP - 1)) {
      const e = this.#conds + h * COND_ENTRY;
      const k = m.HEAP32[e >> 2];
      if (k !== 0 && k !== pc) continue;
      if (k === 0) this.#condCount++;
      m.HEAP32[(e >> 2) + 1] = CONDITION_OPS.indexOf(spec.op);
      m.HEAP32[(e >> 2) + 2] = "local" in spec.a ? spec.a.local : -1;
      m.HEAP32[(e >> 2) + 3] = "local" in spec.b ? spec.b.local : -1;
      m.HEAPF64[(e + 16) >> 3] = "value" in spec.a ? spec.a.value : 0;
      m.HEAPF64[(e + 24) >> 3] = "value" in spec.b ? spec.b.value : 0;
      m.HEAP32[e >> 2] = pc;
      return;
    }
  }

  /** Forgets all prototypes and conditions (breakpoints changed; their pins are released). */
  clear(): void {
    this.#m.HEAP32.fill(0, this.#table >> 2, (this.#table >> 2) + this.#cap * 2);
    this.#count = 0;
    this.#m.HEAP32.fill(0, this.#conds >> 2, (this.#conds + COND_CAP * COND_ENTRY) >> 2);
    this.#condCount = 0;
  }

  #put(proto: number, mark: number): boolean {
    const h32 = this.#m.HEAP32;
    const mask = this.#cap - 1;
    for (let h = (proto >>> 4) & mask;; h = (h + 1) & mask) {
      const at = (this.#table >> 2) + h * 2;
      const k = h32[at];
      if (k === proto || k === 0) {
        h32[at + 1] = mark;
        h32[at] = proto;
        return k === 0;
      }
    }
  }

  #allocTable(cap: number): void {
    const m = this.#m;
    this.#table = m._malloc(cap * 8);
    this.#cap = cap;
    m.HEAP32.fill(0, this.#table >> 2, (this.#table >> 2) + cap * 2);
    m.HEAP32[(this.#cfg + CFG_TABLE) >> 2] = this.#table;
    m.HEAP32[(this.#cfg + CFG_MASK) >> 2] = cap - 1;
  }

  #grow(): void {
    const m = this.#m;
    const old = this.#table;
    const oldCap = this.#cap;
    const entries: [number, number][] = [];
    for (let i = 0; i < oldCap; i++) {
      const k = m.HEAP32[(old >> 2) + i * 2];
      if (k !== 0) entries.push([k, m.HEAP32[(old >> 2) + i * 2 + 1]]);
    }
    // The filter reads the table only while Lua runs on this thread, never during this.
    this.#allocTable(oldCap * 2);
    for (const [k, v] of entries) this.#put(k, v);
    m._free(old);
  }
}

// ── the wasm module ─────────────────────────────────────────────────────────────────────

const I32 = 0x7f;
/** The instruction helpers the two functions are written with. */
function asm(cfg: number) {
  const c = (v: number) => [op.const, ...sleb(v)];
  const ld = (offset: number) => [op.load, 2, ...uleb(offset)];
  return {
    c,
    ld,
    ld8: (offset: number) => [op.load8u, 0, ...uleb(offset)],
    get: (i: number) => [op.get, i],
    set: (i: number) => [op.set, i],
    tee: (i: number) => [op.tee, i],
    cfgLoad: (offset: number) => [...c(cfg), ...ld(offset)],
  };
}

const FN_JS = 0;
const FN_HAS_BREAKPOINTS = 2;
const FN_CONDITION_FALSE = 3;
const FN_NUMBER = 4;

/**
 * hook(L, ar): the lua_Hook. Locals: L, ar, then ci, line. A `br` to the outer block
 * passes the event on to JavaScript.
 */
function hookBody(cfg: number): number[] {
  const L = 0, AR = 1, CI = 2, LINE = 3;
  const { c, ld, ld8, get, tee, cfgLoad } = asm(cfg);
  // deno-fmt-ignore
  return [
    op.block, op.void,
    ...cfgLoad(CFG_FORWARD_ALL), op.brIf, 0,
    ...get(AR), ...ld(AR_EVENT), ...c(EV_LINE), op.ne, op.brIf, 0,
    // A line event (so in a Lua function): nothing to do in a function marked plain (its
    // frame was trapping before the mark was set).
    ...get(AR), ...ld(AR_CI), ...tee(CI), ...ld(CI_FUNC), ...ld(0), ...ld(LCL_PROTO),
    ...ld8(GC_MARKED), ...c(PROTO_PLAIN_BIT), op.and,
    op.if, op.void, op.return, op.end,
    // A line that has a breakpoint in some file.
    ...get(AR), ...ld(AR_CURRENTLINE), ...tee(LINE), ...c(MAX_LINE), op.geU, op.brIf, 0,
    ...cfgLoad(CFG_LINES), ...get(LINE), ...c(3), op.shrU, op.add, ...ld8(0),
    ...c(1), ...get(LINE), ...c(7), op.and, op.shl, op.and,
    op.if, op.void,
    // A breakpoint's line: a condition known to be false here needs nothing more.
    ...get(CI), op.call, FN_CONDITION_FALSE, op.if, op.void, op.return, op.end,
    op.br, 1,
    op.end,
    // Another line of a function with breakpoints: nothing to do. A function not seen yet:
    // the debugger looks at it.
    ...get(CI), op.call, FN_HAS_BREAKPOINTS, op.eqz, op.brIf, 0,
    op.return,
    op.end,
    ...get(L), ...get(AR), op.call, FN_JS,
    op.end,
  ];
}

/**
 * hasBreakpoints(ci): 1 if the prototype of the Lua function running in `ci` is in the
 * table, else 0. Locals: ci, then p, h, k, e.
 */
function hasBreakpointsBody(cfg: number): number[] {
  const CI = 0, P = 1, H = 2, K = 3, E = 4;
  const { c, ld, get, set, tee, cfgLoad } = asm(cfg);
  // deno-fmt-ignore
  return [
    ...get(CI), ...ld(CI_FUNC), ...ld(0), ...ld(LCL_PROTO), ...set(P),
    ...get(P), ...c(4), op.shrU, ...cfgLoad(CFG_MASK), op.and, ...set(H),
    op.loop, op.void,
    ...cfgLoad(CFG_TABLE), ...get(H), ...c(3), op.shl, op.add, ...tee(E), ...ld(0), ...tee(K),
    ...get(P), op.eq,
    op.if, op.void, ...get(E), ...ld(4), op.return, op.end,
    ...get(K), op.eqz,
    op.if, op.void, ...c(0), op.return, op.end,
    ...get(H), ...c(1), op.add, ...cfgLoad(CFG_MASK), op.and, ...set(H),
    op.br, 0,
    op.end,
    op.unreachable,
    op.end,
  ];
}

const F64 = 0x7c;
const I64 = 0x7e;
/** f64.load and i64.load (align 8) at `offset`; i64.trunc_sat_f64_s. */
const f64Load = (offset: number) => [op.f64Load, 3, ...uleb(offset)];
const i64Load = (offset: number) => [op.i64Load, 3, ...uleb(offset)];
const I64_TRUNC_SAT_F64_S = [op.prefixFc, 0x06];
const NAN = [op.f64Const, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f];

/**
 * number(base, reg, k): the value of register `reg` of the frame at `base` as a double, or
 * `k` when `reg` is -1; NaN when it is not a number or not exactly a double. Params: base,
 * reg, k; locals: slot, tt (i32), v (i64).
 */
function numberBody(): number[] {
  const BASE = 0, REG = 1, K = 2, SLOT = 3, TT = 4, V = 5;
  const { c, ld8, get, set, tee } = asm(0);
  // deno-fmt-ignore
  return [
    ...get(REG), ...c(0), op.ltS, op.if, op.void, ...get(K), op.return, op.end,
    ...get(BASE), ...get(REG), ...c(4), op.shl, op.add, ...tee(SLOT),
    ...ld8(Lua.TV_TT), ...tee(TT), ...c(Lua.LUA_VNUMFLT), op.eq,
    op.if, op.void, ...get(SLOT), ...f64Load(0), op.return, op.end,
    ...get(TT), ...c(Lua.LUA_VNUMINT), op.ne, op.if, op.void, ...NAN, op.return, op.end,
    ...get(SLOT), ...i64Load(0), ...set(V),
    // Exact only if it comes back from the double unchanged.
    ...get(V), op.f64ConvertI64S, ...I64_TRUNC_SAT_F64_S, ...get(V), op.i64Ne,
    op.if, op.void, ...NAN, op.return, op.end,
    ...get(V), op.f64ConvertI64S,
    op.end,
  ];
}

/**
 * conditionFalse(ci): 1 if the table has a condition for ci's code position and it is
 * false, else 0. Locals: ci, then p, h, e, k, base, op (i32), x, y (f64).
 */
function conditionFalseBody(cfg: number): number[] {
  const CI = 0, P = 1, H = 2, E = 3, K = 4, BASE = 5, OP = 6, X = 7, Y = 8;
  const { c, ld, get, set, tee, cfgLoad } = asm(cfg);
  const mask = c(COND_CAP - 1);
  const cmp = (i: number, opcode: number) => [
    ...get(OP),
    ...c(i),
    op.eq,
    op.if,
    op.void,
    ...get(X),
    ...get(Y),
    opcode,
    op.eqz,
    op.return,
    op.end,
  ];
  // deno-fmt-ignore
  return [
    ...get(CI), ...ld(Lua.CI_SAVEDPC), ...set(P),
    ...get(P), ...c(2), op.shrU, ...mask, op.and, ...set(H),
    op.block, op.void,
    op.loop, op.void,
    ...cfgLoad(CFG_CONDS), ...get(H), ...c(5), op.shl, op.add, ...tee(E), ...ld(0), ...tee(K),
    ...get(P), op.eq, op.brIf, 1,
    ...get(K), op.eqz, op.if, op.void, ...c(0), op.return, op.end,
    ...get(H), ...c(1), op.add, ...mask, op.and, ...set(H),
    op.br, 0,
    op.end,
    op.end,
    ...get(CI), ...ld(CI_FUNC), ...c(Lua.TV_SIZE), op.add, ...set(BASE),
    ...get(BASE), ...get(E), ...ld(8), ...get(E), ...f64Load(16), op.call, FN_NUMBER, ...set(X),
    ...get(BASE), ...get(E), ...ld(12), ...get(E), ...f64Load(24), op.call, FN_NUMBER, ...set(Y),
    // NaN: undecided here.
    ...get(X), ...get(X), op.f64Ne, op.if, op.void, ...c(0), op.return, op.end,
    ...get(Y), ...get(Y), op.f64Ne, op.if, op.void, ...c(0), op.return, op.end,
    ...get(E), ...ld(4), ...set(OP),
    ...cmp(0, op.f64Eq), ...cmp(1, op.f64Ne), ...cmp(2, op.f64Lt), ...cmp(3, op.f64Le),
    ...cmp(4, op.f64Gt), ...cmp(5, op.f64Ge),
    ...c(0),
    op.end,
  ];
}

function filterModule(cfg: number): Uint8Array<ArrayBuffer> {
  const func = (nLocals: number, body: number[], more: number[] = []) => {
    const groups = (nLocals > 0 ? 1 : 0) + more.length / 2;
    const locals = [groups, ...(nLocals > 0 ? [nLocals, I32] : []), ...more];
    return [...uleb(locals.length + body.length), ...locals, ...body];
  };
  // deno-fmt-ignore
  const types = [
    3,
    0x60, 2, I32, I32, 0, // hook(L, ar)
    0x60, 1, I32, 1, I32, // hasBreakpoints(ci), conditionFalse(ci) -> 0 | 1
    0x60, 3, I32, I32, F64, 1, F64, // number(base, reg, k) -> f64
  ];
  // deno-fmt-ignore
  const imports = [
    2,
    ...name("js"), ...name("hook"), 0x00, 0,
    ...name("env"), ...name("memory"), 0x02, 0x03, ...uleb(1), ...uleb(MAX_PAGES),
  ];
  // deno-fmt-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, [4, 0, 1, 1, 2]),
    ...section(7, [1, ...name("hook"), 0x00, 1]),
    ...section(10, [
      4,
      ...func(2, hookBody(cfg)),
      ...func(4, hasBreakpointsBody(cfg)),
      ...func(6, conditionFalseBody(cfg), [2, F64]),
      ...func(2, numberBody(), [1, I64]),
    ]),
  ]);
}
