/**
 * A patch of the Lua VM in glue.wasm: with only line events hooked, a Lua function traps
 * (runs its instructions through the hook) only if its prototype is not marked plain.
 *
 * Why: with a breakpoint set, Lua 5.4 makes every function trap every instruction once the
 * line mask is on (`trap = L->hookmask` at each call). The way around that with the C API
 * alone, a call hook that switches line events on only inside functions with breakpoints,
 * still costs a hook call per Lua call and return (docs/decisions/0005-vm-line-trap.md).
 * With this patch the debugger sets the line mask alone and marks each prototype
 * without breakpoints once (lua_layout.ts PROTO_PLAIN_BIT, debug/worker/prototypes.ts); those
 * functions then run as if no hook were set, at the cost of a compare per call and return.
 *
 * Three places change (Lua 5.4.4's C shown). Only the line mask alone, LUA_MASKLINE, is
 * concerned: any other mask, with calls, returns or counts in it (steps, pauses, interrupts,
 * pokes), keeps Lua's own behaviour.
 *
 * 1. luaV_execute (lvm.c) starts and resumes a function at
 *
 *        startfunc:
 *          trap = L->hookmask;
 *        returning:  // also where a callee returns to its caller
 *          cl = clLvalue(s2v(ci->func)); ... if (l_unlikely(trap)) { ... }
 *
 *    In glue.wasm these are the heads of two nested loops, with `trap` in local 3 and `ci`
 *    in local 7. At the head of `returning` the patch adds
 *
 *        if (L->hookmask == LUA_MASKLINE &&
 *            (trap = !(ci_func(ci)->p->marked & PROTO_PLAIN_BIT)))
 *          L->oldpc = pcRel(ci->u.l.savedpc, ci_func(ci)->p);
 *
 *    Setting `oldpc` there is what `rethook` does for a return into a Lua function (for a
 *    start, luaD_hookcall sets it right after), so that returns need not call it (3).
 *
 * 2. luaG_traceexec (ldebug.c), which a trapping function calls before each instruction,
 *    gets at its start what it does when no line or count hook is set:
 *
 *        if (L->hookmask == LUA_MASKLINE && (ci_func(L->ci)->p->marked & PROTO_PLAIN_BIT))
 *          { L->ci->u.l.trap = 0; return 0; }
 *
 *    so a frame that was trapping when its prototype was marked (the first call of each
 *    function, a frame running when breakpoints changed) stops at its next instruction.
 *    Like Lua's own code there, this can drop a poke's trap set in the same instant; the
 *    engine handle pokes again until the poke is served (handle.ts).
 *
 * 3. OP_RETURN0 and OP_RETURN1 take their slow path (luaD_poscall, whose only hook work is
 *    `rethook`) `if (L->hookmask)`; the patch makes that `if (L->hookmask & ~LUA_MASKLINE)`.
 *
 * The bytes around each patch point are matched exactly, so a different glue.wasm fails
 * here at start-up rather than misbehaving.
 */
import { HookMask } from "./lua_h.ts";
import * as Lua from "./lua_layout.ts";
import { concat } from "../../bytes.ts";
import { COUNT_IN_FINALIZER, HOOK_CALL, MATCH } from "./interrupt_trap.ts";
import { op, readSections, readUleb, sleb, uleb } from "../wasm/wasm_encode.ts";

const SECTION_CODE = 10;

export interface Patch {
  /** The bytes around the patch point. */
  anchor: number[];
  /** Where the code goes, as an offset into `anchor`. */
  insertAt: number;
  /** Where `anchor` is in wasmoon 1.16.0's glue.wasm: checked first (a search costs ~10 ms). */
  knownAt: number;
  code: number[];
}

const I32_LOAD = [op.load, 0x02];
const I32_LOAD8_U = [op.load8u, 0x00];
const I32_STORE = [op.store, 0x02];
const get = (i: number) => [op.get, i];
const tee = (i: number) => [op.tee, i];
const i32 = (v: number) => [op.const, ...sleb(v)];
const IF = [op.if, op.void];
const { eq: I32_EQ, sub: I32_SUB, and: I32_AND, xor: I32_XOR, shrS: I32_SHR_S, shrU: I32_SHR_U } =
  op;
const { end: END, return: RETURN } = op;

/** `L` (a local) → i32: its hook mask is the line mask alone. */
const lineOnly = (L: number) => [
  ...get(L),
  ...I32_LOAD8_U,
  ...uleb(Lua.L_HOOKMASK),
  ...i32(HookMask.line),
  I32_EQ,
];
/** A CallInfo on the stack → its function's Proto. */
// deno-fmt-ignore
const proto = [
  ...I32_LOAD, ...uleb(Lua.CI_FUNC), //  ->func (the stack slot)
  ...I32_LOAD, 0x00, //                  ->value.gc (the LClosure)
  ...I32_LOAD, ...uleb(Lua.LCL_PROTO), // ->p
];
const protoMarked = [...proto, ...I32_LOAD8_U, ...uleb(Lua.GC_MARKED)];

const L = 0;

// deno-fmt-ignore
const RETURNING: Patch = {
  // luaV_execute's first instructions, up to and including the `returning` loop's head.
  anchor: [
    0x02, 0x40, //                      block
    0x03, 0x40, //                        loop (startfunc)
    0x02, 0x40, //                          block
    0x20, 0x00, 0x28, 0x02, 0x70, //          L->hookmask (local 0 is L, offset 112)
    0x21, 0x03, //                            -> trap (local 3)
    0x20, 0x01, 0x21, 0x07, //                ci (local 1) -> local 7
    0x03, 0x40, //                            loop (returning)
  ],
  insertAt: 19,
  knownAt: 179546,
  code: [
    ...lineOnly(L), ...IF,
    ...get(7), ...protoMarked, ...i32(7), I32_SHR_U, ...i32(1), I32_XOR, ...tee(3), ...IF,
    ...get(L),
    ...get(7), ...I32_LOAD, ...uleb(Lua.CI_SAVEDPC),
    ...get(7), ...proto, ...I32_LOAD, ...uleb(Lua.PROTO_CODE),
    I32_SUB, ...i32(2), I32_SHR_S, ...i32(1), I32_SUB,
    ...I32_STORE, ...uleb(Lua.L_OLDPC),
    END,
    END,
  ],
};

// deno-fmt-ignore
const TRACEEXEC: Patch = {
  // luaG_traceexec(L, pc)'s first instructions: ci = L->ci (local 8); mask = L->hookmask.
  anchor: [
    0x20, 0x00, 0x28, 0x02, 0x14, 0x21, 0x08,
    0x20, 0x00, 0x28, 0x02, 0x70, 0x22, 0x03, 0x41, 0x0c, 0x71, 0x45, 0x04, 0x40,
  ],
  insertAt: 0,
  knownAt: 53715,
  code: [
    ...lineOnly(L), ...IF,
    ...get(L), ...I32_LOAD, ...uleb(Lua.L_CI), ...protoMarked, ...i32(Lua.PROTO_PLAIN_BIT),
    I32_AND, ...IF,
    ...get(L), ...I32_LOAD, ...uleb(Lua.L_CI), ...i32(0), ...I32_STORE, ...uleb(Lua.CI_TRAP),
    ...i32(0), RETURN,
    END,
    END,
  ],
};

/**
 * OP_RETURN0/OP_RETURN1's `if (L->hookmask) { L->top = ra...`, told apart by the end of
 * `tail`: `L->hookmask` becomes `L->hookmask & ~LUA_MASKLINE` before the `if`.
 */
function returnPatch(tail: number[], knownAt: number): Patch {
  // deno-fmt-ignore
  const head = [
    0x20, 0x00, 0x28, 0x02, 0x70, 0x04, 0x40, //                   L->hookmask, if
    0x20, 0x00, 0x20, 0x06, 0x20, 0x01, 0x41, 0x03, 0x76, 0x41, 0xf0, 0x1f, 0x71, 0x6a, // ra
  ];
  return {
    anchor: [...head, ...tail],
    insertAt: 5,
    knownAt,
    code: [...i32(~HookMask.line), I32_AND],
  };
}

/** `L->top = ra` (a store) and `L->top = ra + 1` (an add first). */
const RETURN0 = returnPatch([0x36, 0x02, 0x0c], 195883);
const RETURN1 = returnPatch([0x41, 0x10, 0x6a], 196149);

/**
 * Later patch points first, so that the earlier ones' known offsets stay right. MATCH and
 * COUNT_IN_FINALIZER let interrupts reach the pattern matcher and finalizers
 * (interrupt_trap.ts).
 */
export const PATCHES: readonly Patch[] = [
  RETURN1,
  RETURN0,
  RETURNING,
  MATCH,
  COUNT_IN_FINALIZER,
  TRACEEXEC,
];

/** Returns glue.wasm with the patches applied (a new array; `wasm` is not changed). */
export function patchLineTrap(wasm: Uint8Array): Uint8Array<ArrayBuffer> {
  // MATCH calls luaD_hook by its index: this is the function luaG_traceexec calls.
  findOnce(wasm, HOOK_CALL.anchor, HOOK_CALL.knownAt);
  let out = wasm;
  for (const patch of PATCHES) out = applyPatch(out, patch);
  return out as Uint8Array<ArrayBuffer>;
}

function applyPatch(wasm: Uint8Array, patch: Patch): Uint8Array<ArrayBuffer> {
  const at = findOnce(wasm, patch.anchor, patch.knownAt);
  const code = readSections(wasm).find((s) => s.id === SECTION_CODE);
  if (!code) throw new Error("glue.wasm has no code section");
  // Find the function body that holds the patch point, to rewrite its size.
  let [count, pos] = readUleb(wasm, code.start);
  for (; count > 0; count--) {
    const [size, body] = readUleb(wasm, pos);
    if (at >= body && at < body + size) {
      const insert = at + patch.insertAt;
      const newSize = size + patch.code.length;
      const sectionSize = code.size - (body - pos) + uleb(newSize).length + patch.code.length;
      return concat([
        wasm.subarray(0, code.head),
        [SECTION_CODE, ...uleb(sectionSize)],
        wasm.subarray(code.start, pos),
        uleb(newSize),
        wasm.subarray(body, insert),
        patch.code,
        wasm.subarray(insert),
      ]);
    }
    pos = body + size;
  }
  throw new Error("glue.wasm: a VM patch point is outside the code section");
}

/** Where `needle` is in `hay`; it must be there exactly once. */
export function findOnce(hay: Uint8Array, needle: number[], knownAt = -1): number {
  if (matchesAt(hay, needle, knownAt)) return knownAt;
  let found = -1;
  for (let i = 0; i + needle.length <= hay.length; i++) {
    if (!matchesAt(hay, needle, i)) continue;
    if (found >= 0) throw new Error("glue.wasm: a VM patch point is not unique");
    found = i;
  }
  if (found < 0) {
    throw new Error("glue.wasm: a VM patch point was not found (not wasmoon 1.16's Lua 5.4.4)");
  }
  return found;
}

function matchesAt(hay: Uint8Array, needle: number[], at: number): boolean {
  if (at < 0 || at + needle.length > hay.length) return false;
  for (let j = 0; j < needle.length; j++) if (hay[at + j] !== needle[j]) return false;
  return true;
}
