import { assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli } from "../helpers/cli.ts";
import { generate } from "../../scripts/gen_lua_bytecode.ts";

Deno.test("src/engine/lua/bytecode.ts is the bytecode of the current chunks (deno run -A scripts/gen_lua_bytecode.ts)", async () => {
  const committed = await Deno.readTextFile(
    new URL("../../src/engine/lua/bytecode.ts", import.meta.url),
  );
  assertEquals(
    committed === await generate(),
    true,
    "run: deno run -A scripts/gen_lua_bytecode.ts",
  );
});

Deno.test("the precompiled chunks keep their debug information: errors name the prelude's line", async () => {
  // dofile is a Lua function of the prelude; a stripped dump would say "?" for both.
  const r = await cli(["exec", "dofile('/nonexistent.lua')"]);
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /^error: \[llmspell prelude\]:\d+: cannot open \/nonexistent\.lua/);
  const info = await cli(
    ["exec", "local i = debug.getinfo(dofile, 'S') return i.source, i.linedefined > 0"],
    { env: { LLMSPELL_ENGINES_LUA_SECURITY_LEVEL: "unrestricted" } },
  );
  assertEquals(info.stdout, "=[llmspell prelude]\ttrue\n");
});
