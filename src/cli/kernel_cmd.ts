/**
 * `llmspell kernel start | install | uninstall`: the Jupyter kernel as a service.
 */
import { Command, Option } from "commander";
import * as path from "../path.ts";
import { ExitCode, usageError } from "../errors.ts";
import {
  checkSpecName,
  installSpec,
  kernelSpec,
  specDir,
  uninstallSpec,
} from "../kernel/kernelspec.ts";
import { resolvePaths } from "../config/mod.ts";
import { LlmspellError } from "../errors.ts";
import { findKernel, isAlive, listKernels, removeKernelFiles } from "../kernel/registry.ts";
import type { CliContext } from "./context.ts";
import { contextOf, example, setExit, withGlobalOptions } from "./command.ts";
import { configFor } from "./load_config.ts";
import { writeErr } from "../frontend/output.ts";
import { printData } from "../frontend/print.ts";
import { engineOptions } from "./script.ts";
import { restartKernel, startDaemon, type StartOpts, stopKernel, usage } from "./kernel_control.ts";

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw usageError(
        `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`,
      );
    }
    return n;
  };
}

interface StatusRow {
  id: string;
  pid: number;
  endpoint: string;
  state: string;
  clients: number | null;
  uptime_s: number;
  executions: number | null;
  memory_bytes: number | null;
  connection_file: string;
  log_file: string | null;
}

function formatUptime(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

export function registerKernelCommands(program: Command): void {
  const kernel = withGlobalOptions(
    new Command("kernel").description(
      "run llmspell as a Jupyter kernel and manage running kernels",
    ),
  );
  example(
    kernel,
    "llmspell kernel start",
    "llmspell kernel install --user",
    "jupyter console --kernel llmspell",
  );

  const start = withGlobalOptions(
    new Command("start")
      .description("start a kernel in the foreground and print its id and connection file")
      .option("--ip <address>", "address to bind (default 127.0.0.1; another one prints a warning)")
      .option(
        "--port <base>",
        "first of the five ports (default: any free ports)",
        intArg("--port", 1, 65531),
      )
      .addOption(
        new Option("--transport <kind>", "tcp or ipc (Unix sockets)").choices(["tcp", "ipc"]),
      )
      .option(
        "--connection-file <file>",
        "use this connection file (Jupyter passes {connection_file})",
      )
      .option("--id <id>", "kernel id (default: random)")
      .option("--log-file <file>", "write the kernel's log here instead of stderr")
      .option(
        "--idle-timeout <seconds>",
        "shut down after this long without a request (0 = never)",
        intArg("--idle-timeout", 0, 1e9),
      )
      .option("--daemon", "run in the background (pid and log file); return once it answers")
      .option(
        "--insecure",
        "accept a --connection-file whose key is empty (messages unsigned; prints a warning)",
      ),
  );
  example(
    start,
    "llmspell kernel start",
    "llmspell kernel start --port 9000 --idle-timeout 3600",
    "llmspell kernel start --connection-file /tmp/kernel.json",
    "llmspell kernel start --daemon",
  );
  start.action(async (opts: StartOpts, cmd: Command) => {
    const ctx = contextOf(cmd);
    const { config } = await configFor(ctx);
    if (opts.id !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(opts.id)) {
      throw usageError(
        `invalid kernel id ${JSON.stringify(opts.id)}`,
        "use letters, digits, '.', '_', '-'",
      );
    }
    if (opts.daemon) {
      await startDaemon(ctx, opts);
      return;
    }
    const connectionFile = opts.connectionFile
      ? path.resolve(ctx.cwd, opts.connectionFile)
      : undefined;
    // Launched by Jupyter (its {connection_file} exists): our stdout is the front end's
    // terminal (jupyter console) or log, so stay quiet there, like ipykernel.
    const launched = connectionFile !== undefined &&
      await Deno.stat(connectionFile).then(() => true, () => false);
    const { runKernelService } = await import("../kernel/service.ts");
    const code = await runKernelService({
      config,
      configFile: ctx.config,
      env: ctx.env,
      cwd: ctx.cwd,
      engineOptions: (c) => engineOptions(c, ctx.cwd),
      id: opts.id,
      ip: opts.ip,
      port: opts.port,
      transport: opts.transport,
      connectionFile,
      idleTimeoutS: opts.idleTimeout,
      logFile: opts.logFile ? path.resolve(ctx.cwd, opts.logFile) : undefined,
      insecure: opts.insecure,
      onNotice: (m) => writeErr(`warning: ${m}\n`),
      onReady: (id, file, info) => {
        if (launched) return;
        printData(
          ctx,
          {
            id,
            connection_file: file,
            pid: Deno.pid,
            transport: info.transport,
            ip: info.ip,
            shell_port: info.shell_port,
          },
          () => `kernel ${id} ready\nconnection file: ${file}`,
        );
      },
    });
    setExit(code);
  });
  kernel.addCommand(start);

  const install = withGlobalOptions(
    new Command("install")
      .description("install the Jupyter kernelspec so Jupyter can start llmspell kernels")
      .option("--user", "install for the current user (the default)")
      .option("--prefix <dir>", "install under DIR/share/jupyter/kernels (e.g. a virtualenv)")
      .option("--name <name>", "kernelspec name", "llmspell")
      .option("--display-name <text>", "name shown in Jupyter", "Lua 5.4 (llmspell)"),
  );
  example(
    install,
    "llmspell kernel install --user",
    'llmspell kernel install --prefix "$VIRTUAL_ENV"',
    "jupyter kernelspec list",
  );
  install.action(
    async (
      opts: { user?: boolean; prefix?: string; name: string; displayName: string },
      cmd: Command,
    ) => {
      const ctx = contextOf(cmd);
      const dir = kernelspecDir(ctx, opts);
      const file = await installSpec(dir, kernelSpec(opts.displayName));
      printData(
        ctx,
        { name: opts.name, path: file },
        () => `installed kernelspec ${opts.name}: ${file}`,
      );
    },
  );
  kernel.addCommand(install);

  const uninstall = withGlobalOptions(
    new Command("uninstall")
      .description("remove the kernelspec written by `kernel install`")
      .option("--user", "the user's kernelspec (the default)")
      .option("--prefix <dir>", "the kernelspec under DIR/share/jupyter/kernels")
      .option("--name <name>", "kernelspec name", "llmspell"),
  );
  example(
    uninstall,
    "llmspell kernel uninstall",
    'llmspell kernel uninstall --prefix "$VIRTUAL_ENV"',
  );
  uninstall.action(
    async (opts: { user?: boolean; prefix?: string; name: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const dir = kernelspecDir(ctx, opts);
      const removed = await uninstallSpec(dir);
      printData(ctx, { name: opts.name, path: dir, removed }, () => "");
      if (ctx.output === "text") {
        writeErr(removed ? `removed ${dir}\n` : `no kernelspec at ${dir}\n`);
      }
      setExit(removed ? ExitCode.ok : ExitCode.failure);
    },
  );
  kernel.addCommand(uninstall);

  const stop = withGlobalOptions(
    new Command("stop")
      .description("stop kernels: shutdown_request, then SIGTERM, then SIGKILL; files removed")
      .argument("[id]", "kernel id (or a unique prefix)")
      .option("--all", "stop every kernel of this user")
      .option("--force", "kill at once (SIGKILL)")
      .option("--timeout <seconds>", "how long each step waits", intArg("--timeout", 1, 3600), 5),
  );
  example(
    stop,
    "llmspell kernel stop 3f2a9c1e",
    "llmspell kernel stop --all",
    "llmspell kernel stop 3f2a --force",
  );
  stop.action(
    async (
      id: string | undefined,
      opts: { all?: boolean; force?: boolean; timeout: number },
      cmd: Command,
    ) => {
      const ctx = contextOf(cmd);
      const { runtimeDir } = resolvePaths(ctx.env, ctx.cwd);
      if (!id && !opts.all) {
        throw usageError("name a kernel id, or --all", "see `llmspell kernel status`");
      }
      if (id && opts.all) throw usageError("give either an id or --all");
      const targets = opts.all
        ? await listKernels(runtimeDir)
        : [await findKernel(runtimeDir, id!)];
      const results = [];
      for (const k of targets) {
        const how = await stopKernel(runtimeDir, k, opts.force === true, opts.timeout);
        results.push({ id: k.id, pid: k.pid, stopped_by: how });
        if (ctx.output === "text") {
          writeErr(
            how === "dead"
              ? `kernel ${k.id} was not running; files removed\n`
              : `kernel ${k.id} stopped (${how})\n`,
          );
        }
      }
      printData(ctx, results, () => "");
    },
  );
  kernel.addCommand(stop);

  const status = withGlobalOptions(
    new Command("status")
      .description("list kernels: id, pid, endpoint, state, clients, uptime, executions, memory")
      .argument("[id]", "one kernel (id or unique prefix)"),
  );
  example(status, "llmspell kernel status", "llmspell kernel status 3f2a --output json");
  status.action(async (id: string | undefined, _opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    const { runtimeDir } = resolvePaths(ctx.env, ctx.cwd);
    const kernels = id ? [await findKernel(runtimeDir, id)] : await listKernels(runtimeDir);
    const rows: StatusRow[] = [];
    for (const k of kernels) {
      const alive = isAlive(k);
      const u = alive ? await usage(k) : null;
      if (!alive) await removeKernelFiles(runtimeDir, k);
      rows.push({
        id: k.id,
        pid: k.pid,
        endpoint: k.endpoint,
        state: !alive ? "dead" : u ? String(u.state) : "unresponsive",
        // The status query itself is one of the connections.
        clients: u ? Math.max(0, Number(u.clients) - 1) : null,
        uptime_s: u ? Number(u.uptime_s) : (Date.now() - Date.parse(k.started_at)) / 1000,
        executions: u ? Number(u.executions) : null,
        memory_bytes: u ? Number(u.memory_bytes) : null,
        connection_file: k.connection_file,
        log_file: k.log_file,
      });
    }
    printData(ctx, rows, () => {
      if (rows.length === 0) return "no kernels";
      const head = ["ID", "PID", "ENDPOINT", "STATE", "CLIENTS", "UPTIME", "EXECUTIONS", "MEMORY"];
      return table([
        head,
        ...rows.map((r) => [
          r.id,
          String(r.pid),
          r.endpoint,
          r.state,
          r.clients === null ? "-" : String(r.clients),
          r.state === "dead" ? "-" : formatUptime(r.uptime_s),
          r.executions === null ? "-" : String(r.executions),
          r.memory_bytes === null ? "-" : `${Math.round(r.memory_bytes / (1 << 20))} MiB`,
        ]),
      ]);
    });
    if (id && rows[0]?.state === "dead") setExit(ExitCode.failure);
  });
  kernel.addCommand(status);

  const restart = withGlobalOptions(
    new Command("restart")
      .description("restart a kernel: a fresh Lua state on the same ports and connection file")
      .argument("<id>", "kernel id (or a unique prefix)")
      .option(
        "--timeout <seconds>",
        "how long to wait for the kernel to run code again",
        intArg("--timeout", 1, 3600),
        30,
      ),
  );
  example(restart, "llmspell kernel restart 3f2a9c1e");
  restart.action(async (id: string, opts: { timeout: number }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const { runtimeDir } = resolvePaths(ctx.env, ctx.cwd);
    const k = await findKernel(runtimeDir, id);
    if (!isAlive(k)) {
      await removeKernelFiles(runtimeDir, k);
      throw new LlmspellError({
        code: "kernel_dead",
        message: `kernel ${k.id} is not running (its files were removed)`,
        hint: "start one with `llmspell kernel start --daemon`",
      });
    }
    await restartKernel(k, opts.timeout * 1000);
    printData(ctx, { id: k.id, restarted: true }, () => "");
    if (ctx.output === "text") writeErr(`kernel ${k.id} restarted\n`);
  });
  kernel.addCommand(restart);

  const connect = withGlobalOptions(
    new Command("connect")
      .description(
        "the REPL on a running kernel (same as `llmspell repl --connect ADDR`)",
      )
      .argument("<addr>", "kernel id, connection file, or host:port"),
  );
  example(
    connect,
    "llmspell kernel connect 3f2a9c1e",
    "echo 'print(1)' | llmspell kernel connect kernel.json",
  );
  connect.action(async (addr: string, _opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    const { config } = await configFor(ctx);
    const { runConnectedRepl } = await import("./repl_cmd.ts");
    setExit(await runConnectedRepl(ctx, config, addr));
  });
  kernel.addCommand(connect);

  program.addCommand(kernel);
}

/** The kernelspec directory `kernel install` / `uninstall` work on (--user or --prefix). */
function kernelspecDir(
  ctx: CliContext,
  opts: { user?: boolean; prefix?: string; name: string },
): string {
  if (opts.user && opts.prefix) throw usageError("use either --user or --prefix, not both");
  checkSpecName(opts.name);
  return specDir(
    opts.prefix ? { prefix: path.resolve(ctx.cwd, opts.prefix) } : { user: true },
    opts.name,
    ctx.env,
  );
}
