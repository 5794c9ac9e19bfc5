/**
 * Poking the running Lua state from the main thread: makes the engine worker call its count
 * hook at the next Lua instruction, while it is busy in Lua and cannot read messages. An
 * interrupt, a timeout or a debugger request uses it, so no hook needs to run while none of
 * them is pending (a count hook makes Lua 5.4 trap every instruction). See
 * docs/decisions/0004-shared-memory-and-poke.md.
 *
 * This is what Lua's own `lua.c` does from a signal handler (`lua_sethook` is documented as
 * safe to call asynchronously): set the hook, count 1 and the count mask in the lua_State,
 * and the `trap` flag of its Lua call frames, which the VM re-reads at every jump and call.
 * The worker's memory is shared (shared_memory.ts), so the main thread writes those fields
 * itself. A coroutine runs in its own lua_State: the thread running the chunk is blocked in
 * `coroutine.resume` (or a `coroutine.wrap` function) while it runs, so the poke follows
 * that chain to the innermost running coroutine and pokes every thread on the way.
 *
 * The worker publishes what the poke needs in the control buffer (protocol.ts `Control`):
 * the running thread, the hook function, and the C functions that resume coroutines. The
 * hook itself puts the thread's hook back as it was (runtime.ts, debug/worker/hook.ts).
 */
import { HookMask } from "./lua_h.ts";
import * as Lua from "./lua_layout.ts";
import { Control } from "../shared/protocol.ts";

const CIST_C = Lua.CIST_C;
const { L_CI, L_HOOK, L_BASEHOOKCOUNT, L_HOOKCOUNT, L_HOOKMASK } = Lua;
const { CI_FUNC, CI_PREVIOUS, CI_TRAP, CI_CALLSTATUS, TV_SIZE, TV_TT, CCL_F, CCL_UPVALUE } = Lua;
const { LUA_VLCF, LUA_VCCL_COLLECTABLE, LUA_VTHREAD_COLLECTABLE } = Lua;

/** Bounds that keep a poke short even on a state that changes under it. */
const MAX_FRAMES = 1 << 20;
const MAX_THREADS = 200;

/** Makes the running Lua thread (if any) call its count hook at the next instruction. */
export function pokeRunning(memory: WebAssembly.Memory, control: Int32Array): void {
  let L = Atomics.load(control, Control.running);
  if (L === 0) return;
  const hook = Atomics.load(control, Control.hook);
  const resume = Atomics.load(control, Control.resumeFn);
  const wrap = Atomics.load(control, Control.wrapFn);
  const h32 = new Int32Array(memory.buffer);
  const u8 = new Uint8Array(memory.buffer);
  for (let n = 0; L !== 0 && n < MAX_THREADS; n++) {
    armThread(h32, u8, L, hook);
    L = resumedThread(h32, u8, L, resume, wrap);
  }
}

function armThread(h32: Int32Array, u8: Uint8Array, L: number, hook: number): void {
  Atomics.store(h32, (L + L_HOOK) >> 2, hook);
  Atomics.store(h32, (L + L_BASEHOOKCOUNT) >> 2, 1);
  Atomics.store(h32, (L + L_HOOKCOUNT) >> 2, 1);
  Atomics.or(h32, (L + L_HOOKMASK) >> 2, HookMask.count);
  let ci = Atomics.load(h32, (L + L_CI) >> 2);
  for (let n = 0; ci !== 0 && n < MAX_FRAMES; n++) {
    if ((u8[ci + CI_CALLSTATUS] & CIST_C) === 0) Atomics.store(h32, (ci + CI_TRAP) >> 2, 1);
    ci = Atomics.load(h32, (ci + CI_PREVIOUS) >> 2);
  }
}

/** The coroutine that `L` is resuming right now, or 0 (also the profiler's, sampler.ts). */
export function resumedThread(
  h32: Int32Array,
  u8: Uint8Array,
  L: number,
  resume: number,
  wrap: number,
): number {
  const ci = Atomics.load(h32, (L + L_CI) >> 2);
  if (ci === 0 || (u8[ci + CI_CALLSTATUS] & CIST_C) === 0) return 0;
  const func = Atomics.load(h32, (ci + CI_FUNC) >> 2);
  const tt = u8[func + TV_TT];
  let thread = 0;
  if (tt === LUA_VLCF && h32[func >> 2] === resume) {
    // coroutine.resume(co, ...): the coroutine is the first argument.
    if (u8[func + TV_SIZE + TV_TT] === LUA_VTHREAD_COLLECTABLE) thread = h32[(func + TV_SIZE) >> 2];
  } else if (tt === LUA_VCCL_COLLECTABLE) {
    // A coroutine.wrap function: a C closure whose upvalue is the coroutine.
    const cl = h32[func >> 2];
    if (
      h32[(cl + CCL_F) >> 2] === wrap && u8[cl + CCL_UPVALUE + TV_TT] === LUA_VTHREAD_COLLECTABLE
    ) {
      thread = h32[(cl + CCL_UPVALUE) >> 2];
    }
  }
  return thread === L ? 0 : thread;
}
