/**
 * Compile hints for glue.wasm. V8 compiles a wasm function at its first call, on the thread
 * that calls it; the ~230 functions that start-up runs (startup_functions.ts) cost the
 * engine's worker ~8 ms that way. With a `metadata.code.compilation_priority` section naming
 * them (the WebAssembly compilation-hints proposal), V8 compiles them on its background
 * threads as part of `WebAssembly.compile`, which the main thread starts before it creates
 * the worker (handle.ts): the work then overlaps with the worker's own start-up.
 *
 * V8 reads the section only with COMPILE_HINTS_V8_FLAG, which every way of running llmspell
 * passes (install.sh's launcher, `deno task compile`, the kernelspec). Without the flag the
 * section is ignored and the functions compile at their first call, as before.
 */
import { STARTUP_FUNCTIONS } from "./startup_functions.ts";
import { name, readSections, section, uleb } from "./wasm_encode.ts";

export const COMPILE_HINTS_V8_FLAG = "--v8-flags=--experimental-wasm-compilation-hints";

const SECTION_NAME = "metadata.code.compilation_priority";
const CUSTOM = 0;
const CODE = 10;

/**
 * `wasm` with a compilation-priority section that gives every start-up function priority 0
 * (the highest). Code metadata sections must come before the code section.
 */
export function withCompileHints(wasm: Uint8Array): Uint8Array<ArrayBuffer> {
  const code = readSections(wasm).find((s) => s.id === CODE);
  if (!code) throw new Error("glue.wasm has no code section");
  const body = [...name(SECTION_NAME), ...uleb(STARTUP_FUNCTIONS.length)];
  // Each entry: function index, code offset 0 (a hint on the function itself), the hint's
  // size, then the hint: compilation priority 0.
  for (const fn of STARTUP_FUNCTIONS) body.push(...uleb(fn), 0, 1, 0);
  const hints = section(CUSTOM, body);
  const out = new Uint8Array(wasm.length + hints.length);
  out.set(wasm.subarray(0, code.head));
  out.set(hints, code.head);
  out.set(wasm.subarray(code.head), code.head + hints.length);
  return out;
}
