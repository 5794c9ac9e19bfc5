import { suggest } from "../suggest.ts";

/**
 * REPL meta-commands: their names, arguments and help, and parsing of a meta-command line.
 */

export interface MetaCommand {
  name: string;
  args: string;
  help: string;
  /** Minimum and maximum number of arguments. */
  min: number;
  max: number;
}

export const META_COMMANDS: readonly MetaCommand[] = [
  { name: ".help", args: "", help: "this list", min: 0, max: 0 },
  { name: ".exit", args: "", help: "leave (also .quit, Ctrl+D)", min: 0, max: 0 },
  { name: ".quit", args: "", help: "leave", min: 0, max: 0 },
  { name: ".clear", args: "", help: "clear the screen (also Ctrl+L)", min: 0, max: 0 },
  {
    name: ".history",
    args: "[N | search TEXT]",
    help: "the last N inputs, or those containing TEXT",
    min: 0,
    max: Infinity,
  },
  { name: ".clear-history", args: "", help: "forget the input history", min: 0, max: 0 },
  {
    name: ".save",
    args: "FILE",
    help: "write this session's inputs as a runnable Lua file",
    min: 1,
    max: 1,
  },
  { name: ".load", args: "FILE", help: "run a Lua file in this session", min: 1, max: 1 },
  {
    name: ".run",
    args: "FILE [ARGS...]",
    help: "run a script with ARGS, like `llmspell run`",
    min: 1,
    max: Infinity,
  },
  {
    name: ".vars",
    args: "",
    help: "user-defined globals with their types and values",
    min: 0,
    max: 0,
  },
  {
    name: ".reload",
    args: "MODULE",
    help: "run a required module again; its functions are replaced in place, its data kept",
    min: 1,
    max: 1,
  },
  { name: ".reset", args: "", help: "a fresh Lua state (globals are lost)", min: 0, max: 0 },
  { name: ".time", args: "on|off", help: "show how long each input takes", min: 1, max: 1 },
  {
    name: ".profile",
    args: "[CODE]",
    help: "profile the next input (or CODE): profile.svg, .folded, .speedscope.json here",
    min: 0,
    max: Infinity,
  },
  { name: ".info", args: "", help: "kernel, language and session information", min: 0, max: 0 },
  {
    name: ".pwd",
    args: "",
    help: "the REPL's working directory (for .load, .save, .run)",
    min: 0,
    max: 0,
  },
  { name: ".cd", args: "[DIR]", help: "change the REPL's working directory", min: 0, max: 1 },
];

export type ParsedMeta = { name: string; args: string[] } | { error: string };

/** Splits a meta-command line; words may be quoted with "…" or '…'. */
export function parseMeta(line: string): ParsedMeta {
  const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  const [name, ...args] = words;
  const cmd = META_COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    const near = suggest(name, META_COMMANDS.map((c) => c.name));
    return {
      error: `unknown command ${name}${near ? ` (did you mean ${near}?)` : ""}; .help lists them`,
    };
  }
  if (args.length < cmd.min || args.length > cmd.max) {
    return { error: `usage: ${cmd.name} ${cmd.args}`.trimEnd() };
  }
  if (cmd.name === ".time" && args[0] !== "on" && args[0] !== "off") {
    return { error: "usage: .time on|off" };
  }
  return { name: cmd.name, args };
}
