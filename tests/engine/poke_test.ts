/**
 * poke.ts and shared_memory.ts: the Lua 5.4 structure layout they write into, checked
 * against the Lua C API of the same glue.wasm, and the rewritten module's shared memory.
 */
import * as Lua from "../../src/engine/vm/lua_layout.ts";
import { GLUE_WASM_PATH } from "../../src/engine/host/assets.ts";
import { importSharedMemory } from "../../src/engine/wasm/shared_memory.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { withRawLua } from "./helpers.ts";

Deno.test("poke.ts layout: lua_sethook's fields and the CallInfo chain are where poke writes", async () => {
  await withRawLua(({ lua, m, L }) => {
    const fn = lua.module.addFunction(() => {}, "vii");
    lua.lua_sethook(L, fn, 0b1101, 777);
    const at = (off: number) => m.HEAP32[(L + off) >> 2];
    assertEquals(at(Lua.L_HOOK), fn);
    assertEquals(at(Lua.L_BASEHOOKCOUNT), 777);
    assertEquals(at(Lua.L_HOOKCOUNT), 777);
    assertEquals(at(Lua.L_HOOKMASK), 0b1101);
    assertEquals(lua.lua_gethookmask(L), 0b1101);
    // Outside any call, L->ci is the thread's base C frame (CIST_C) with no previous.
    const ci = at(Lua.L_CI);
    assertEquals(ci, L + Lua.L_BASE_CI);
    assertEquals(m.HEAPU8[ci + Lua.CI_CALLSTATUS] & 2, 2);
    assertEquals(m.HEAP32[(ci + Lua.CI_PREVIOUS) >> 2], 0);
    lua.lua_sethook(L, 0, 0, 0);
  });
});

Deno.test("shared_memory.ts: glue.wasm imports a shared env.memory and still exports it", () => {
  const { bytes, memory } = importSharedMemory(Deno.readFileSync(GLUE_WASM_PATH), 32768);
  const mod = new WebAssembly.Module(bytes);
  const mem = WebAssembly.Module.imports(mod).filter((i) => i.kind === "memory");
  assertEquals(mem, [{ module: "env", name: "memory", kind: "memory" }]);
  assert(WebAssembly.Module.exports(mod).some((e) => e.kind === "memory" && e.name === "memory"));
  assert(memory.buffer instanceof SharedArrayBuffer);
});
