/**
 * Baseline for the Lua CPU benchmarks: one Lua file on a bare wasmoon engine, created the
 * way wasmoon's README does (`factory.createEngine()` with its defaults), on the main thread.
 * The scripts time themselves with os.clock() (wasmoon's os.clock works), so this process's
 * start-up is not part of the figure.
 *
 * Usage: deno run -A bench/raw_wasmoon.ts FILE [--trace-allocations]
 *   --trace-allocations  create the engine with { traceAllocations: true } as llmspell's
 *                        engine does (diagnostic variant, not the baseline)
 *   --heap-cap-mib N     (diagnostic) a memory limit with no per-allocation cost: refuse to
 *                        grow the wasm heap past N MiB by wrapping emscripten's
 *                        emscripten_resize_heap import; malloc then fails and Lua raises
 *                        "not enough memory" as with setMemoryMax
 */
import { LuaFactory } from "wasmoon";

const args = Deno.args.filter((a, i) =>
  !a.startsWith("--") && Deno.args[i - 1] !== "--heap-cap-mib"
);
const traceAllocations = Deno.args.includes("--trace-allocations");
const file = args[0];
if (!file) {
  console.error("usage: raw_wasmoon.ts FILE [--trace-allocations] [--heap-cap-mib N]");
  Deno.exit(2);
}
const capIdx = Deno.args.indexOf("--heap-cap-mib");
if (capIdx >= 0) {
  const cap = Number(Deno.args[capIdx + 1]) * 1024 * 1024;
  const instantiate = WebAssembly.instantiate;
  // deno-lint-ignore no-explicit-any
  (WebAssembly as any).instantiate = (src: any, imports: any) => {
    const resize = imports?.env?.emscripten_resize_heap as ((n: number) => number) | undefined;
    if (resize) {
      imports.env.emscripten_resize_heap = (n: number) => (n >>> 0) > cap ? 0 : resize(n);
    }
    return instantiate(src, imports);
  };
}
const wasmPath = new URL(import.meta.resolve("wasmoon/dist/glue.wasm")).pathname;
const factory = new LuaFactory(wasmPath);
const engine = await factory.createEngine(traceAllocations ? { traceAllocations: true } : {});
try {
  await engine.doString(await Deno.readTextFile(file));
} finally {
  engine.global.close();
}
