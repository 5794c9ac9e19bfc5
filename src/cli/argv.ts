/**
 * What the command line asks for, read before any command module loads: main.ts starts the
 * engine worker from it, program.ts loads only the modules of the command named, and the
 * common `exec` and `run` command lines run without commander (readScriptLine).
 */
import { TRACE_LEVELS, type TraceLevel } from "../telemetry/log.ts";
import { OUTPUT_FORMATS, type OutputFormat } from "../frontend/output.ts";
import { decodeBytes } from "../byte_string.ts";

/** The global flags' values (context.ts resolves them into a command's context). */
export interface GlobalOptions {
  config?: string;
  trace: TraceLevel;
  output: OutputFormat;
  color: boolean;
}

// Here, not in context.ts, so that main.ts reads the command line without loading the
// context's module (one module fewer at start-up).
/** The global flags' values when none is given (command.ts declares them to commander). */
export const DEFAULT_GLOBALS = {
  trace: "warn",
  output: "text",
  color: true,
} as const satisfies Omit<GlobalOptions, "config">;

/** The global flags that take a value (see withGlobalOptions in command.ts). */
const VALUE_FLAGS = new Set(["-c", "--config", "--trace", "--output"]);

/**
 * The program's arguments with every byte kept (src/byte_string.ts): Deno.args has each
 * byte that is not UTF-8 replaced by U+FFFD, so `exec` code, a script's ARGS and `arg`
 * would lose them. Only then, on Linux, the arguments are read again from
 * /proc/self/cmdline, whose last words are Deno.args as bytes; they are used only when each
 * decodes to exactly what Deno gave, the proof that they are the same words.
 */
export function rawArgs(args: string[] = Deno.args): string[] {
  if (!args.some((a) => a.includes("\ufffd"))) return args;
  let cmdline: Uint8Array;
  try {
    cmdline = Deno.readFileSync("/proc/self/cmdline");
  } catch {
    return args;
  }
  const words: Uint8Array[] = [];
  for (let start = 0; start < cmdline.length;) {
    const end = cmdline.indexOf(0, start);
    const stop = end < 0 ? cmdline.length : end;
    words.push(cmdline.subarray(start, stop));
    start = stop + 1;
  }
  if (words.length < args.length) return args;
  const tail = words.slice(words.length - args.length);
  const lossy = new TextDecoder();
  if (tail.some((w, i) => lossy.decode(w) !== args[i])) return args;
  return tail.map(decodeBytes);
}

export interface CommandLine {
  /** The first word that is not a flag (or a flag's value): it names the command. */
  word?: string;
  /** Where the word is in argv (argv.length when there is none). */
  at: number;
  /** The flags before it, without the values of those that take one. */
  flags: string[];
}

export function readCommandLine(argv: string[]): CommandLine {
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) return { word: a, at: i, flags };
    flags.push(a);
    if (VALUE_FLAGS.has(a)) i++;
  }
  return { at: argv.length, flags };
}

/** An `exec` or `run` command line: what their commander actions (script_cmd.ts) receive. */
export type ScriptLine =
  | { command: "exec"; globals: GlobalOptions; connect: string | undefined; code: string }
  | {
    command: "run";
    globals: GlobalOptions;
    connect: string | undefined;
    file: string;
    /** The words after the file, as given (a leading `--` included). */
    args: string[];
    /** `--watch`: run again whenever the script or a module it required changes. */
    watch?: boolean;
  };

type Flags = Partial<GlobalOptions> & { connect?: string };

/**
 * Reads the flag at argv[i] into `into`: the global flags, and `--connect` after the command
 * word. Returns how many words it took, or 0 when it is not a flag read here, or not in a
 * form read here exactly as commander reads it (`-cFILE`, a value that starts with `-`, a
 * value outside the flag's choices, help, anything unknown).
 */
function readFlag(argv: string[], i: number, into: Flags, afterWord: boolean): number {
  const a = argv[i];
  if (a === "--no-color") {
    into.color = false;
    return 1;
  }
  const eq = a.startsWith("--") ? a.indexOf("=") : -1;
  const name = eq > 0 ? a.slice(0, eq) : a;
  if (!VALUE_FLAGS.has(name) && !(afterWord && name === "--connect")) return 0;
  if (name === "-c" && eq > 0) return 0;
  const value = eq > 0 ? a.slice(eq + 1) : argv[i + 1];
  if (value === undefined || value === "" || (eq < 0 && value.startsWith("-"))) return 0;
  if (name === "--trace") {
    const level = TRACE_LEVELS.find((l) => l === value);
    if (!level) return 0;
    into.trace = level;
  } else if (name === "--output") {
    const format = OUTPUT_FORMATS.find((f) => f === value);
    if (!format) return 0;
    into.output = format;
  } else if (name === "--connect") {
    into.connect = value;
  } else {
    into.config = value;
  }
  return eq > 0 ? 1 : 2;
}

/**
 * The common `exec` and `run` command lines, read without commander: loading commander,
 * building the command tree and running its parser, all cold, cost every `exec` ~7% of its
 * start-up (docs/decisions/0013-fast-argv-path.md). Only a command line that is read here exactly
 * as commander reads it is taken (tests/cli/script_line_test.ts compares the two on a table
 * of command lines); any other, including every wrong one, is left to commander, which also
 * reports what is wrong with it. Flags before the command word are the program's, flags after
 * it the command's, which win; `run` passes every word after its file to the script.
 */
export function readScriptLine(argv: string[]): ScriptLine | undefined {
  const program: Flags = {};
  let i = 0;
  while (i < argv.length && argv[i].startsWith("-")) {
    const taken = readFlag(argv, i, program, false);
    if (taken === 0) return undefined;
    i += taken;
  }
  const command = argv[i++];
  if (command !== "exec" && command !== "run") return undefined;
  const own: Flags = {};
  const operands: string[] = [];
  while (i < argv.length) {
    const a = argv[i];
    if (command === "run" && operands.length > 0) {
      operands.push(a);
      i++;
    } else if (a.length > 1 && a.startsWith("-")) {
      const taken = readFlag(argv, i, own, true);
      if (taken === 0) return undefined;
      i += taken;
    } else {
      operands.push(a);
      i++;
    }
  }
  const globals: GlobalOptions = {
    config: own.config ?? program.config,
    trace: own.trace ?? program.trace ?? DEFAULT_GLOBALS.trace,
    output: own.output ?? program.output ?? DEFAULT_GLOBALS.output,
    color: own.color ?? program.color ?? DEFAULT_GLOBALS.color,
  };
  if (command === "exec") {
    if (operands.length !== 1) return undefined;
    return { command, globals, connect: own.connect, code: operands[0] };
  }
  if (operands.length === 0) return undefined;
  return { command, globals, connect: own.connect, file: operands[0], args: operands.slice(1) };
}
