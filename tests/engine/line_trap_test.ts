/**
 * The VM patch for line breakpoints (src/engine/vm/line_trap.ts) finds its points in the glue.wasm
 * llmspell ships with. Its behaviour is tested through the debugger (tests/debug/).
 */
import { assertEquals } from "../helpers/assert.ts";
import * as Lua from "../../src/engine/vm/lua_layout.ts";
import { GLUE_WASM_PATH } from "../../src/engine/host/assets.ts";
import { findOnce, PATCHES, patchLineTrap } from "../../src/engine/vm/line_trap.ts";
import { withRawLua } from "./helpers.ts";

const wasm = Deno.readFileSync(GLUE_WASM_PATH);

Deno.test("line_trap: every patch point is in glue.wasm once, where the fast path looks first", () => {
  for (const p of PATCHES) assertEquals(findOnce(wasm, p.anchor), p.knownAt);
});

Deno.test("line_trap: the patched module is valid and only grows by the patches", async () => {
  const patched = patchLineTrap(wasm);
  const added = PATCHES.reduce((n, p) => n + p.code.length, 0);
  // Each patched function's size and the code section's size may need a longer LEB128.
  const grew = patched.length - wasm.length;
  assertEquals(grew >= added && grew <= added + 2 * PATCHES.length + 2, true);
  await WebAssembly.compile(patched);
});

Deno.test("line_trap: a Proto keeps its plain mark through full collections, incremental and generational", async () => {
  await withRawLua(async ({ engine, lua, m, L }) => {
    await engine.doString("f = function(x) return x + 1 end");
    lua.lua_getglobal(L, "f");
    const closure = lua.lua_topointer(L, -1);
    lua.lua_settop(L, -2);
    const proto = m.HEAP32[(closure + Lua.LCL_PROTO) >> 2];
    // Proto's own GC type tag (LUA_VPROTO) sits before the marked byte.
    assertEquals(m.HEAPU8[proto + 4], 10);
    assertEquals(m.HEAPU8[proto + Lua.GC_MARKED] & Lua.PROTO_PLAIN_BIT, 0);
    m.HEAPU8[proto + Lua.GC_MARKED] |= Lua.PROTO_PLAIN_BIT;
    await engine.doString(`
      local junk = {}
      for mode = 1, 2 do
        collectgarbage(mode == 1 and "generational" or "incremental")
        for i = 1, 20000 do junk[i % 500] = { i } end
        collectgarbage(); collectgarbage()
      end
      assert(f(1) == 2)`);
    assertEquals(m.HEAPU8[proto + Lua.GC_MARKED] & Lua.PROTO_PLAIN_BIT, Lua.PROTO_PLAIN_BIT);
  });
});
