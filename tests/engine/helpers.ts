/** Starting a real engine worker for in-process engine tests. */
import { type LuaEngine, LuaFactory, type LuaWasm } from "wasmoon";
import { Engine, type EngineStart } from "../../src/engine/host/handle.ts";
import { GLUE_WASM_PATH } from "../../src/engine/host/assets.ts";
import type { EngineOptions } from "../../src/engine/shared/protocol.ts";
import { tempDir } from "../helpers/cli.ts";

/** An initialised engine: safe mode, no limits, a fresh temporary working directory. */
export async function startEngine(
  opts: Partial<EngineOptions> = {},
  start: EngineStart = {},
): Promise<Engine> {
  const cwd = opts.cwd ?? await tempDir();
  const e = new Engine(start);
  await e.init({
    securityLevel: "safe",
    allowedPaths: [cwd],
    maxMemoryBytes: 0,
    timeoutMs: 0,
    cwd,
    ...opts,
  });
  return e;
}

/** A raw wasmoon state in this thread, for the tests of what the engine reads in memory. */
export interface RawLua {
  engine: LuaEngine;
  lua: LuaWasm;
  /** The wasm heap. */
  m: { HEAP32: Int32Array; HEAPU8: Uint8Array };
  /** The main lua_State. */
  L: number;
}

/** Runs `fn` on a fresh raw wasmoon state (glue.wasm as shipped), closed afterwards. */
export async function withRawLua(fn: (r: RawLua) => Promise<void> | void): Promise<void> {
  const engine = await new LuaFactory(GLUE_WASM_PATH).createEngine();
  try {
    const lua = engine.global.lua;
    const m = lua.module as unknown as RawLua["m"];
    await fn({ engine, lua, m, L: engine.global.address });
  } finally {
    engine.global.close();
  }
}
