/**
 * The engine's compiled wasm, made on the main thread as soon as an Engine is created and
 * handed to its worker (a WebAssembly.Module and a shared memory can be posted to a
 * worker). V8 compiles on background threads, so the compile overlaps with the worker's own
 * start-up (~15 ms before its first line runs) instead of following it: `exec` gets its Lua
 * state that much sooner (bench/RESULTS.md, start-up).
 *
 * Nothing here may import a Node.js module: it is on the start-up path of every command
 * that runs Lua (tests/cli/startup_graph_test.ts).
 */
import { patchLineTrap } from "./line_trap.ts";
import { importSharedMemory, MAX_PAGES } from "./shared_memory.ts";

export interface EngineWasm {
  module: WebAssembly.Module;
  /** The memory the module imports, for an interruptible engine (see handle.ts EngineStart). */
  memory?: WebAssembly.Memory;
}

const wasmPath = new URL(import.meta.resolve("wasmoon/dist/glue.wasm")).pathname;

/**
 * An interruptible engine's module imports a shared memory, so that the main thread can
 * poke the running Lua state (shared_memory.ts, poke.ts), and has its VM patched for the
 * debugger's line breakpoints (line_trap.ts). A batch engine's is wasmoon's own: shared
 * memory costs up to 8% on allocation-heavy Lua.
 */
export function compileEngineWasm(interruptible: boolean): Promise<EngineWasm> {
  try {
    const original = Deno.readFileSync(wasmPath);
    if (!interruptible) return WebAssembly.compile(original).then((module) => ({ module }));
    const { bytes, memory } = importSharedMemory(patchLineTrap(original), MAX_PAGES);
    return WebAssembly.compile(bytes).then((module) => ({ module, memory }));
  } catch (e) {
    return Promise.reject(e);
  }
}
