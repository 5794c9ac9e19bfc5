/**
 * What the command line asks for, read before any command module loads: main.ts starts the
 * engine worker from it, program.ts loads only the modules of the command named, and the
 * common `exec` and `run` command lines run without commander (readScriptLine).
 */
import type { TraceLevel } from "../telemetry/log.ts";
import type { OutputFormat } from "../frontend/output.ts";
import { decodeBytes } from "../byte_string.ts";
import { ARGV_TABLE } from "./argv_table.ts";

/** The global flags' values (context.ts resolves them into a command's context). */
export interface GlobalOptions {
  config?: string;
  trace: TraceLevel;
  output: OutputFormat;
  color: boolean;
}

/**
 * A flag as the fast path reads it: the commander declaration's rules, generated into
 * argv_table.ts (scripts/gen_argv_table.ts).
 */
export interface ArgvFlag {
  /** `-c`, `--config`, `--no-color`. */
  names: string[];
  /** Where its value goes: commander's attribute name (`--no-color`: `color`). */
  key: string;
  /** It takes a value (`--flag <value>`). */
  value: boolean;
  /** What it sets when it takes no value (`--no-x`: false). */
  sets?: boolean;
  /** The values it accepts, when commander checks them. */
  choices?: string[];
  default?: string | boolean;
  /** False: a form of it that only commander reads; a command line with it goes there. */
  fast?: false;
}

/** A command the fast path runs: its own flags (the global ones aside) and arguments. */
export interface ArgvCommand {
  flags: ArgvFlag[];
  args: { name: string; required: boolean; variadic: boolean }[];
  /** After the first operand every word is an operand (commander's passThroughOptions). */
  passThrough: boolean;
}

export interface ArgvTable {
  /** The global flags: the program's, which every command declares too. */
  globals: ArgvFlag[];
  commands: Record<string, ArgvCommand>;
}

/** Flags by each of their names. */
function byName(flags: ArgvFlag[]): Map<string, ArgvFlag> {
  return new Map(flags.flatMap((f) => f.names.map((n) => [n, f] as const)));
}

const GLOBAL_FLAGS = byName(ARGV_TABLE.globals);

/** Each command's flags (the global ones and its own) by name, made at its first use. */
const COMMAND_FLAGS = new Map<string, Map<string, ArgvFlag>>();

/** The global flags that take a value. */
const VALUE_FLAGS = new Set(ARGV_TABLE.globals.filter((f) => f.value).flatMap((f) => f.names));

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
    /** `--profile`, `--profile-out PREFIX`: profile the run, as `llmspell profile` does. */
    profile?: boolean;
    profileOut?: string;
    /** `llmspell profile`'s `--rate` and `--top` (that command is not on this path). */
    profileRate?: number;
    profileTop?: number;
  };

/** Flag values by key, as read. */
type Values = Record<string, string | boolean>;

/**
 * Reads the flag at argv[i], one of `flags`, into `into`. Returns how many words it took, or 0
 * when it is not one of them, or not in a form read here exactly as commander reads it
 * (`-cFILE`, a value that starts with `-`, an empty one, one outside the flag's choices, a
 * flag without a value given one, a flag marked `fast: false`).
 */
function readFlag(argv: string[], i: number, flags: Map<string, ArgvFlag>, into: Values): number {
  const a = argv[i];
  const eq = a.startsWith("--") ? a.indexOf("=") : -1;
  const flag = flags.get(eq > 0 ? a.slice(0, eq) : a);
  if (!flag || flag.fast === false) return 0;
  if (!flag.value) {
    if (eq > 0 || flag.sets === undefined) return 0;
    into[flag.key] = flag.sets;
    return 1;
  }
  const value = eq > 0 ? a.slice(eq + 1) : argv[i + 1];
  if (value === undefined || value === "" || (eq < 0 && value.startsWith("-"))) return 0;
  if (flag.choices && !flag.choices.includes(value)) return 0;
  into[flag.key] = value;
  return eq > 0 ? 1 : 2;
}

/**
 * The common `exec` and `run` command lines, read without commander: loading commander,
 * building the command tree and running its parser, all cold, cost every `exec` ~7% of its
 * start-up (docs/decisions/0013-fast-argv-path.md). Its rules are the commander tree's,
 * generated into argv_table.ts. Only a command line that is read here exactly as commander
 * reads it is taken (tests/cli/script_line_test.ts compares the two on every flag of the
 * tree in every form); any other, including every wrong one, is left to commander, which also
 * reports what is wrong with it. Flags before the command word are the program's, flags after
 * it the command's, which win; `run` passes every word after its file to the script.
 */
export function readScriptLine(argv: string[]): ScriptLine | undefined {
  const program: Values = {};
  let i = 0;
  while (i < argv.length && argv[i].startsWith("-")) {
    const taken = readFlag(argv, i, GLOBAL_FLAGS, program);
    if (taken === 0) return undefined;
    i += taken;
  }
  const command = argv[i++];
  const spec = Object.hasOwn(ARGV_TABLE.commands, command)
    ? ARGV_TABLE.commands[command]
    : undefined;
  if (!spec) return undefined;
  let flags = COMMAND_FLAGS.get(command);
  if (!flags) COMMAND_FLAGS.set(command, flags = byName([...ARGV_TABLE.globals, ...spec.flags]));
  const own: Values = {};
  const operands: string[] = [];
  while (i < argv.length) {
    const a = argv[i];
    if (spec.passThrough && operands.length > 0) {
      operands.push(a);
      i++;
    } else if (a.length > 1 && a.startsWith("-")) {
      const taken = readFlag(argv, i, flags, own);
      if (taken === 0) return undefined;
      i += taken;
    } else {
      operands.push(a);
      i++;
    }
  }
  const globals: Record<string, string | boolean | undefined> = {};
  for (const f of ARGV_TABLE.globals) globals[f.key] = own[f.key] ?? program[f.key] ?? f.default;
  const line: Record<string, unknown> = { command, globals };
  for (const f of spec.flags) line[f.key] = own[f.key] ?? f.default;
  let n = 0;
  for (const arg of spec.args) {
    if (arg.required && n >= operands.length) return undefined;
    if (arg.variadic) {
      line[arg.name] = operands.slice(n);
      n = operands.length;
    } else {
      line[arg.name] = operands[n++];
    }
  }
  if (n < operands.length) return undefined;
  return line as ScriptLine;
}
