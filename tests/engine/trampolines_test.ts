/**
 * C functions and hooks registered through engine/vm/trampolines.ts: each table entry calls
 * the JS function it was registered for, in every block of trampolines (32 a block).
 */
import { assertEquals } from "../helpers/assert.ts";
import { GLUE_WASM_PATH } from "../../src/engine/host/assets.ts";
import { CApi } from "../../src/engine/vm/capi.ts";
import { HookMask, LuaStatus } from "../../src/engine/vm/lua_h.ts";
import { instantiateLua } from "../../src/engine/vm/lua_wasm.ts";
import { render } from "../../scripts/gen_trampolines.ts";

Deno.test("trampolines: 70 C functions and 40 hooks each reach their own JS function", async () => {
  const module = await WebAssembly.compile(Deno.readFileSync(GLUE_WASM_PATH));
  const lua = instantiateLua({ module }, () => 0);
  const api = new CApi(lua);
  const L = lua.luaL_newstate();
  lua.luaL_openlibs(L);

  const fns = Array.from({ length: 70 }, (_, i) => api.cfunction((hL) => api.ret(hL, i * 10)));
  fns.forEach((ptr, i) => {
    lua.lua_pushcclosure(L, ptr, 0);
    assertEquals(lua.lua_pcallk(L, 0, 1, 0, 0, null), LuaStatus.ok);
    assertEquals(lua.lua_tointegerx(L, -1, null), BigInt(i * 10));
    lua.lua_settop(L, 0);
  });

  const fired: number[] = [];
  const hooks = Array.from({ length: 40 }, (_, i) => api.hook(() => void fired.push(i)));
  for (const i of [0, 31, 32, 39]) {
    lua.lua_sethook(L, hooks[i], HookMask.count, 1);
    assertEquals(api.load(L, "local x = 1", "=t"), LuaStatus.ok);
    assertEquals(lua.lua_pcallk(L, 0, 0, 0, 0, null), LuaStatus.ok);
    lua.lua_sethook(L, 0, 0, 0);
  }
  assertEquals([...new Set(fired)], [0, 31, 32, 39]);
});

Deno.test("src/engine/wasm/trampoline_wasm.ts is the module scripts/gen_trampolines.ts builds (deno task trampolines)", async () => {
  const committed = await Deno.readTextFile(
    new URL("../../src/engine/wasm/trampoline_wasm.ts", import.meta.url),
  );
  assertEquals(committed === render(), true, "run: deno task trampolines");
});
