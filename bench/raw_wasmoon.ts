/**
 * Baseline for the Lua CPU benchmarks: one Lua file on a bare wasmoon engine, created the
 * way wasmoon's README does (`factory.createEngine()` with its defaults), on the main thread.
 * The scripts time themselves with os.clock() (wasmoon's os.clock works), so this process's
 * start-up is not part of the figure.
 *
 * Usage: deno run -A bench/raw_wasmoon.ts FILE [--trace-allocations]
 *   --trace-allocations  create the engine with { traceAllocations: true } as llmspell's
 *                        engine does (diagnostic variant, not the baseline)
 */
import { LuaFactory } from "wasmoon";

const args = Deno.args.filter((a) => !a.startsWith("--"));
const traceAllocations = Deno.args.includes("--trace-allocations");
const file = args[0];
if (!file) {
  console.error("usage: raw_wasmoon.ts FILE [--trace-allocations]");
  Deno.exit(2);
}
const wasmPath = new URL(import.meta.resolve("wasmoon/dist/glue.wasm")).pathname;
const factory = new LuaFactory(wasmPath);
const engine = await factory.createEngine(traceAllocations ? { traceAllocations: true } : {});
try {
  await engine.doString(await Deno.readTextFile(file));
} finally {
  engine.global.close();
}
