/**
 * `llmspell repl [--connect ADDR]`: the REPL on an in-process kernel, or on a running one.
 */
import { Command } from "commander";
import { InProcessClient } from "../client/in_process.ts";
import { type Config, resolvePaths } from "../config/mod.ts";
import { takeEngine } from "../engine/host/prestart.ts";
import { History } from "../kernel/history.ts";
import { Repl } from "../repl/session.ts";
import { openStore, type SqliteStore } from "../store/mod.ts";
import { log } from "../telemetry/log.ts";
import { contextOf, example, setExit, withGlobalOptions } from "./command.ts";
import { configFor } from "./load_config.ts";
import type { CliContext } from "./context.ts";
import { writeOut } from "../frontend/output.ts";
import { attachKernel } from "./attach.ts";
import { reportError } from "../frontend/print.ts";
import { engineOptions } from "./script.ts";

export function registerReplCommand(program: Command): void {
  const repl = withGlobalOptions(
    new Command("repl")
      .description(
        "an interactive Lua session: completion, history search (Ctrl+R), multi-line input",
      )
      .option("--connect <addr>", "use a running kernel (id, connection file, or host:port)"),
  );
  example(
    repl,
    "llmspell repl",
    "llmspell repl --connect 3f2a9c1e",
    "printf 'x = 1\\nx + 1\\n' | llmspell repl",
  );
  repl.action(async (opts: { connect?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const { config } = await configFor(ctx);
    const paths = resolvePaths(ctx.env, ctx.cwd);
    let conn: InProcessClient;
    let where: string;
    let store: SqliteStore | undefined;
    let history: History | undefined;
    if (opts.connect) {
      setExit(await runConnectedRepl(ctx, config, opts.connect));
      return;
    } else {
      try {
        store = openStore(paths.dbPath);
        history = new History(store, `repl-${Deno.pid}`);
      } catch (e) {
        log.warn(`history is not saved: ${e instanceof Error ? e.message : e}`);
      }
      conn = await InProcessClient.start({
        // debug: the REPL's db: commands are clients of this kernel's debug session (no hook
        // runs until they are used).
        engineOptions: {
          ...engineOptions(config, ctx.cwd),
          stdin: "kernel",
          debug: true,
        },
        kernelId: `repl-${Deno.pid}`,
        openHistory: () => Promise.resolve(history),
        byteExact: true,
        engine: takeEngine(),
      });
      where = "embedded";
    }
    try {
      const code = await new Repl({
        ctx,
        conn,
        where,
        prompt: config.repl.prompt,
        historySize: config.repl.history_size,
        highlight: config.repl.highlight,
        clearStoredHistory: history ? () => history.clear() : undefined,
        embedded: true,
      }).run();
      setExit(code);
    } finally {
      await conn.close();
      store?.close();
    }
  });
  program.addCommand(repl);
}

/** The REPL on the kernel at `addr` (`repl --connect` and `kernel connect`). */
export async function runConnectedRepl(
  ctx: CliContext,
  config: Config,
  addr: string,
): Promise<number> {
  const conn = await attachKernel(ctx, addr, (reason) => {
    // The REPL may wait for a key, which nothing would end: leave from here, with the
    // terminal as the REPL leaves it (session.ts run).
    if (Deno.stdin.isTerminal() && Deno.stdout.isTerminal()) {
      writeOut("\x1b[?2004l\n");
      Deno.stdin.setRaw(false);
    }
    Deno.exit(reportError(reason, ctx.colorErr));
  });
  try {
    return await new Repl({
      ctx,
      conn,
      where: `connected to ${addr}`,
      prompt: config.repl.prompt,
      historySize: config.repl.history_size,
      highlight: config.repl.highlight,
    }).run();
  } finally {
    await conn.close();
  }
}
