/**
 * Reads a secret (an API key) typed at the terminal without showing it: the terminal is put
 * in raw mode, so nothing is echoed, and the line is edited here (Backspace, Ctrl+U); Enter
 * ends it, Ctrl+C or Ctrl+D on an empty line cancels. The prompt and the final newline go to
 * stderr, so stdout stays the command's result.
 */
import { ExitCode, LlmspellError } from "../errors.ts";
import { writeErr } from "./output.ts";
import type { ByteSource } from "./line_reader.ts";

/** The terminal a secret is read from: stdin, or a test's. */
export interface SecretTerminal extends ByteSource {
  setRaw(raw: boolean): void;
}

const ENTER_CR = 0x0d;
const ENTER_LF = 0x0a;
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_U = 0x15;
const BACKSPACE = 0x7f;
const CTRL_H = 0x08;
const ESC = 0x1b;

function cancelled(): LlmspellError {
  return new LlmspellError({
    code: "interrupted",
    message: "cancelled: nothing stored",
    exitCode: ExitCode.interrupted,
  });
}

/**
 * Prompts with `prompt` and returns what was typed, without echoing it.
 *
 * @throws LlmspellError `interrupted` (exit 130) on Ctrl+C, on Ctrl+D on an empty line and at
 *   the end of the input
 */
export async function readSecret(
  prompt: string,
  terminal: SecretTerminal = Deno.stdin,
): Promise<string> {
  // Raw (no echo) before the prompt: a key typed as soon as the prompt shows must not be
  // echoed by a terminal still in cooked mode.
  terminal.setRaw(true);
  writeErr(prompt);
  const typed: number[] = [];
  const buf = new Uint8Array(256);
  try {
    for (;;) {
      const n = await terminal.read(buf);
      if (n === null) throw cancelled();
      for (let i = 0; i < n; i++) {
        const b = buf[i];
        if (b === ENTER_CR || b === ENTER_LF) {
          return new TextDecoder().decode(new Uint8Array(typed));
        }
        if (b === CTRL_C || (b === CTRL_D && typed.length === 0)) throw cancelled();
        if (b === CTRL_U) typed.length = 0;
        else if (b === BACKSPACE || b === CTRL_H) {
          // One character: its UTF-8 continuation bytes, then its first byte.
          while (typed.length > 0 && (typed[typed.length - 1] & 0xc0) === 0x80) typed.pop();
          typed.pop();
        } else if (b === ESC) {
          // An arrow or function key: ESC [ parameters final byte; dropped whole.
          if (buf[i + 1] === 0x5b) {
            i += 2;
            while (i < n && (buf[i] < 0x40 || buf[i] > 0x7e)) i++;
          }
        } else if (b >= 0x20) typed.push(b);
      }
    }
  } finally {
    terminal.setRaw(false);
    writeErr("\n");
  }
}
