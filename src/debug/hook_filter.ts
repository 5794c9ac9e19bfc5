/**
 * The debugger's hook, in front of its JavaScript: a small wasm function (built here, byte
 * by byte) that Lua calls for every hook event and that decides in wasm whether the
 * debugger needs to see it. With a line breakpoint set, Lua calls the hook at every call
 * and return (to switch line events on inside functions with breakpoints) and at every new
 * line of those functions; almost all of those events need nothing, and a call into
 * JavaScript for each costs more than the event itself (bench/debug.ts (b), (c)).
 *
 * The filter passes an event on to the JavaScript hook when:
 * - the configuration says so (`forwardAll`: steps, pauses, function breakpoints);
 * - a count event (a poke: engine/poke.ts);
 * - a line event on a line number that has a breakpoint in some file (a bitmap);
 * - a call or return into a Lua function whose prototype is not in the table yet, or whose
 *   line-event state (on for prototypes with breakpoints) differs from the thread's mask.
 * The table maps Proto pointers to 1 (no breakpoints) or 2 (breakpoints); the debugger
 * fills it as it meets prototypes and clears it when breakpoints change.
 */
import { HookMask } from "../engine/capi.ts";
import * as Lua from "../engine/lua_layout.ts";
import { MAX_PAGES } from "../engine/shared_memory.ts";
import { name, section, sleb, uleb } from "../engine/wasm_encode.ts";

export interface FilterMemory {
  HEAP32: Int32Array;
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
}

// The configuration block in wasm memory (offsets).
const CFG_FORWARD_ALL = 0;
const CFG_TABLE = 4;
const CFG_MASK = 8;
const CFG_LINES = 12;
const CFG_SIZE = 16;
/** Lines 0..MAX_LINE-1 have a bit; events on later lines always reach JavaScript. */
const MAX_LINE = 1 << 16;

const MASK_LINE = HookMask.line;
const { AR_EVENT, AR_CURRENTLINE, AR_CI, TV_TT, LUA_VLCL_COLLECTABLE, LCL_PROTO } = Lua;
const { EV_RET, EV_LINE, EV_COUNT } = Lua;

export const ProtoMark = { plain: 1, breakpoints: 2 } as const;

export class HookFilter {
  /** The filter's index in the wasm function table: the lua_Hook to install. */
  readonly hookPtr: number;
  readonly #m: FilterMemory;
  readonly #cfg: number;
  #table = 0;
  #cap = 0;
  #count = 0;

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
    this.#allocTable(1024);
    const module = new WebAssembly.Module(filterModule(this.#cfg));
    const instance = new WebAssembly.Instance(module, {
      js: { hook: jsHook },
      env: { memory },
    });
    this.hookPtr = addFunction(instance.exports.hook as (L: number, ar: number) => void);
  }

  /** Every event goes to JavaScript (steps, pauses, function breakpoints). */
  set forwardAll(on: boolean) {
    this.#m.HEAP32[(this.#cfg + CFG_FORWARD_ALL) >> 2] = on ? 1 : 0;
  }

  /** The line numbers that have a breakpoint, in any file. */
  setLines(lines: Iterable<number>): void {
    const u8 = this.#m.HEAPU8;
    const base = this.#m.HEAP32[(this.#cfg + CFG_LINES) >> 2];
    u8.fill(0, base, base + MAX_LINE / 8);
    for (const l of lines) if (l >= 0 && l < MAX_LINE) u8[base + (l >> 3)] |= 1 << (l & 7);
  }

  /** Records what the debugger found out about a prototype. */
  mark(proto: number, mark: number): void {
    if ((this.#count + 1) * 2 > this.#cap) this.#grow();
    if (this.#put(proto, mark)) this.#count++;
  }

  /** Forgets all prototypes (breakpoints changed; their pins are released). */
  clear(): void {
    this.#m.HEAP32.fill(0, this.#table >> 2, (this.#table >> 2) + this.#cap * 2);
    this.#count = 0;
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
const op = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  load: 0x28,
  load8u: 0x2d,
  const: 0x41,
  eqz: 0x45,
  eq: 0x46,
  ne: 0x47,
  geU: 0x4f,
  add: 0x6a,
  and: 0x71,
  shl: 0x74,
  shrU: 0x76,
  void: 0x40,
} as const;

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
const FN_MARK = 2;

/**
 * hook(L, ar): the lua_Hook. Locals: L, ar, then ev, ci, k. A `br` to the outer block
 * passes the event on to JavaScript.
 */
function hookBody(cfg: number): number[] {
  const L = 0, AR = 1, EV = 2, CI = 3, K = 4;
  const { c, ld, ld8, get, set, tee, cfgLoad } = asm(cfg);
  const lineOn = [...get(L), ...ld8(Lua.L_HOOKMASK), ...c(MASK_LINE), op.and];
  // deno-fmt-ignore
  return [
    op.block, op.void,
    ...cfgLoad(CFG_FORWARD_ALL), op.brIf, 0,
    ...get(AR), ...ld(AR_EVENT), ...tee(EV), ...c(EV_LINE), op.eq,
    op.if, op.void,
    // Line event: forward only lines that have a breakpoint somewhere.
    ...get(AR), ...ld(AR_CURRENTLINE), ...tee(K), ...c(MAX_LINE), op.geU, op.brIf, 1,
    ...cfgLoad(CFG_LINES), ...get(K), ...c(3), op.shrU, op.add, ...ld8(0),
    ...c(1), ...get(K), ...c(7), op.and, op.shl, op.and, op.brIf, 1,
    op.return,
    op.end,
    ...get(EV), ...c(EV_COUNT), op.eq, op.brIf, 0,
    ...get(AR), ...ld(AR_CI), ...set(CI),
    // A return: the function returned to is what matters.
    ...get(EV), ...c(EV_RET), op.eq,
    op.if, op.void,
    ...get(CI), ...ld(Lua.CI_PREVIOUS), ...tee(CI), op.eqz,
    op.if, op.void, ...lineOn, op.brIf, 2, op.return, op.end,
    op.end,
    // An unseen prototype, or a switch of line events: forward.
    ...get(CI), op.call, FN_MARK, ...tee(K), op.eqz, op.brIf, 0,
    ...get(K), ...c(ProtoMark.breakpoints), op.eq, ...lineOn, ...c(0), op.ne, op.ne, op.brIf, 0,
    op.return,
    op.end,
    ...get(L), ...get(AR), op.call, FN_JS,
    op.end,
  ];
}

/**
 * mark(ci): the table's mark for the function running in `ci`: 0 unseen, plain (also for
 * C functions), breakpoints. Locals: ci, then p, h, k, e.
 */
function markBody(cfg: number): number[] {
  const CI = 0, P = 1, H = 2, K = 3, E = 4;
  const { c, ld, ld8, get, set, tee, cfgLoad } = asm(cfg);
  // deno-fmt-ignore
  return [
    ...get(CI), ...ld(Lua.CI_FUNC), ...tee(P), ...ld8(TV_TT), ...c(LUA_VLCL_COLLECTABLE), op.ne,
    op.if, op.void, ...c(ProtoMark.plain), op.return, op.end,
    ...get(P), ...ld(0), ...ld(LCL_PROTO), ...set(P),
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

function filterModule(cfg: number): Uint8Array<ArrayBuffer> {
  const func = (nLocals: number, body: number[]) => {
    const locals = nLocals > 0 ? [1, nLocals, I32] : [0];
    return [...uleb(locals.length + body.length), ...locals, ...body];
  };
  // deno-fmt-ignore
  const types = [
    2,
    0x60, 2, I32, I32, 0, // hook(L, ar)
    0x60, 1, I32, 1, I32, // mark(ci) -> mark
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
    ...section(3, [2, 0, 1]),
    ...section(7, [1, ...name("hook"), 0x00, 1]),
    ...section(10, [2, ...func(3, hookBody(cfg)), ...func(4, markBody(cfg))]),
  ]);
}
