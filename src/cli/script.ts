/**
 * `llmspell exec CODE` and `llmspell run FILE`: one chunk on an embedded engine, output
 * streamed as it happens (text) or collected into one document (json, yaml).
 */
import * as path from "../path.ts";
import type { Config } from "../config/mod.ts";
import { takeEngine } from "../engine/prestart.ts";
import type { EngineOptions, LuaErrorInfo, ScriptArgs } from "../engine/protocol.ts";
import { ExitCode } from "../errors.ts";
import { type CliContext, paint, type Style, writeErr, writeOut } from "./context.ts";
import { printData } from "./render.ts";
import { enabled, log } from "../telemetry/log.ts";
import { encodeText, escapeDeep, StreamDecoder } from "../byte_string.ts";

export interface ScriptInput {
  code: string;
  chunkName: string;
  echo: boolean;
  args?: ScriptArgs;
  scriptDir?: string;
  /** Run on a kernel (`--connect ADDR`) instead of an embedded engine. */
  connect?: string;
}

/** What a run produces, from an embedded engine or from a kernel's IOPub messages. */
export type ScriptEvent =
  | { type: "stream"; name: "stdout" | "stderr"; data: Uint8Array }
  | { type: "result"; values: string[]; types?: string[]; json?: unknown[] }
  | { type: "error"; error: LuaErrorInfo }
  | { type: "exit"; code: number }
  | { type: "display"; data: Record<string, unknown> }
  | { type: "other" };

/**
 * Renders a run's events: streamed as they come (text), or collected into one document
 * (json, yaml). Embedded and `--connect` runs both go through it, so they print the same.
 */
export class ScriptRenderer {
  readonly #ctx: CliContext;
  readonly #echo: boolean;
  readonly #collect: boolean;
  readonly #decoders = { stdout: new StreamDecoder(), stderr: new StreamDecoder() };
  readonly #captured = { stdout: "", stderr: "" };
  #result: string | null = null;
  /** The values as JSON (`--output json|yaml`). */
  #values: unknown[] = [];
  /** The result as printed on a terminal: each value coloured by its Lua type. */
  #shown: string | null = null;
  #error: LuaErrorInfo | null = null;
  exitCode: number = ExitCode.ok;

  constructor(ctx: CliContext, echo: boolean) {
    this.#ctx = ctx;
    this.#echo = echo;
    this.#collect = ctx.output !== "text";
  }

  feed(ev: ScriptEvent): void {
    switch (ev.type) {
      case "stream":
        this.#write(ev.name, ev.data);
        break;
      case "display": {
        const text = ev.data["text/plain"];
        if (typeof text === "string") this.#write("stdout", encodeText(text + "\n"));
        break;
      }
      case "result":
        if (ev.values.length > 0) {
          this.#result = ev.values.join("\t");
          this.#values = ev.json ?? [];
          this.#shown = colorByType(ev.values, ev.types, this.#ctx.colorOut);
        }
        break;
      case "error":
        this.#error = ev.error;
        this.exitCode = ExitCode.failure;
        break;
      case "exit":
        this.exitCode = ev.code;
        break;
    }
  }

  #write(name: "stdout" | "stderr", data: Uint8Array): void {
    if (this.#collect) this.#captured[name] += this.#decoders[name].decode(data);
    else if (name === "stdout") writeOut(data);
    else writeErr(data);
  }

  /** Prints the result, error or document; returns the exit code. */
  finish(durationMs: number): number {
    const error = this.#error;
    if (this.#collect) {
      const report: ScriptReport = {
        status: error ? "error" : "ok",
        exit_code: this.exitCode,
        result: this.#values,
        display: this.#result,
        stdout: this.#captured.stdout + this.#decoders.stdout.end(),
        stderr: this.#captured.stderr + this.#decoders.stderr.end(),
        error: error
          ? { kind: error.kind, message: error.message, traceback: error.traceback }
          : null,
        duration_ms: Math.round(durationMs * 100) / 100,
      };
      // JSON and YAML are text: bytes that are not UTF-8 are shown as \xNN (byte_string.ts).
      printData(this.#ctx, escapeDeep(report), () => "");
      return this.exitCode;
    }
    if (this.#shown !== null && this.#echo) writeOut(this.#shown + "\n");
    if (error) writeErr(formatLuaError(error, this.#ctx.colorErr));
    return this.exitCode;
  }
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
  };
}

/** The JSON/YAML document of `--output json|yaml`. */
export interface ScriptReport {
  status: "ok" | "error";
  exit_code: number;
  /** The returned values as JSON (see README: what JSON cannot hold becomes a string). */
  result: unknown[];
  /** The same values as the text output shows them (tab-separated); null for none. */
  display: string | null;
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
  if (input.connect !== undefined) {
    // Loaded only for --connect: embedded runs never pay for the client and its sockets.
    const { runConnected } = await import("./remote_run.ts");
    return await runConnected(ctx, input);
  }
  // Batch mode: Ctrl+C ends the process, as with any command-line tool, so the engine need
  // not be interruptible (its memory is not shared: faster, see EngineStart).
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
  const engine = takeEngine({ interruptible: false });
  let readyMs: number | undefined;
  const ready = engine.init(options).then(() => {
    readyMs = performance.now() - started;
  }, () => {});
  // Embedded mode: a kernel in this process, spoken to with the same messages as a remote
  // one (ARCHITECTURE.md §2), so both render through the same code.
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

/** Ctrl+C: the error a kernel reports for an interrupted cell. */
export const INTERRUPTED: LuaErrorInfo = {
  kind: "interrupted",
  message: "interrupted",
  traceback: [],
  isObject: false,
};

/** An engine error for a terminal: message, then the Lua traceback like lua5.4 prints it. */
export function formatLuaError(error: LuaErrorInfo, color: boolean): string {
  let s = `${paint(color, "red", "error:")} ${error.message}\n`;
  if (error.kind === "runtime" && error.traceback.length > 0) {
    s += paint(color, "dim", "stack traceback:\n\t" + error.traceback.join("\n\t")) + "\n";
  }
  return s;
}

const TYPE_STYLE: Record<string, Style> = {
  number: "cyan",
  string: "green",
  boolean: "magenta",
  nil: "magenta",
  function: "blue",
  thread: "blue",
  userdata: "yellow",
};

/** Values tab-separated, each in its type's colour when `color` (tables stay plain). */
export function colorByType(values: string[], types: string[] | undefined, color: boolean): string {
  if (!color || !types || types.length !== values.length) return values.join("\t");
  return values.map((v, i) => {
    const style = TYPE_STYLE[types[i]];
    return style ? paint(true, style, v) : v;
  }).join("\t");
}
