/**
 * `llmspell exec CODE` and `llmspell run FILE [-- args...]`: the commands that run one chunk
 * (src/cli/script.ts runs it).
 */
import { Command } from "commander";
import type { ScriptLine } from "./argv.ts";
import { example, globalsOf, setExit, withGlobalOptions } from "./command.ts";
import { runScriptLine } from "./script_line.ts";

const CONNECT_FLAG = "--connect <addr>";
const CONNECT_HELP =
  "run on a kernel: its id, connection file, or host:port (see `llmspell kernel status`)";

/**
 * Registers `exec` and `run`; their actions hand what commander read to `runLine`
 * (tests/cli/script_line_test.ts passes one that records it).
 */
export function registerScriptCommands(
  program: Command,
  runLine: (line: ScriptLine) => Promise<number> = runScriptLine,
): void {
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
    setExit(
      await runLine({ command: "exec", globals: globalsOf(cmd), connect: opts.connect, code }),
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
      .option(
        "-w, --watch",
        "run again whenever the script or a module it required changes (Ctrl+C stops)",
      )
      .option("--profile", "profile the script as `llmspell profile` does (see its help)")
      .option("--profile-out <prefix>", "the profile's files (implies --profile)")
      .passThroughOptions(),
  );
  example(
    run,
    "llmspell run greet.lua -- --name Ada",
    "echo 'print(ARGS.name)' | llmspell run - --name Ada",
    "llmspell run --output json report.lua",
    "llmspell run --watch agent.lua",
    "llmspell run --profile greet.lua",
  );
  run.action(
    async (
      file: string,
      args: string[],
      opts: { connect?: string; watch?: boolean; profile?: boolean; profileOut?: string },
      cmd: Command,
    ) => {
      setExit(
        await runLine({
          command: "run",
          globals: globalsOf(cmd),
          connect: opts.connect,
          file,
          args,
          // Every flag of its own, given or not: the fast argv path hands the same (argv.ts).
          watch: opts.watch,
          profile: opts.profile,
          profileOut: opts.profileOut,
        }),
      );
    },
  );
  program.addCommand(run);
}
