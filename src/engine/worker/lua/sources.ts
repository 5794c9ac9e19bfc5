/**
 * The engine's own Lua chunks as source, with their chunk names: what
 * scripts/gen_lua_bytecode.ts compiles into bytecode.ts. The engine loads only the bytecode
 * (chunks.ts), so its bundle carries no source.
 */
import { FORMAT_LUA } from "./format.ts";
import { INTROSPECT_LUA } from "./introspect.ts";
import { KERNEL_API_LUA } from "./kernel_api.ts";
import { PRELUDE_LUA } from "./prelude.ts";
import type { ChunkName } from "./chunks.ts";

export const CHUNK_SOURCES: Record<ChunkName, { name: string; source: string }> = {
  format: { name: "=[llmspell format]", source: FORMAT_LUA },
  prelude: { name: "=[llmspell prelude]", source: PRELUDE_LUA },
  kernel_api: { name: "=[llmspell kernel api]", source: KERNEL_API_LUA },
  introspect: { name: "=[llmspell introspect]", source: INTROSPECT_LUA },
};
