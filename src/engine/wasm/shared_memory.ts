/**
 * Makes the Lua wasm module's memory shared, so that the main thread can write into the
 * running Lua state (see poke.ts) while the worker is busy in Lua: an interrupt, a timeout
 * or a debugger request then costs nothing until it happens, instead of a count hook that
 * makes Lua 5.4 trap every instruction (docs/decisions/0004-shared-memory-and-poke.md).
 *
 * glue.wasm defines its memory; a memory can only be shared if the module imports it as
 * shared. This rewrites the binary: the memory section's one entry becomes an import
 * `env.memory` with the shared flag and a maximum (shared memories need one). Exports,
 * data segments and code all address memory 0 and stay as they are.
 */

import { concat } from "../../bytes.ts";
import { name, readSections, readUleb, uleb } from "./wasm_encode.ts";

/** Emscripten's own heap limit (2 GiB), in 64 KiB pages: the shared memory's maximum. */
export const MAX_PAGES = 32768;

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const KIND_MEMORY = 2;
/** Limits flags: has a maximum (1) and shared (2). */
const LIMITS_SHARED_MAX = 3;

export interface SharedMemoryModule {
  /** The rewritten module. */
  bytes: Uint8Array<ArrayBuffer>;
  /** The memory to import as `env.memory`. */
  memory: WebAssembly.Memory;
}

/**
 * Rewrites `wasm` to import a shared memory with the original initial size and
 * `maxPages` as the maximum, and creates that memory.
 */
export function importSharedMemory(
  wasm: Uint8Array,
  maxPages: number,
): SharedMemoryModule {
  const sections = readSections(wasm);
  const mem = sections.find((s) => s.id === SECTION_MEMORY);
  const imp = sections.find((s) => s.id === SECTION_IMPORT);
  if (!mem || !imp) throw new Error("wasm module has no memory or import section");
  let pos = mem.start;
  const [count, a] = readUleb(wasm, pos);
  if (count !== 1) throw new Error(`wasm module defines ${count} memories, expected 1`);
  const flags = wasm[a];
  const [initial] = readUleb(wasm, a + 1);
  if (flags & 2) throw new Error("wasm memory is already shared");
  pos = imp.start;
  const [nImports, entries] = readUleb(wasm, pos);
  const entry = [
    ...name("env"),
    ...name("memory"),
    KIND_MEMORY,
    LIMITS_SHARED_MAX,
    ...uleb(initial),
    ...uleb(maxPages),
  ];
  const body = [
    ...uleb(nImports + 1),
    ...wasm.subarray(entries, imp.start + imp.size),
    ...entry,
  ];
  const parts: Uint8Array[] = [wasm.subarray(0, 8)];
  for (const s of sections) {
    if (s.id === SECTION_MEMORY) continue;
    if (s.id === SECTION_IMPORT) {
      parts.push(new Uint8Array([SECTION_IMPORT, ...uleb(body.length), ...body]));
    } else parts.push(wasm.subarray(s.head, s.start + s.size));
  }
  const bytes = concat(parts);
  const memory = new WebAssembly.Memory({ initial, maximum: maxPages, shared: true });
  return { bytes, memory };
}
