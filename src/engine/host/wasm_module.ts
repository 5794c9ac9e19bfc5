/**
 * The engine's compiled wasm, made on the main thread as soon as the Engine is created and
 * handed to its worker (a WebAssembly.Module, and a shared memory, can be posted to a
 * worker). V8 compiles on background threads, so the compile overlaps with the worker's own
 * start-up (~15 ms before its first line runs, during which `new Worker` blocks this thread)
 * instead of following it. With the compile hints (compile_hints.ts) that compile includes
 * the functions start-up runs.
 *
 * Nothing here may import a Node.js module: it is on the start-up path of every command
 * that runs Lua (tests/cli/startup_graph_test.ts).
 */
import { patchLineTrap } from "../vm/line_trap.ts";
import { GLUE_WASM_PATH } from "./assets.ts";
import { withCompileHints } from "../wasm/compile_hints.ts";
import { importSharedMemory, MAX_PAGES } from "../wasm/shared_memory.ts";
import type { EngineWasm } from "../vm/lua_wasm.ts";

/**
 * glue.wasm for an engine. An interruptible one's module imports a shared memory, so that
 * the main thread can poke the running Lua state (shared_memory.ts, poke.ts), and has its VM
 * patched for the debugger's line breakpoints (line_trap.ts); a batch engine's is glue.wasm
 * as it is, with its own memory.
 */
export function compileEngineWasm(interruptible: boolean): Promise<EngineWasm> {
  try {
    const original = Deno.readFileSync(GLUE_WASM_PATH);
    if (!interruptible) {
      return WebAssembly.compile(withCompileHints(original)).then((module) => ({ module }));
    }
    const { bytes, memory } = importSharedMemory(patchLineTrap(original), MAX_PAGES);
    return WebAssembly.compile(withCompileHints(bytes)).then((module) => ({ module, memory }));
  } catch (e) {
    return Promise.reject(e);
  }
}
