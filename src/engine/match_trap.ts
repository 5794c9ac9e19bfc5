/**
 * A patch of Lua's pattern matcher in glue.wasm: `match` (lstrlib.c) calls the count hook
 * when a poke (poke.ts) is pending, so that an interrupt or a time limit stops a pattern
 * that would run for hours (`string.find(string.rep("a", 5000), ".-.-.-.-b")`) as it stops
 * a Lua loop, and the Lua state survives. Without it the worker spins in C, out of the
 * hook's reach, until the kernel replaces its process (kernel.ts #wedge).
 *
 * Every backtracking step of a pattern is a (recursive) call of `match`: `min_expand` and
 * `max_expand` call it for each length they try, and `str_find_aux`, `gmatch` and `gsub`
 * for each start position. The loops that do not call it (`singlematch` runs, `%b`) are
 * linear in the subject. So one check at the function's start bounds the time to an
 * interrupt. At its start, after `if (ms->matchdepth-- == 0) luaL_error(...)`, the patch adds
 *
 *     if (ms->L->hookmask & LUA_MASKCOUNT) luaD_hook(ms->L, LUA_HOOKCOUNT, -1, 0, 0);
 *
 * which is what luaG_traceexec does for a due count event: a poke sets the count mask on
 * the running thread (and on the threads resuming it). The hook raises the signal's error
 * (runtime.ts #onHook) from inside the C function, as a C function's own luaL_error would;
 * a debugger's request is served and the match goes on. Without a poke it costs a load and
 * a test per call.
 *
 * luaD_hook is not exported: the patch calls it by its function index, which is checked
 * against luaG_traceexec's own call (HOOK_CALL), matched exactly like the patch point.
 *
 * See docs/decisions/0022-interruptible-pattern-matcher.md.
 */
import { HookMask } from "./lua_h.ts";
import * as Lua from "./lua_layout.ts";
import type { Patch } from "./line_trap.ts";
import { op, sleb, uleb } from "./wasm_encode.ts";

/** MatchState's `L` (lstrlib.c; wasm32 layout): after src_init, src_end, p_end. */
const MS_L = 12;
/** lua.h's LUA_HOOKCOUNT, the event luaG_traceexec passes for a count event. */
const HOOK_COUNT = 3;
/** luaD_hook's function index in wasmoon 1.16.0's glue.wasm (checked: HOOK_CALL). */
const LUAD_HOOK = 288;

/**
 * luaG_traceexec's `luaD_hook(L, LUA_HOOKCOUNT, -1, 0, 0)`: where it is in glue.wasm, to
 * check that the function the patch calls is luaD_hook.
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
