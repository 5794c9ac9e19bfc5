/** Starting a real engine worker for in-process engine tests. */
import { Engine, type EngineStart } from "../../src/engine/handle.ts";
import type { EngineOptions } from "../../src/engine/protocol.ts";
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
