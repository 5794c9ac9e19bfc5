/**
 * The engine's own Lua chunks, loaded at every engine start. They load from bytecode
 * precompiled by scripts/gen_lua_bytecode.ts (bytecode.ts): parsing their ~25 KB of source
 * took ~6 ms of every start, loading the bytecode ~0.6 ms. A build of Lua that does not take
 * that bytecode (its header names the Lua version and number formats) gets the source.
 */
import { type CApi, LuaStatus } from "../capi.ts";
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

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const SEXTET = new Uint8Array(128);
for (let i = 0; i < BASE64.length; i++) SEXTET[BASE64.charCodeAt(i)] = i;

/** Base64 to bytes by hand: Deno's atob loads its implementation on first use (~1.5 ms). */
function decodeBase64(s: string): Uint8Array {
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const n = (SEXTET[s.charCodeAt(i)] << 18) | (SEXTET[s.charCodeAt(i + 1)] << 12) |
      (SEXTET[s.charCodeAt(i + 2)] << 6) | SEXTET[s.charCodeAt(i + 3)];
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

/** The precompiled bytecode of chunk `key`, if bytecode.ts has it. */
export function chunkBytecode(key: ChunkName): Uint8Array | undefined {
  const b64 = BYTECODE[key];
  return b64 === undefined ? undefined : decodeBase64(b64);
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
