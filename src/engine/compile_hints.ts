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
import { readSections } from "./wasm_encode.ts";

export const COMPILE_HINTS_V8_FLAG = "--v8-flags=--experimental-wasm-compilation-hints";

const SECTION_NAME = "metadata.code.compilation_priority";
const CODE = 10;

/**
 * `wasm` with a compilation-priority section that gives every start-up function priority 0
 * (the highest). Code metadata sections must come before the code section. Written byte by
 * byte: this runs once per engine, cold, before the main thread creates the worker.
 */
export function withCompileHints(wasm: Uint8Array): Uint8Array<ArrayBuffer> {
  const code = readSections(wasm).find((s) => s.id === CODE);
  if (!code) throw new Error("glue.wasm has no code section");
  // Each entry: function index, code offset 0 (a hint on the function itself), the hint's
  // size, then the hint: compilation priority 0.
  const body = new Uint8Array(SECTION_NAME.length + 6 + STARTUP_FUNCTIONS.length * 8);
  let n = leb(body, 0, SECTION_NAME.length);
  for (let i = 0; i < SECTION_NAME.length; i++) body[n++] = SECTION_NAME.charCodeAt(i);
  n = leb(body, n, STARTUP_FUNCTIONS.length);
  for (const fn of STARTUP_FUNCTIONS) {
    n = leb(body, n, fn);
    body[n++] = 0;
    body[n++] = 1;
    body[n++] = 0;
  }
  const head = new Uint8Array(6);
  const headLength = leb(head, 1, n); // head[0] is the custom section's id, 0
  const out = new Uint8Array(wasm.length + headLength + n);
  out.set(wasm.subarray(0, code.head));
  out.set(head.subarray(0, headLength), code.head);
  out.set(body.subarray(0, n), code.head + headLength);
  out.set(wasm.subarray(code.head), code.head + headLength + n);
  return out;
}

/** Writes `v` as unsigned LEB128 at `at`; the offset after it. */
function leb(out: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}
