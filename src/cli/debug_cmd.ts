/**
 * `llmspell debug script.lua`: the terminal debugger. The script runs on an engine of this
 * process (debug_program.ts) under a debug session, whose one client is the console
 * (debug/console/): commands are read from stdin at a `(debug)` prompt and go to the session
 * as DAP requests; while the program runs, `pause` (or Ctrl+C) stops it.
 */
import { Command } from "commander";
import * as path from "../path.ts";
import type { Config } from "../config/mod.ts";
import { DebugConsole } from "../debug/console/console.ts";
import { sessionClient } from "../debug/console/target.ts";
import { DebugSession } from "../debug/session/session.ts";
import { takeEngine } from "../engine/host/prestart.ts";
import { LaunchedProgram, type RunEnd } from "./debug_program.ts";
import { ExitCode, LlmspellError, usageError } from "../errors.ts";
import type { ReplayProgram } from "./debug_replay.ts";
import { contextOf, example, setExit, withGlobalOptions } from "./command.ts";
import { configFor } from "./load_config.ts";
import { writeErr, writeOut } from "../frontend/output.ts";
import { engineOptions } from "./script.ts";
import { parseScriptArgs } from "../frontend/script_args.ts";
import { LineReader } from "../frontend/line_reader.ts";
import { readScript } from "./script_file.ts";

export function registerDebugCommand(program: Command): void {
  const debug = withGlobalOptions(
    new Command("debug")
      .description("debug a Lua script in the terminal (breakpoints, stepping, inspection)")
      .argument("[file]", "the script")
      .argument("[args...]", "script arguments (after --)")
      .option(
        "--break-at <FILE:LINE[:COND]>",
        "set a breakpoint before the start (repeatable)",
        (v: string, acc: string[]) => [...acc, v],
        [] as string[],
      )
      .option(
        "--watch <EXPR>",
        "show an expression at every stop (repeatable)",
        (v: string, acc: string[]) => [...acc, v],
        [] as string[],
      )
      .option(
        "--replay <id>",
        "step through a recorded session (llmspell session list) with its recorded answers",
      )
      .option("--stop-on-entry", "stop at the first line (the default without --break-at)")
      .option("--no-stop-on-entry", "run until a breakpoint, an error or a pause"),
  );
  example(
    debug,
    "llmspell debug app.lua",
    "llmspell debug app.lua --break-at app.lua:12 --watch total",
    "llmspell debug app.lua --break-at lib.lua:30:'n > 10' -- --name Ada",
    "llmspell debug --replay 3f2a9c1e --break-at app.lua:12",
  );
  debug.action(
    async (
      file: string | undefined,
      args: string[],
      opts: DebugOptions,
      cmd: Command,
    ) => {
      const ctx = contextOf(cmd);
      if ((file === undefined) === (opts.replay === undefined)) {
        throw usageError("give a script, or --replay ID (not both)");
      }
      const { config } = await configFor(ctx);
      const raw = args[0] === "--" ? args.slice(1) : args;
      // A recorded session: its executions, with their recorded answers (debug_replay.ts).
      const replay = opts.replay === undefined
        ? undefined
        : await (await import("./debug_replay.ts")).replayProgram(ctx, opts.replay);
      setExit(await debugScript(ctx.cwd, config, file ?? replay!.source, raw, opts, replay));
    },
  );
  program.addCommand(debug);
}

/** The console's client id in the program's debug session. */
const CONSOLE = "console";

interface DebugOptions {
  breakAt: string[];
  watch: string[];
  stopOnEntry?: boolean;
  replay?: string;
}

async function debugScript(
  cwd: string,
  config: Config,
  file: string,
  raw: string[],
  opts: DebugOptions,
  replay?: ReplayProgram,
): Promise<number> {
  if (!config.debug.enabled) {
    throw new LlmspellError({
      code: "debug_disabled",
      message: "debugging is disabled by the configuration (debug.enabled = false)",
      hint: "set [debug] enabled = true, or run the script with `llmspell run`",
    });
  }
  const { code, path: abs } = replay ? { code: "", path: file } : await readScript(file);
  // Like pdb: with no breakpoint given, stop at the first line so the user can set some.
  const stopOnEntry = opts.stopOnEntry ?? opts.breakAt.length === 0;
  // The terminal is the one client: logpoints stay in the program's stdout, in order with it.
  const session = new DebugSession({ logpointEvents: false });
  const program = new LaunchedProgram({
    session,
    options: { ...engineOptions(config, cwd, path.dirname(abs)), debug: true },
    program: replay?.steps ?? { code, chunkName: "@" + file, args: parseScriptArgs(file, raw) },
    onStep: replay?.onStep,
    hostFunctions: replay?.hostFunctions,
    firstEngine: takeEngine(),
    onStream: (name, data) => name === "stdout" ? writeOut(data) : writeErr(data),
    onEnd: (end) => {
      writeOut(endMessage(end));
      if (replay && !end.terminated) writeOut(replay.summary());
      // Only after the program started, so after `con` was made.
      con.ended();
    },
  });
  await program.open();
  const con: DebugConsole = new DebugConsole({
    target: sessionClient(session, CONSOLE),
    host: {
      defaultSource: () => abs,
      baseDir: path.dirname(abs),
      terminate: () => program.terminate(),
      async restart() {
        await program.terminate();
        writeOut("Restarting\n");
        con.running();
        await program.reopen(true);
        await program.start(stopOnEntry);
      },
      notRunning: "the program is not running (restart runs it again)",
    },
    io: { write: (t) => writeOut(t) },
    cwd,
    watches: opts.watch,
    catchMode: config.debug.break_on_error,
  });
  try {
    await con.configure(opts.breakAt);
  } catch (e) {
    program.close();
    throw new LlmspellError({
      code: "usage",
      message: e instanceof Error ? e.message : String(e),
      exitCode: ExitCode.usage,
    });
  }

  const lines = new LineReader({ stripCr: true });
  let pending: Promise<string | null> | undefined;
  const nextLine = () => (pending ??= lines.read());
  const onSigint = () => {
    if (con.state === "running") void con.pause();
    else writeOut("\n(debug) ");
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    con.running();
    await program.start(stopOnEntry);
    let typeAhead: string | null | undefined;
    for (;;) {
      // While the program runs, `pause` and `quit` act at once; other commands wait for
      // the next stop.
      while (con.state === "running" && typeAhead === undefined) {
        const idle = con.waitIdle().then(() => "idle" as const);
        const got = await Promise.race([idle, nextLine()]);
        if (got === "idle") break;
        pending = undefined;
        const c = got?.trim();
        if (c === "pause") await con.pause();
        else if (got === null || c === "q" || c === "quit") {
          await con.command("quit");
          return ExitCode.ok;
        } else if (c) typeAhead = got;
      }
      await con.waitIdle();
      writeOut("(debug) ");
      let line: string | null;
      if (typeAhead !== undefined) {
        line = typeAhead;
        typeAhead = undefined;
      } else {
        line = await nextLine();
        pending = undefined;
      }
      if (line === null) {
        writeOut("\n");
        await con.command("quit");
        return ExitCode.ok;
      }
      if (await con.command(line) === "quit") return ExitCode.ok;
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    con.close();
    program.close();
  }
}

/** What the console says when the program has ended. */
function endMessage(end: RunEnd): string {
  const { error, exit } = end;
  if (end.terminated) return "Program terminated\n";
  if (error) {
    const tb = error.traceback.length
      ? `stack traceback:\n\t${error.traceback.join("\n\t")}\n`
      : "";
    return `Program ended with an error: ${error.message}\n${tb}`;
  }
  if (exit !== undefined) return `Program exited with code ${exit}\n`;
  return "Program finished\n";
}
