/**
 * Breakpoint conditions that compare numbers held in locals (`i == 500`, `n < 0`,
 * `a >= b`), evaluated by reading the frame's registers in wasm memory: no call into Lua.
 * A conditional breakpoint in a hot loop runs its condition on every pass, and a call into
 * Lua per pass is costly (docs/decisions/0006-hook-filter.md). Anything else, or a value that
 * is not a number when read, goes to the general path (a compiled Lua function), which also gives
 * Lua's own errors and semantics for the other cases.
 */

import * as Lua from "../../engine/vm/lua_layout.ts";

/** Reads the frame's registers; `undefined`: not decidable here, use the Lua path. */
export type FastCondition = (heap: Heap, base: number) => boolean | undefined;

export interface Heap {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPF64: Float64Array;
}

const { TV_SIZE: SLOT, TV_TT: TT, LUA_VNUMINT, LUA_VNUMFLT } = Lua;

type Operand = { local: number } | { value: number };

/** The comparisons, in the order the debugger's wasm filter numbers them (hook_filter.ts). */
export const CONDITION_OPS = ["==", "~=", "<", "<=", ">", ">="] as const;

/** A condition comparing two numbers, locals (by register) or constants. */
export interface ConditionSpec {
  op: (typeof CONDITION_OPS)[number];
  a: Operand;
  b: Operand;
}

const NAME = "[A-Za-z_][A-Za-z0-9_]*";
const NUMBER = "-?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?";
const FORM = new RegExp(
  `^\\s*(${NAME}|${NUMBER})\\s*(==|~=|<=|>=|<|>)\\s*(${NAME}|${NUMBER})\\s*$`,
);
const KEYWORDS = new Set(["nil", "true", "false", "not", "and", "or"]);

/**
 * A fast evaluator for `condition`, given the names of the frame's locals in register
 * order (as lua_getlocal lists them), or undefined when the condition has another form.
 */
export function compileFastCondition(
  condition: string,
  locals: string[],
): (FastCondition & { spec: ConditionSpec }) | undefined {
  const m = FORM.exec(condition);
  if (!m) return undefined;
  const a = operand(m[1], locals);
  const b = operand(m[3], locals);
  if (!a || !b || ("value" in a && "value" in b)) return undefined;
  const cmp = COMPARE[m[2]];
  const fast: FastCondition = (heap, base) => {
    const x = read(heap, base, a);
    if (x === undefined) return undefined;
    const y = read(heap, base, b);
    if (y === undefined) return undefined;
    return cmp(x, y);
  };
  return Object.assign(fast, { spec: { op: m[2] as ConditionSpec["op"], a, b } });
}

function operand(text: string, locals: string[]): Operand | undefined {
  if (/^[-.\d]/.test(text)) {
    const v = Number(text);
    return Number.isFinite(v) ? { value: v } : undefined;
  }
  if (KEYWORDS.has(text)) return undefined;
  // The innermost local of that name is the last one in scope.
  const i = locals.lastIndexOf(text);
  return i < 0 ? undefined : { local: i };
}

/** A number register as a JS number; undefined for other types or inexact integers. */
function read(heap: Heap, base: number, o: Operand): number | undefined {
  if ("value" in o) return o.value;
  const slot = base + o.local * SLOT;
  const tt = heap.HEAPU8[slot + TT];
  if (tt === LUA_VNUMFLT) return heap.HEAPF64[slot >> 3];
  if (tt !== LUA_VNUMINT) return undefined;
  const lo = heap.HEAP32[slot >> 2] >>> 0;
  const hi = heap.HEAP32[(slot >> 2) + 1];
  // Beyond 2^53 a double cannot hold the integer exactly: let Lua compare it.
  if (hi > 0x1fffff || hi < -0x200000) return undefined;
  return hi * 0x100000000 + lo;
}

const COMPARE: Record<string, (x: number, y: number) => boolean> = {
  "==": (x, y) => x === y,
  "~=": (x, y) => x !== y,
  "<": (x, y) => x < y,
  "<=": (x, y) => x <= y,
  ">": (x, y) => x > y,
  ">=": (x, y) => x >= y,
};
