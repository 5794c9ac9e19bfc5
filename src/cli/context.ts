/**
 * What every command receives: the global flags resolved (output format, colour, trace
 * level, config file) and the writers for results (stdout) and messages (stderr).
 */
import { type TraceLevel } from "../telemetry/log.ts";

export const OUTPUT_FORMATS = ["text", "json", "yaml"] as const;
export type OutputFormat = typeof OUTPUT_FORMATS[number];

export interface GlobalOptions {
  config?: string;
  trace: TraceLevel;
  output: OutputFormat;
  color: boolean;
}

export interface CliContext extends GlobalOptions {
  /** Colour on stdout / stderr: only on a terminal, never with NO_COLOR or --no-color. */
  colorOut: boolean;
  colorErr: boolean;
  cwd: string;
  env: Record<string, string>;
}

const encoder = new TextEncoder();

export function writeOut(data: string | Uint8Array): void {
  writeAll(Deno.stdout, typeof data === "string" ? encoder.encode(data) : data);
}

export function writeErr(data: string | Uint8Array): void {
  writeAll(Deno.stderr, typeof data === "string" ? encoder.encode(data) : data);
}

function writeAll(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
}

export function makeContext(opts: GlobalOptions, env: Record<string, string>): CliContext {
  const allowed = opts.color && !("NO_COLOR" in env && env.NO_COLOR !== "");
  return {
    ...opts,
    colorOut: allowed && Deno.stdout.isTerminal(),
    colorErr: allowed && Deno.stderr.isTerminal(),
    cwd: Deno.cwd(),
    env,
  };
}

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 };
export type Style = keyof typeof codes;

export function paint(on: boolean, style: Style, text: string): string {
  return on ? `\x1b[${codes[style]}m${text}\x1b[0m` : text;
}
