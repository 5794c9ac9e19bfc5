/**
 * `llmspell exec CODE` and `llmspell run FILE [-- args...]`: the commands that run one chunk
 * (src/cli/script.ts runs it).
 */
import { Command } from "commander";
import * as path from "../path.ts";
import { configFor, contextOf, example, setExit, withGlobalOptions } from "./command.ts";
import { runScript } from "./script.ts";
import { parseScriptArgs } from "./script_args.ts";
import { readScript } from "./script_file.ts";

const CONNECT_FLAG = "--connect <addr>";
const CONNECT_HELP =
  "run on a kernel: its id, connection file, or host:port (see `llmspell kernel status`)";

export function registerScriptCommands(program: Command): void {
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
}
