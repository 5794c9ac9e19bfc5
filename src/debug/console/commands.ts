/**
 * The console's commands, one table: the help text, the completion candidates (the REPL's
 * `db:` words and the (debug) prompt) and the dispatch are all made from it.
 */

/** What a command does, on the console (console.ts implements it). */
export interface ConsoleActions {
  help(): void;
  quit(): Promise<"quit" | void>;
  addBreakpoint(rest: string, temp: boolean, log?: string): Promise<void>;
  breakHere(): Promise<void>;
  deleteBreakpoints(rest: string): Promise<void>;
  enableBreakpoints(rest: string, on: boolean): Promise<void>;
  info(rest: string): Promise<void>;
  catchErrors(rest: string): Promise<void>;
  resume(command: "stepIn" | "next" | "stepOut" | "continue"): Promise<void>;
  pause(): Promise<void>;
  backtrace(): void;
  selectFrame(how: "at" | "up" | "down", rest: string): void;
  scope(which: "Locals" | "Upvalues" | "Globals"): Promise<void>;
  print(rest: string): Promise<void>;
  more(): Promise<void>;
  watch(rest: string): Promise<void>;
  unwatch(rest: string): void;
  list(rest: string): void;
  restart(): Promise<void>;
  say(text: string): void;
}

export interface ConsoleCommand {
  /** The name, then its short forms (all typed the same way). */
  names: readonly string[];
  /** Arguments, as help shows them. */
  args?: string;
  /** One line of help. */
  help: string;
  /** An empty line repeats it. */
  step?: boolean;
  run(c: ConsoleActions, rest: string): Promise<"quit" | void> | "quit" | void;
}

const LOC = "LINE|FILE:LINE|FUNCTION";

export const CONSOLE_COMMANDS: readonly ConsoleCommand[] = [
  {
    names: ["break", "b"],
    args: `${LOC} [hit N|>=N|==N|%N] [if COND]`,
    help: "set a breakpoint (here, without LOC)",
    run: (c, rest) => rest ? c.addBreakpoint(rest, false) : c.breakHere(),
  },
  {
    names: ["tbreak"],
    args: "LOC [if COND]",
    help: "a breakpoint deleted when first hit",
    run: (c, rest) => c.addBreakpoint(rest, true),
  },
  {
    names: ["log", "logpoint"],
    args: "LOC MESSAGE",
    help: "a logpoint: prints MESSAGE ({expr} interpolated), no stop",
    run: (c, rest) => {
      const m = /^(\S+)\s+(.+)$/.exec(rest);
      return m ? c.addBreakpoint(m[1], false, m[2]) : c.say("usage: log LOC MESSAGE");
    },
  },
  {
    names: ["delete", "d"],
    args: "[N...]",
    help: "delete breakpoints (all without N)",
    run: (c, rest) => c.deleteBreakpoints(rest),
  },
  {
    names: ["enable"],
    args: "[N...]",
    help: "enable breakpoints (all without N)",
    run: (c, rest) => c.enableBreakpoints(rest, true),
  },
  {
    names: ["disable"],
    args: "[N...]",
    help: "disable breakpoints (all without N)",
    run: (c, rest) => c.enableBreakpoints(rest, false),
  },
  {
    names: ["info", "i"],
    args: "breakpoints|b|watch",
    help: "list breakpoints (also other clients') or watches",
    run: (c, rest) => c.info(rest),
  },
  {
    names: ["catch"],
    args: "all|uncaught|never",
    help: "stop on every error, on uncaught errors, or never (off = never)",
    run: (c, rest) => c.catchErrors(rest),
  },
  {
    names: ["step", "s"],
    help: "step in",
    step: true,
    run: (c) => c.resume("stepIn"),
  },
  {
    names: ["next", "n"],
    help: "step over",
    step: true,
    run: (c) => c.resume("next"),
  },
  {
    names: ["finish", "f"],
    help: "step out",
    step: true,
    run: (c) => c.resume("stepOut"),
  },
  {
    names: ["continue", "c"],
    help: "continue",
    step: true,
    run: (c) => c.resume("continue"),
  },
  {
    names: ["pause"],
    help: "(while running, or Ctrl+C) stop at the next line",
    run: (c) => c.pause(),
  },
  {
    names: ["backtrace", "bt", "where"],
    help: "the stack",
    run: (c) => c.backtrace(),
  },
  {
    names: ["frame"],
    args: "N",
    help: "select frame N",
    run: (c, rest) => c.selectFrame("at", rest),
  },
  {
    names: ["up"],
    args: "[N]",
    help: "select the caller's frame",
    run: (c, rest) => c.selectFrame("up", rest),
  },
  {
    names: ["down"],
    args: "[N]",
    help: "select the callee's frame",
    run: (c, rest) => c.selectFrame("down", rest),
  },
  {
    names: ["locals"],
    help: "the selected frame's locals",
    run: (c) => c.scope("Locals"),
  },
  {
    names: ["upvalues"],
    help: "the selected frame's upvalues",
    run: (c) => c.scope("Upvalues"),
  },
  {
    names: ["globals"],
    help: "the globals (the first 50)",
    run: (c) => c.scope("Globals"),
  },
  {
    names: ["print", "p"],
    args: "EXPR [@N]",
    help: "evaluate in the selected frame (statements may assign locals); @N pages a " +
      "table from index N",
    run: (c, rest) => c.print(rest),
  },
  {
    names: ["more"],
    help: "the next entries of the table last listed",
    run: (c) => c.more(),
  },
  {
    names: ["watch"],
    args: "EXPR",
    help: "an expression shown at every stop",
    run: (c, rest) => c.watch(rest),
  },
  {
    names: ["unwatch"],
    args: "[N...]",
    help: "remove watches (all without N)",
    run: (c, rest) => c.unwatch(rest),
  },
  {
    names: ["list", "l"],
    args: "[LINE|FILE:LINE]",
    help: "source around the current line (or the given one)",
    run: (c, rest) => c.list(rest),
  },
  {
    names: ["restart", "r", "run"],
    help: "run the program again",
    run: (c) => c.restart(),
  },
  {
    names: ["quit", "q"],
    help: "end the program and the debugger",
    run: (c) => c.quit(),
  },
  {
    names: ["help", "h"],
    help: "this list (an empty line repeats the last step command)",
    run: (c) => c.help(),
  },
];

const BY_NAME = new Map(CONSOLE_COMMANDS.flatMap((c) => c.names.map((n) => [n, c] as const)));

/** The command a word names. */
export function findCommand(word: string): ConsoleCommand | undefined {
  return BY_NAME.get(word);
}

/** Every word that names a command (short forms too). */
export const COMMAND_WORDS: readonly string[] = [...BY_NAME.keys()];

/** Command words to offer when completing: the names, without one-letter forms. */
export function completeCommandWord(prefix: string): string[] {
  return COMMAND_WORDS.filter((w) => w.length > 1 && w.startsWith(prefix)).sort();
}

const HELP_COLUMN = 30;

/** The help text: a line per command. */
export const HELP = "Commands:\n" + CONSOLE_COMMANDS.map((c) => {
  const left = `  ${c.names.join("|")}${c.args ? " " + c.args : ""}`;
  return left.length < HELP_COLUMN
    ? `${left.padEnd(HELP_COLUMN)} ${c.help}\n`
    : `${left}\n${" ".repeat(HELP_COLUMN + 1)}${c.help}\n`;
}).join("");
