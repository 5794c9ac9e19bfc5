/**
 * `llmspell exec CODE` and `llmspell run FILE`: one chunk on an embedded engine, output
 * streamed as it happens (text) or collected into one document (json, yaml).
 */
import * as path from "node:path";
import type { Config } from "../config/mod.ts";
import { takeEngine } from "../engine/prestart.ts";
import type { EngineOptions, LuaErrorInfo, ScriptArgs } from "../engine/protocol.ts";
import { ExitCode } from "../errors.ts";
import { type CliContext, paint, writeErr, writeOut } from "./context.ts";
import { printData } from "./render.ts";
import { log } from "../telemetry/log.ts";

export interface ScriptInput {
  code: string;
  chunkName: string;
  echo: boolean;
  args?: ScriptArgs;
  scriptDir?: string;
}

export function engineOptions(config: Config, cwd: string, scriptDir?: string): EngineOptions {
  const lua = config.engines.lua;
  return {
    securityLevel: lua.security_level,
    allowedPaths: config.runtime.security.allowed_paths.map((p) => path.resolve(cwd, p)),
    maxMemoryBytes: lua.max_memory_bytes,
    timeoutMs: lua.timeout_ms,
    interactive: false,
    cwd,
    scriptDir,
  };
}

/** The JSON/YAML document of `--output json|yaml`. */
export interface ScriptReport {
  status: "ok" | "error";
  exit_code: number;
  result: string | null;
  stdout: string;
  stderr: string;
  error: { kind: string; message: string; traceback: string[] } | null;
  duration_ms: number;
}

export async function runScript(
  ctx: CliContext,
  config: Config,
  input: ScriptInput,
): Promise<number> {
  const engine = takeEngine();
  // Batch mode runs hook-free: Ctrl+C ends the process, as with any command-line tool.
  Deno.addSignalListener("SIGINT", () => Deno.exit(ExitCode.interrupted));
  const started = performance.now();
  const options = engineOptions(config, ctx.cwd, input.scriptDir);
  await engine.init(options);
  log.debug(
    `engine ready after ${(performance.now() - started).toFixed(1)} ms ` +
      `(${options.securityLevel}, memory limit ${options.maxMemoryBytes} bytes)`,
  );
  const collect = ctx.output !== "text";
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const captured = { stdout: "", stderr: "" };
  let result: string | null = null;
  let error: LuaErrorInfo | null = null;
  let exitCode: number = ExitCode.ok;

  for await (
    const ev of engine.execute({
      code: input.code,
      chunkName: input.chunkName,
      echo: input.echo,
      args: input.args,
    })
  ) {
    switch (ev.type) {
      case "stream":
        if (collect) captured[ev.name] += decoders[ev.name].decode(ev.data, { stream: true });
        else if (ev.name === "stdout") writeOut(ev.data);
        else writeErr(ev.data);
        break;
      case "result":
        if (ev.values.length > 0) result = ev.values.join("\t");
        break;
      case "error":
        error = ev.error;
        exitCode = ExitCode.failure;
        break;
      case "exit":
        exitCode = ev.code;
        break;
    }
  }
  const duration = performance.now() - started;

  if (collect) {
    const report: ScriptReport = {
      status: error ? "error" : "ok",
      exit_code: exitCode,
      result,
      stdout: captured.stdout + decoders.stdout.decode(),
      stderr: captured.stderr + decoders.stderr.decode(),
      error: error
        ? { kind: error.kind, message: error.message, traceback: error.traceback }
        : null,
      duration_ms: Math.round(duration * 100) / 100,
    };
    printData(ctx, report, () => "");
    return exitCode;
  }
  if (result !== null && input.echo) writeOut(result + "\n");
  if (error) writeErr(formatLuaError(error, ctx.colorErr));
  return exitCode;
}

/** An engine error for a terminal: message, then the Lua traceback like lua5.4 prints it. */
export function formatLuaError(error: LuaErrorInfo, color: boolean): string {
  let s = `${paint(color, "red", "error:")} ${error.message}\n`;
  if (error.kind === "runtime" && error.traceback.length > 0) {
    s += paint(color, "dim", "stack traceback:\n\t" + error.traceback.join("\n\t")) + "\n";
  }
  return s;
}
