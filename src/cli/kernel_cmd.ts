/**
 * `llmspell kernel start | install | uninstall`: the Jupyter kernel as a service.
 */
import { Command, Option } from "commander";
import * as path from "node:path";
import { ExitCode, usageError } from "../errors.ts";
import {
  checkSpecName,
  installSpec,
  kernelSpec,
  specDir,
  uninstallSpec,
} from "../kernel/kernelspec.ts";
import { runKernelService } from "../kernel/service.ts";
import { configFor, contextOf, example, setExit, withGlobalOptions } from "./command.ts";
import { writeErr } from "./context.ts";
import { printData } from "./render.ts";
import { engineOptions } from "./script.ts";

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

interface StartOpts {
  ip?: string;
  port?: number;
  transport?: "tcp" | "ipc";
  connectionFile?: string;
  id?: string;
  logFile?: string;
  idleTimeout?: number;
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
      ),
  );
  example(
    start,
    "llmspell kernel start",
    "llmspell kernel start --port 9000 --idle-timeout 3600",
    "llmspell kernel start --connection-file /tmp/kernel.json",
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
      connectionFile: opts.connectionFile ? path.resolve(ctx.cwd, opts.connectionFile) : undefined,
      idleTimeoutS: opts.idleTimeout,
      logFile: opts.logFile ? path.resolve(ctx.cwd, opts.logFile) : undefined,
      onReady: (id, file, info) => {
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
      if (opts.user && opts.prefix) throw usageError("use either --user or --prefix, not both");
      checkSpecName(opts.name);
      const dir = specDir(
        opts.prefix ? { prefix: path.resolve(ctx.cwd, opts.prefix) } : { user: true },
        opts.name,
        ctx.env,
      );
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
      if (opts.user && opts.prefix) throw usageError("use either --user or --prefix, not both");
      checkSpecName(opts.name);
      const dir = specDir(
        opts.prefix ? { prefix: path.resolve(ctx.cwd, opts.prefix) } : { user: true },
        opts.name,
        ctx.env,
      );
      const removed = await uninstallSpec(dir);
      printData(ctx, { name: opts.name, path: dir, removed }, () => "");
      if (ctx.output === "text") {
        writeErr(removed ? `removed ${dir}\n` : `no kernelspec at ${dir}\n`);
      }
      setExit(removed ? ExitCode.ok : ExitCode.failure);
    },
  );
  kernel.addCommand(uninstall);

  program.addCommand(kernel);
}
