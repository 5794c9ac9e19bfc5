import { assertEquals } from "../helpers/assert.ts";
import { cli } from "../helpers/cli.ts";
import { generate } from "../../scripts/gen_lua_bytecode.ts";
import { GLUE_WASM_PATH } from "../../src/engine/host/assets.ts";
import { CApi } from "../../src/engine/vm/capi.ts";
import { LuaStatus } from "../../src/engine/vm/lua_h.ts";
import { CHUNK_NAMES, chunkBytecode } from "../../src/engine/worker/lua/chunks.ts";
import { CHUNK_SOURCES } from "../../src/engine/worker/lua/sources.ts";
import { instantiateLua } from "../../src/engine/vm/lua_wasm.ts";

Deno.test("src/engine/worker/lua/bytecode.ts is the bytecode of the current chunks (deno run -A scripts/gen_lua_bytecode.ts)", async () => {
  const committed = await Deno.readTextFile(
    new URL("../../src/engine/worker/lua/bytecode.ts", import.meta.url),
  );
  assertEquals(
    committed === await generate(),
    true,
    "run: deno task bytecode",
  );
});

Deno.test("the precompiled chunks keep their debug information: source and lines of the prelude", async () => {
  // dofile is a Lua function of the prelude; a stripped dump would have source "=?" and no
  // line information.
  const info = await cli(
    [
      "exec",
      "local i = debug.getinfo(dofile, 'SL') " +
      "return i.source, i.linedefined > 0, next(i.activelines) ~= nil",
    ],
    { env: { LLMSPELL_ENGINES_LUA_SECURITY_LEVEL: "unrestricted" } },
  );
  assertEquals(info.stdout, "=[llmspell prelude]\ttrue\ttrue\n");
});

Deno.test("every chunk's bytecode decodes and loads as a binary chunk (no fallback to source)", async () => {
  const module = await WebAssembly.compile(Deno.readFileSync(GLUE_WASM_PATH));
  const lua = instantiateLua({ module }, () => 0);
  const api = new CApi(lua);
  const L = lua.luaL_newstate();
  for (const key of CHUNK_NAMES) {
    const bytes = chunkBytecode(key);
    assertEquals([...bytes.subarray(0, 4)], [0x1b, 0x4c, 0x75, 0x61], key); // "\x1bLua"
    assertEquals(api.load(L, bytes, CHUNK_SOURCES[key].name, "b"), LuaStatus.ok, api.str(L, -1));
    lua.lua_settop(L, 0);
  }
});
