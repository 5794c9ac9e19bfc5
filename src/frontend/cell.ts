/**
 * A cell's output on a terminal: a kernel's IOPub messages as the events of a run, and the
 * renderer that prints them, streamed as they come (text) or collected into one document
 * (json, yaml). `run`, `exec` (embedded or `--connect`) and the REPL print through it.
 */
import type { LuaErrorInfo } from "../engine/shared/protocol.ts";
import type { Message } from "../protocol/jupyter/mod.ts";
import { ExitCode } from "../errors.ts";
import { type OutputContext, paint, type Style, writeErr, writeOut } from "./output.ts";
import { printData } from "./print.ts";
import { decodeBytes, encodeText, escapeDeep, StreamDecoder } from "../byte_string.ts";

const encoder = new TextEncoder();

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
  readonly #ctx: OutputContext;
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
  /** The run's profile (`profile`, `run --profile`), for the document. */
  #profile: unknown;
  exitCode: number = ExitCode.ok;
  /** Whether what it printed last on the terminal does not end its line (`io.write("x")`). */
  midLine = false;

  constructor(ctx: OutputContext, echo: boolean) {
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
    else {
      if (data.length) this.midLine = data[data.length - 1] !== 0x0a;
      if (name === "stdout") writeOut(data);
      else writeErr(data);
    }
  }

  /** Adds the run's profile table to the document of `--output json|yaml`. */
  attachProfile(table: unknown): void {
    this.#profile = table;
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
      if (this.#profile !== undefined) report.profile = this.#profile;
      // JSON and YAML are text: bytes that are not UTF-8 are shown as \xNN (byte_string.ts).
      printData(this.#ctx, escapeDeep(report), () => "");
      return this.exitCode;
    }
    if (this.#shown !== null && this.#echo) {
      writeOut(this.#shown + "\n");
      this.midLine = false;
    }
    if (error) {
      writeErr(formatLuaError(error, this.#ctx.colorErr));
      this.midLine = false;
    }
    return this.exitCode;
  }
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
  /** A profiled run's top-N table and files (src/profile/report.ts ProfileReport). */
  profile?: unknown;
}

/** An IOPub message as a renderer event. */
export function iopubEvent(m: Message): ScriptEvent {
  const c = m.content;
  switch (m.header.msg_type) {
    case "stream":
      return {
        type: "stream",
        name: c.name === "stderr" ? "stderr" : "stdout",
        // An in-process kernel attaches the raw bytes: output that is not UTF-8 survives.
        data: m.buffers[0] ?? encoder.encode(String(c.text ?? "")),
      };
    case "execute_result": {
      const data = (c.data ?? {}) as Record<string, unknown>;
      const meta = (c.metadata ?? {}) as { llmspell?: { types?: unknown } };
      const types = Array.isArray(meta.llmspell?.types) ? meta.llmspell.types.map(String) : [];
      // One text/plain for all values: split it back only when the types say how many. A
      // kernel that had to escape bytes that are not UTF-8 attaches the exact text (src/kernel/outbox.ts).
      const text = m.buffers[0] ? decodeBytes(m.buffers[0]) : String(data["text/plain"] ?? "");
      const parts = text.split("\t");
      const json = data["application/json"];
      const ev: ScriptEvent = parts.length === types.length
        ? { type: "result", values: parts, types }
        : { type: "result", values: [text] };
      return Array.isArray(json) ? { ...ev, json } : ev;
    }
    case "display_data":
      return { type: "display", data: (c.data ?? {}) as Record<string, unknown> };
    case "error": {
      const error = errorInfo(c);
      // The exact bytes of a message the kernel had to escape (src/kernel/outbox.ts).
      if (m.buffers[0]) error.message = decodeBytes(m.buffers[0]);
      return { type: "error", error };
    }
  }
  return { type: "other" };
}

export function errorInfo(c: Record<string, unknown>): LuaErrorInfo {
  const kinds = ["syntax", "runtime", "interrupted", "timeout", "memory"];
  const kind = typeof c.kind === "string" && kinds.includes(c.kind) ? c.kind : "runtime";
  return {
    kind: kind as LuaErrorInfo["kind"],
    message: String(c.evalue ?? c.ename ?? "error"),
    traceback: Array.isArray(c.lua_traceback) ? c.lua_traceback.map(String) : [],
    isObject: false,
  };
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
