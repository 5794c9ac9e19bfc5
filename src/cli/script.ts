/**
 * `llmspell exec CODE` and `llmspell run FILE`: one chunk on an embedded engine (or on a
 * kernel, `--connect`), printed by the cell renderer (src/frontend/cell.ts).
 */
import * as path from "../path.ts";
import type { Config } from "../config/mod.ts";
import { takeEngine } from "../engine/host/prestart.ts";
import type { EngineOptions, ScriptArgs } from "../engine/shared/protocol.ts";
import { ExitCode } from "../errors.ts";
import type { CliContext } from "./context.ts";
import { writeErr } from "../frontend/output.ts";
import { formatLuaError, INTERRUPTED } from "../frontend/cell.ts";
import { enabled, log } from "../telemetry/log.ts";
import type { ProfileOptions } from "../profile/report.ts";

export interface ScriptInput {
  code: string;
  chunkName: string;
  echo: boolean;
  args?: ScriptArgs;
  scriptDir?: string;
  /** Run on a kernel (`--connect ADDR`) instead of an embedded engine. */
  connect?: string;
  /** Profile the run (`llmspell profile`, `run --profile`). */
  profile?: ProfileOptions;
}

export function engineOptions(config: Config, cwd: string, scriptDir?: string): EngineOptions {
  const lua = config.engines.lua;
  return {
    securityLevel: lua.security_level,
    allowedPaths: config.runtime.security.allowed_paths.map((p) => path.resolve(cwd, p)),
    maxMemoryBytes: lua.max_memory_bytes,
    timeoutMs: lua.timeout_ms,
    cwd,
    scriptDir,
    state: { enabled: config.state.enabled, maxValueBytes: config.state.max_value_bytes },
    recordSessions: config.sessions.enabled,
    llm: llmOptions(config),
    sessionRetention: {
      maxSessions: config.sessions.max_sessions,
      retentionDays: config.sessions.retention_days,
    },
    maxArtifactBytes: config.sessions.max_artifact_bytes,
  };
}

/** Providers and tools for the engine's host functions (src/api/api.ts LlmOptions). */
export function llmOptions(config: Config): NonNullable<EngineOptions["llm"]> {
  const toolSettings: NonNullable<EngineOptions["llm"]>["toolSettings"] = {};
  for (const [name, v] of Object.entries(config.tools)) {
    if (name !== "enabled" && v !== undefined && !Array.isArray(v)) toolSettings[name] = v;
  }
  return { providers: config.providers, enabledTools: config.tools.enabled, toolSettings };
}

export async function runScript(
  ctx: CliContext,
  config: Config,
  input: ScriptInput,
): Promise<number> {
  if (input.connect !== undefined) {
    // Loaded only for --connect: embedded runs never pay for the client and its sockets.
    const { runConnected } = await import("./remote_run.ts");
    return await runConnected(ctx, input);
  }
  // Batch mode: Ctrl+C ends the process, as with any command-line tool, so the engine need
  // not be interruptible (its memory is not shared: faster, see EngineStart). A profiled
  // run's is: the profiler pokes it (src/engine/worker/sampler.ts).
  Deno.addSignalListener("SIGINT", () => {
    // The line a cell interrupted on a kernel ends with (`--connect`), so both say the same.
    writeErr(formatLuaError(INTERRUPTED, ctx.colorErr));
    Deno.exit(ExitCode.interrupted);
  });
  const started = performance.now();
  const options = engineOptions(config, ctx.cwd, input.scriptDir);
  // The worker creates the Lua state while this thread loads the kernel's modules. A
  // failure to start fails the cell, which reports it; the rejection handler here only
  // keeps it from counting as unhandled.
  const engine = takeEngine({ interruptible: input.profile !== undefined });
  let readyMs: number | undefined;
  const ready = engine.init(options).then(() => {
    readyMs = performance.now() - started;
  }, () => {});
  // Embedded mode: a kernel in this process, spoken to with the same messages as a remote
  // one (docs/decisions/0019-embedded-runs-through-in-process-kernel.md), so both render
  // through the same code.
  const [{ InProcessClient }, { runCell }] = await Promise.all([
    import("../client/in_process.ts"),
    import("./connected.ts"),
  ]);
  const conn = await InProcessClient.start({
    engineOptions: options,
    kernelId: "embedded",
    byteExact: true,
    engine,
  }, false);
  const code = await runCell(conn, ctx, input, started, false);
  // The process exits without closing the engine: end its session here.
  engine.endSession(code === 0 ? "completed" : "failed");
  if (enabled("debug")) {
    // The worker said "ready" before it ran the cell; the message may still be on its way.
    await ready;
    log.debug(
      `engine ready after ${readyMs?.toFixed(1) ?? "?"} ms ` +
        `(${options.securityLevel}, memory limit ${options.maxMemoryBytes} bytes)`,
    );
  }
  return code;
}
