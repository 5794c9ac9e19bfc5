/**
 * Compile hints for glue.wasm. V8 compiles a wasm function at its first call, on the thread
 * that calls it; the ~230 functions that start-up runs (startup_functions.ts) cost the
 * engine's worker time that way. With a `metadata.code.compilation_priority` section naming
 * them (the WebAssembly compilation-hints proposal), V8 compiles them on its background
 * threads as part of `WebAssembly.compile`, which the main thread starts before it creates
 * the worker (handle.ts): the work then overlaps with the worker's own start-up.
 * See docs/decisions/0007-compile-hints.md.
 *
 * V8 reads the section only with `--experimental-wasm-compilation-hints`, one of the flags
 * every way of running llmspell passes (v8_flags.ts). Without it the section is ignored and
 * the functions compile at their first call.
 */
import { STARTUP_HINTS_SECTION } from "./startup_functions.ts";
import { readSections } from "./wasm_encode.ts";

const CODE = 10;

/**
 * `wasm` with the compile hints section (encoded by scripts/gen_compile_hints.ts: this runs
 * cold, before the main thread creates the worker). Code metadata sections must come before
 * the code section.
 */
export function withCompileHints(wasm: Uint8Array): Uint8Array<ArrayBuffer> {
  const code = readSections(wasm).find((s) => s.id === CODE);
  if (!code) throw new Error("glue.wasm has no code section");
  const hints = Uint8Array.fromBase64(STARTUP_HINTS_SECTION);
  const out = new Uint8Array(wasm.length + hints.length);
  out.set(wasm.subarray(0, code.head));
  out.set(hints, code.head);
  out.set(wasm.subarray(code.head), code.head + hints.length);
  return out;
}
