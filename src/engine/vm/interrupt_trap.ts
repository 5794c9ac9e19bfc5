/**
 * Two patches of glue.wasm that let a poke (poke.ts) reach code that Lua's hooks do not, so
 * that an interrupt or a time limit stops it as it stops a Lua loop and the Lua state
 * survives. Without them the worker spins out of the hook's reach until the kernel replaces
 * its process (kernel.ts #wedge).
 *
 * 1. Lua's pattern matcher runs in C: `string.find(string.rep("a", 5000), ".-.-.-.-b")`
 *    backtracks for hours without executing a VM instruction. Every backtracking step of a
 *    pattern is a (recursive) call of `match` (lstrlib.c): `min_expand` and `max_expand` call
 *    it for each length they try, and `str_find_aux`, `gmatch` and `gsub` for each start
 *    position. The loops that do not call it (`singlematch` runs, `%b`) are linear in the
 *    subject. So one check at the function's start bounds the time to an interrupt. After
 *    `if (ms->matchdepth-- == 0) luaL_error(...)`, MATCH adds
 *
 *        if (ms->L->hookmask & LUA_MASKCOUNT) luaD_hook(ms->L, LUA_HOOKCOUNT, -1, 0, 0);
 *
 *    which is what luaG_traceexec does for a due count event: a poke sets the count mask on
 *    the running thread (and on the threads resuming it). The hook raises the signal's error
 *    (runtime.ts #onHook) from inside the C function, as a C function's own luaL_error would;
 *    a debugger's request is served and the match goes on. Without a poke it costs a load
 *    and a test per call. luaD_hook is not exported: the patch calls it by its function
 *    index, which is checked against luaG_traceexec's own call (HOOK_CALL).
 *
 * 2. Lua turns hooks off while a `__gc` metamethod runs (GCTM in lgc.c sets
 *    `L->allowhook = 0`), so `while true do end` in a finalizer ignored every poke.
 *    COUNT_IN_FINALIZER makes luaD_hook's `if (hook && L->allowhook)` let a count event
 *    through: `if (hook && (L->allowhook || event == LUA_HOOKCOUNT))`. Count events come only
 *    from pokes here. The hook's error ends the finalizer (GCTM runs it in a protected call
 *    and only warns), the collection goes on, and the hook, which keeps itself armed, raises
 *    the signal again at the chunk's next instruction. Line, call and return events in a
 *    finalizer stay off, as in Lua.
 *
 * Like line_trap.ts's, the bytes around each point are matched exactly, so a different
 * glue.wasm fails at start-up rather than misbehaving.
 *
 * See docs/decisions/0022-interruptible-c-code.md.
 */
import { HookMask } from "./lua_h.ts";
import * as Lua from "./lua_layout.ts";
import type { Patch } from "./line_trap.ts";
import { op, sleb, uleb } from "../wasm/wasm_encode.ts";

/** MatchState's `L` (lstrlib.c; wasm32 layout): after src_init, src_end, p_end. */
const MS_L = 12;
/** lua.h's LUA_HOOKCOUNT, the event luaG_traceexec passes for a count event. */
const HOOK_COUNT = 3;
/** luaD_hook's function index in wasmoon 1.16.0's glue.wasm (checked: HOOK_CALL). */
const LUAD_HOOK = 288;

/**
 * luaG_traceexec's `luaD_hook(L, LUA_HOOKCOUNT, -1, 0, 0)`: where it is in glue.wasm, to
 * check that the function MATCH calls is luaD_hook.
 */
// deno-fmt-ignore
export const HOOK_CALL = {
  anchor: [
    op.get, 0x00, op.const, ...sleb(HOOK_COUNT), op.const, ...sleb(-1), op.const, 0x00,
    op.const, 0x00, op.call, ...uleb(LUAD_HOOK),
  ],
  knownAt: 53912,
};

const msL = [op.get, 0x00, op.load, 0x02, ...uleb(MS_L)];

// deno-fmt-ignore
export const MATCH: Patch = {
  // match's start: `if (ms->matchdepth-- == 0) luaL_error(ms->L, "pattern too complex")`
  // (the string's address, 1234, is the first i32.const), then the `init:` loop's head.
  anchor: [
    0x20, 0x04, 0x45, 0x04, 0x40, 0x20, 0x00, 0x28, 0x02, 0x0c, 0x41, 0xd2, 0x09, 0x41, 0x00,
    0x10, 0x78, 0x1a, 0x0b,
    0x03, 0x40,
  ],
  insertAt: 19,
  knownAt: 148948,
  code: [
    ...msL, op.load8u, 0x00, ...uleb(Lua.L_HOOKMASK), op.const, ...sleb(HookMask.count), op.and,
    op.if, op.void,
    ...msL, op.const, ...sleb(HOOK_COUNT), op.const, ...sleb(-1), op.const, 0x00, op.const, 0x00,
    op.call, ...uleb(LUAD_HOOK),
    op.end,
  ],
};

// deno-fmt-ignore
export const COUNT_IN_FINALIZER: Patch = {
  // luaD_hook's start: `hook = L->hook` (offset 88, into local 10), eqz, br_if out; then
  // `L->allowhook` (offset 7), where the patch ors in `event == LUA_HOOKCOUNT` (local 1),
  // eqz, br_if out.
  anchor: [
    0x20, 0x00, 0x28, 0x02, 0x58, 0x22, 0x0a, 0x45, 0x0d, 0x00,
    0x20, 0x00, 0x2d, 0x00, 0x07, 0x45, 0x0d, 0x00,
  ],
  insertAt: 15,
  knownAt: 56812,
  code: [op.get, 0x01, op.const, ...sleb(HOOK_COUNT), op.eq, op.or],
};
