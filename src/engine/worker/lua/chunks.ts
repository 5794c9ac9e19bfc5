/**
 * The engine's own Lua chunks (sources.ts), loaded at every engine start from the bytecode
 * that scripts/gen_lua_bytecode.ts precompiles (bytecode.ts), which loads ten times faster than
 * their source parses. tests/engine/chunks_test.ts fails when the bytecode is not that of the
 * current sources, or does not load. See docs/decisions/0010-precompiled-lua-bytecode.md.
 */
import type { CApi } from "../../vm/capi.ts";
import { BYTECODE } from "./bytecode.ts";

export type ChunkName = "format" | "prelude" | "kernel_api" | "introspect";

export const CHUNK_NAMES: readonly ChunkName[] = ["format", "prelude", "kernel_api", "introspect"];

/** The precompiled bytecode of chunk `key` (its chunk name is inside). */
export function chunkBytecode(key: ChunkName): Uint8Array {
  // V8's own decoder: atob loads Deno's implementation on first use (~1.5 ms), and a decoder
  // written here runs cold, in the interpreter (~5 ms for these 34 KB).
  return Uint8Array.fromBase64(BYTECODE[key]);
}

/** Loads chunk `key`; leaves the function (or the error message) on the stack. */
export function loadChunk(api: CApi, L: number, key: ChunkName): number {
  return api.load(L, chunkBytecode(key), key, "b");
}
