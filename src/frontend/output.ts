/**
 * The terminal's output: the output format, colour, and the writers for results (stdout) and
 * messages (stderr). Shared by the CLI, the REPL and the cell renderer.
 */
import { encodeText } from "../byte_string.ts";

export const OUTPUT_FORMATS = ["text", "json", "yaml"] as const;
export type OutputFormat = typeof OUTPUT_FORMATS[number];

/** How output is shown: the format of results, and colour on stdout / stderr. */
export interface OutputContext {
  output: OutputFormat;
  /** Colour on stdout / stderr: only on a terminal, never with NO_COLOR or --no-color. */
  colorOut: boolean;
  colorErr: boolean;
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

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 };
export type Style = keyof typeof codes;

export function paint(on: boolean, style: Style, text: string): string {
  return on ? `\x1b[${codes[style]}m${text}\x1b[0m` : text;
}
