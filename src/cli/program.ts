/**
 * The command tree. Completions are generated from it, so every command, flag and enum
 * value is declared here with commander.
 */
import { Command, CommanderError } from "commander";
import * as path from "../path.ts";
import { ExitCode } from "../errors.ts";
import { VERSION } from "../version.ts";
import { paint, writeErr } from "./context.ts";
import {
  actionExit,
  configFor,
  contextOf,
  example,
  setExit,
  withGlobalOptions,
} from "./command.ts";
import { registerConfigCommands } from "./config_cmd.ts";
import { registerCompletionsCommand } from "./completions_cmd.ts";
import { registerDebugCommand } from "./debug_cmd.ts";
import { registerKernelCommands } from "./kernel_cmd.ts";
import { registerReplCommand } from "./repl_cmd.ts";
import { reportError } from "./render.ts";
import { runScript } from "./script.ts";
import { parseScriptArgs } from "./script_args.ts";
import { readScript } from "./script_file.ts";

const CONNECT_FLAG = "--connect <addr>";
const CONNECT_HELP =
  "run on a kernel: its id, connection file, or host:port (see `llmspell kernel status`)";

export function buildProgram(): Command {
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

  const exec = withGlobalOptions(
    new Command("exec")
      .description("run a Lua chunk given on the command line; an expression prints its value")
      .argument("<code>", "Lua code, e.g. '1+2' or 'print(\"hi\")'")
      .option(CONNECT_FLAG, CONNECT_HELP),
  );
  example(
    exec,
    "llmspell exec '1+2'",
    "llmspell exec 'return 1, \"two\"'",
    "llmspell exec --output json 'print(1)'",
  );
  exec.action(async (code: string, opts: { connect?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const { config } = await configFor(ctx);
    setExit(
      await runScript(ctx, config, { code, chunkName: "=exec", echo: true, connect: opts.connect }),
    );
  });
  program.addCommand(exec);

  const run = withGlobalOptions(
    new Command("run")
      .description(
        "run a Lua script file (`-` reads it from stdin); arguments after it go to the script",
      )
      .argument("<file>", "the script, or - for stdin")
      .argument(
        "[args...]",
        'script arguments: --key value → ARGS.key, --flag → "true", others → ARGS[1..]',
      )
      .option(CONNECT_FLAG, CONNECT_HELP)
      .passThroughOptions(),
  );
  example(
    run,
    "llmspell run greet.lua -- --name Ada",
    "echo 'print(ARGS.name)' | llmspell run - --name Ada",
    "llmspell run --output json report.lua",
  );
  run.action(async (file: string, args: string[], opts: { connect?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const { config } = await configFor(ctx);
    const raw = args[0] === "--" ? args.slice(1) : args;
    let code: string;
    let scriptDir: string | undefined;
    let chunkName: string;
    if (file === "-") {
      // A #! line is not Lua: blank it, keeping line numbers (readScript does it for files).
      code = (await new Response(Deno.stdin.readable).text()).replace(/^#![^\n]*/, "");
      chunkName = "=stdin";
    } else {
      const script = await readScript(file);
      code = script.code;
      scriptDir = path.dirname(script.path);
      chunkName = "@" + file;
    }
    setExit(
      await runScript(ctx, config, {
        code,
        chunkName,
        echo: false,
        args: parseScriptArgs(file, raw),
        scriptDir,
        connect: opts.connect,
      }),
    );
  });
  program.addCommand(run);

  registerConfigCommands(program);
  registerKernelCommands(program);
  registerDebugCommand(program);
  registerReplCommand(program);
  registerCompletionsCommand(program);
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

/** Parses argv, runs the command and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
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
  try {
    await program.parseAsync(argv, { from: "user" });
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
