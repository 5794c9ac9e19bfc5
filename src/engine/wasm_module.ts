/**
 * An interruptible engine's compiled wasm, made on the main thread as soon as the Engine is
 * created and handed to its worker (a WebAssembly.Module and a shared memory can be posted
 * to a worker). V8 compiles on background threads, so the compile overlaps with the worker's
 * own start-up (~15 ms before its first line runs) instead of following it.
 *
 * A batch engine (`run`, `exec`) compiles in its worker instead (worker.ts): measured, Lua
 * compiled on the main thread ran ~5% slower there (closures 181 vs 173 ms median, bench/lua),
 * which outweighs the ~3 ms of start-up; the interruptible engine's Lua did not get slower.
 *
 * Nothing here may import a Node.js module: it is on the start-up path of every command
 * that runs Lua (tests/cli/startup_graph_test.ts).
 */
import { patchLineTrap } from "./line_trap.ts";
import { GLUE_WASM_PATH } from "./assets.ts";
import { importSharedMemory, MAX_PAGES } from "./shared_memory.ts";
import type { EngineWasm } from "./lua_wasm.ts";

/**
 * The module imports a shared memory, so that the main thread can poke the running Lua
 * state (shared_memory.ts, poke.ts), and has its VM patched for the debugger's line
 * breakpoints (line_trap.ts).
 */
export function compileInterruptibleWasm(): Promise<EngineWasm> {
  try {
    const original = Deno.readFileSync(GLUE_WASM_PATH);
    const { bytes, memory } = importSharedMemory(patchLineTrap(original), MAX_PAGES);
    return WebAssembly.compile(bytes).then((module) => ({ module, memory }));
  } catch (e) {
    return Promise.reject(e);
  }
}
