/**
 * Processes run with arguments, stdin and output as bytes, not text: Deno.Command takes its
 * arguments as strings (UTF-8), so the arguments go hex-encoded to python3, which execs the
 * program with them as bytes. For the byte-exactness tests (tests/cli/bytes_test.ts).
 */
import { V8_FLAGS_ARG } from "../../src/engine/host/v8_flags.ts";
import { MAIN } from "./cli.ts";

export interface RawResult {
  code: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

export interface RawOptions {
  stdin?: Uint8Array;
  cwd?: string;
  env?: Record<string, string>;
}

const PYTHON = "/usr/bin/python3";
const EXEC = "import os, sys; a = [bytes.fromhex(x) for x in sys.argv[1:]]; os.execvp(a[0], a)";
const encoder = new TextEncoder();

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Runs argv[0] with the arguments as given (a string stands for its UTF-8). */
export async function runRaw(argv: (string | Uint8Array)[], opts: RawOptions = {}) {
  const words = argv.map((a) => hex(typeof a === "string" ? encoder.encode(a) : a));
  const child = new Deno.Command(PYTHON, {
    args: ["-c", EXEC, ...words],
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin) {
    const w = child.stdin.getWriter();
    await w.write(opts.stdin);
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: out.stdout, stderr: out.stderr } satisfies RawResult;
}

/** `llmspell ARGS...` (the sources, as tests/helpers/cli.ts runs them), in LLMSPELL_HOME `home`. */
export function llmspell(
  args: (string | Uint8Array)[],
  home: string,
  opts: RawOptions = {},
): Promise<RawResult> {
  return runRaw([Deno.execPath(), "run", "-A", "--quiet", V8_FLAGS_ARG, MAIN, ...args], {
    ...opts,
    cwd: opts.cwd ?? home,
    env: { NO_COLOR: "1", LLMSPELL_HOME: home, ...opts.env },
  });
}

/** Native `lua5.4 ARGS...`. */
export function lua54(args: (string | Uint8Array)[], opts: RawOptions = {}): Promise<RawResult> {
  return runRaw(["lua5.4", ...args], opts);
}

/**
 * Each byte string as Python decodes it with errors="backslashreplace": what the kernel and
 * `--output json` show for output that is not UTF-8 (README, Lua strings are bytes).
 */
export async function backslashReplace(items: Uint8Array[]): Promise<string[]> {
  const out = await new Deno.Command(PYTHON, {
    args: [
      "-c",
      "import json, sys; print(json.dumps([bytes.fromhex(x).decode('utf-8', 'backslashreplace')" +
      " for x in sys.argv[1:]]))",
      ...items.map(hex),
    ],
    stdout: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
