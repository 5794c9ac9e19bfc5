/**
 * The command tree. Completions are generated from it, so every command, flag and enum
 * value is declared with commander. Each command's module is loaded only when needed: a
 * command named on the command line needs its own module alone (`exec` then loads nothing
 * of the kernel, the REPL or the debugger), while help, completions, an unknown command or
 * none need the whole tree.
 */
import { Command, CommanderError } from "commander";
import { ExitCode } from "../errors.ts";
import { VERSION } from "../version.ts";
import { readCommandLine, type ScriptLine } from "./argv.ts";
import { paint, writeErr } from "../frontend/output.ts";
import { actionExit, example, setExit, withGlobalOptions } from "./command.ts";
import { reportError } from "../frontend/print.ts";

/** Registers a module's commands; `exec` and `run` hand their command lines to `runLine`. */
type Register = (program: Command, runLine?: (line: ScriptLine) => Promise<number>) => void;

/** The command modules, in the order help lists their commands. */
const MODULES: { commands: string[]; load: () => Promise<Register>; wholeTree?: true }[] = [
  {
    commands: ["exec", "run"],
    load: async () => (await import("./script_cmd.ts")).registerScriptCommands,
  },
  {
    commands: ["profile"],
    load: async () => (await import("./profile_cmd.ts")).registerProfileCommand,
  },
  {
    commands: ["config"],
    load: async () => (await import("./config_cmd.ts")).registerConfigCommands,
  },
  {
    commands: ["kernel"],
    load: async () => (await import("./kernel_cmd.ts")).registerKernelCommands,
  },
  {
    commands: ["debug"],
    load: async () => (await import("./debug_cmd.ts")).registerDebugCommand,
  },
  { commands: ["dap"], load: async () => (await import("./dap_cmd.ts")).registerDapCommand },
  { commands: ["repl"], load: async () => (await import("./repl_cmd.ts")).registerReplCommand },
  {
    commands: ["state"],
    load: async () => (await import("./state_cmd.ts")).registerStateCommands,
  },
  {
    commands: ["session"],
    load: async () => (await import("./session_cmd.ts")).registerSessionCommands,
  },
  {
    commands: ["keys"],
    load: async () => (await import("./keys_cmd.ts")).registerKeysCommands,
  },
  {
    commands: ["backup"],
    load: async () => (await import("./backup_cmd.ts")).registerBackupCommands,
  },
  {
    commands: ["validate"],
    load: async () => (await import("./validate_cmd.ts")).registerValidateCommand,
  },
  {
    commands: ["tool"],
    load: async () => (await import("./tool_cmd.ts")).registerToolCommands,
  },
  {
    commands: ["completions"],
    load: async () => (await import("./completions_cmd.ts")).registerCompletionsCommand,
    wholeTree: true, // it prints the tree
  },
];

/**
 * The program with every command, or (`argv` given) with the commands it needs: those of the
 * module that declares the command named, unless that one needs the whole tree; none for
 * `--version`. `runLine` runs `exec` and `run` (default: script_line.ts runScriptLine).
 */
export async function buildProgram(
  argv?: string[],
  runLine?: (line: ScriptLine) => Promise<number>,
): Promise<Command> {
  const program = new Command("llmspell")
    .description(
      "Run Lua scripts that orchestrate LLM agents, tools and workflows.",
    )
    .version(VERSION, "--version", "print the version")
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride();
  withGlobalOptions(program);
  example(program, "llmspell exec '1+2'", "llmspell run greet.lua -- --name Ada");

  const { word, flags } = readCommandLine(argv ?? []);
  const named = MODULES.find((m) => word !== undefined && m.commands.includes(word));
  // `--version` before any command prints the version before commander looks for one.
  const versionOnly = argv !== undefined && word === undefined && flags.includes("--version");
  const needed = versionOnly ? [] : named && !named.wholeTree ? [named] : MODULES;
  const registers = await Promise.all(needed.map((m) => m.load()));
  for (const register of registers) register(program, runLine);
  return program;
}

/** Turns commander's "error: … (Did you mean …?)" into one line. */
function oneLine(message: string): string {
  return message.replace(/^error: /, "").replace(
    /\n+\(?Did you mean ([^?]*)\?\)?/i,
    " (did you mean $1?)",
  )
    .replace(/\n/g, " ").trim();
}

/** What is wrong with the command words of argv, before commander reads it. */
type CommandPathProblem =
  | { kind: "missing"; cmd: Command }
  | { kind: "unknown"; end: number }
  /** `help A B`: the same as `A B --help` (commander's own reads one word only). */
  | { kind: "help"; argv: string[] };

const HELP_FLAGS = new Set(["-h", "--help", "--version"]);

/**
 * Walks the command words of argv down the tree. A group (a command with subcommands) needs
 * one of them: none is a usage error that shows the group's help (as `git` does), and an
 * unknown one is `unknown command` even with `--help` after it, where commander would print
 * the group's help and exit 0.
 */
function commandPathProblem(program: Command, argv: string[]): CommandPathProblem | undefined {
  let cmd = program;
  let at = 0;
  while (cmd.commands.length > 0) {
    const line = readCommandLine(argv.slice(at));
    const { word, flags } = line;
    if (word === undefined) {
      return flags.some((f) => HELP_FLAGS.has(f)) ? undefined : { kind: "missing", cmd };
    }
    if (word === "help") {
      const i = at + line.at;
      return { kind: "help", argv: [...argv.slice(0, i), ...argv.slice(i + 1), "--help"] };
    }
    const sub = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    at += line.at + 1;
    if (!sub) return { kind: "unknown", end: at };
    cmd = sub;
  }
  return undefined;
}

/** Parses argv, runs the command and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  const colorErr = Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR") &&
    !argv.includes("--no-color");
  program.configureOutput({
    writeErr: () => {},
    outputError: () => {},
  });
  program.commands.forEach(function quiet(c: Command) {
    c.exitOverride().configureOutput({ writeErr: () => {}, outputError: () => {} });
    c.commands.forEach(quiet);
  });
  setExit(ExitCode.ok);
  let args = argv;
  let problem = commandPathProblem(program, args);
  // Each turn takes one `help` word out: `help help` is `--help`.
  while (problem?.kind === "help") {
    args = problem.argv;
    problem = commandPathProblem(program, args);
  }
  if (problem?.kind === "missing") {
    writeErr(problem.cmd.helpInformation());
    return ExitCode.usage;
  }
  // Up to the unknown word only, so that commander reports it (with its did-you-mean)
  // instead of printing the help a later `--help` asks for.
  const words = problem?.kind === "unknown" ? args.slice(0, problem.end) : args;
  try {
    await program.parseAsync(words, { from: "user" });
    return actionExit();
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") {
        return ExitCode.ok;
      }
      if (e.code === "commander.help" || e.code === "commander.executeSubCommandAsync") {
        return ExitCode.ok;
      }
      writeErr(`${paint(colorErr, "red", "error:")} ${oneLine(e.message)}\n`);
      writeErr(`${paint(colorErr, "dim", "hint:")} see 'llmspell --help'\n`);
      return ExitCode.usage;
    }
    return reportError(e, colorErr);
  }
}
