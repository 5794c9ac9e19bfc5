/**
 * The engine's own Lua chunks, loaded at every engine start. They load from bytecode
 * precompiled by scripts/gen_lua_bytecode.ts (bytecode.ts): parsing their ~25 KB of source
 * took ~6 ms of every start, loading the bytecode ~0.6 ms. A build of Lua that does not take
 * that bytecode (its header names the Lua version and number formats) gets the source.
 */
import { type CApi } from "../capi.ts";
import { LuaStatus } from "../lua_h.ts";
import { BYTECODE } from "./bytecode.ts";
import { FORMAT_LUA } from "./format.ts";
import { INTROSPECT_LUA } from "./introspect.ts";
import { KERNEL_API_LUA } from "./kernel_api.ts";
import { PRELUDE_LUA } from "./prelude.ts";

export const CHUNKS = {
  format: { name: "=[llmspell format]", source: FORMAT_LUA },
  prelude: { name: "=[llmspell prelude]", source: PRELUDE_LUA },
  kernel_api: { name: "=[llmspell kernel api]", source: KERNEL_API_LUA },
  introspect: { name: "=[llmspell introspect]", source: INTROSPECT_LUA },
} as const;

export type ChunkName = keyof typeof CHUNKS;

/** The precompiled bytecode of chunk `key`, if bytecode.ts has it. */
export function chunkBytecode(key: ChunkName): Uint8Array | undefined {
  const b64 = BYTECODE[key];
  // V8's own decoder: atob loads Deno's implementation on first use (~1.5 ms), and a decoder
  // written here runs cold, in the interpreter (~5 ms for these 34 KB).
  return b64 === undefined ? undefined : Uint8Array.fromBase64(b64);
}

/** Loads chunk `key`; leaves the function (or the error message) on the stack. */
export function loadChunk(api: CApi, L: number, key: ChunkName): number {
  const { name, source } = CHUNKS[key];
  const bytecode = chunkBytecode(key);
  if (bytecode && api.load(L, bytecode, name, "b") === LuaStatus.ok) {
    return LuaStatus.ok;
  }
  if (bytecode) api.lua.lua_settop(L, -2);
  return api.load(L, source, name);
}
