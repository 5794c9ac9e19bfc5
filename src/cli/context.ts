/**
 * What every command receives: the global flags resolved (output format, colour, trace
 * level, config file) and the writers for results (stdout) and messages (stderr).
 */
import { setTraceLevel, type TraceLevel } from "../telemetry/log.ts";
import { encodeText } from "../byte_string.ts";

export const OUTPUT_FORMATS = ["text", "json", "yaml"] as const;
export type OutputFormat = typeof OUTPUT_FORMATS[number];

export interface GlobalOptions {
  config?: string;
  trace: TraceLevel;
  output: OutputFormat;
  color: boolean;
}

/** The global flags' values when none is given (command.ts declares them to commander). */
export const DEFAULT_GLOBALS = {
  trace: "warn",
  output: "text",
  color: true,
} as const satisfies Omit<GlobalOptions, "config">;

export interface CliContext extends GlobalOptions {
  /** Colour on stdout / stderr: only on a terminal, never with NO_COLOR or --no-color. */
  colorOut: boolean;
  colorErr: boolean;
  cwd: string;
  env: Record<string, string>;
}

// Strings are written with encodeText: a Lua string that is not UTF-8 (an echoed value, an
// error message) comes out as the bytes it is (src/byte_string.ts).
export function writeOut(data: string | Uint8Array): void {
  writeAll(Deno.stdout, typeof data === "string" ? encodeText(data) : data);
}

export function writeErr(data: string | Uint8Array): void {
  writeAll(Deno.stderr, typeof data === "string" ? encodeText(data) : data);
}

/** The exit status of a process whose output pipe was closed (128 + SIGPIPE), as `yes | head`. */
const EXIT_BROKEN_PIPE = 141;

function writeAll(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  try {
    while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
  } catch (e) {
    // The reader went away (`llmspell exec … | head`): nothing more can be shown, and
    // saying so would only add noise. End quietly, like other command-line tools.
    if (e instanceof Deno.errors.BrokenPipe) Deno.exit(EXIT_BROKEN_PIPE);
    throw e;
  }
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

/** The context of a command run with `globals`; sets the trace level. */
export function contextFrom(globals: GlobalOptions): CliContext {
  setTraceLevel(globals.trace);
  return makeContext(globals, Deno.env.toObject());
}

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 };
export type Style = keyof typeof codes;

export function paint(on: boolean, style: Style, text: string): string {
  return on ? `\x1b[${codes[style]}m${text}\x1b[0m` : text;
}
