/**
 * `llmspell dap`: a Debug Adapter Protocol server for editors (VS Code and others), over
 * stdio (the default: the editor starts it) or TCP (`--port`). `launch` runs a script on an
 * engine of this process; `attach` joins a running kernel's debug session.
 */
import { Command } from "commander";
import { loadConfig } from "../config/mod.ts";
import { type BackendFactory, DapConnection } from "../debug/session/adapter.ts";
import { ExitCode, LlmspellError } from "../errors.ts";
import { contextOf, example, setExit, withGlobalOptions } from "./command.ts";
import type { CliContext } from "./context.ts";
import { writeErr } from "../frontend/output.ts";
import { attachBackend } from "./dap_attach.ts";
import { launchBackend } from "./dap_launch.ts";
import * as path from "../path.ts";

const LOOPBACK = "127.0.0.1";

export function registerDapCommand(program: Command): void {
  const dap = withGlobalOptions(
    new Command("dap")
      .description(
        "serve the Debug Adapter Protocol (for editors) on stdio, or on TCP with --port",
      )
      .option(
        "--port [N]",
        "listen on TCP port N instead of stdio (no N: the config's debug.dap_port; 0 = any " +
          "free port, printed on stderr)",
      )
      .option(
        "--host <HOST>",
        "the address --port listens on (default 127.0.0.1; another one is reachable from " +
          "the network, without authentication)",
      ),
  );
  example(
    dap,
    "llmspell dap",
    "llmspell dap --port 4711",
    "llmspell dap --port 4711 --host 0.0.0.0   # reachable from other machines: a warning",
  );
  dap.action(async (opts: { port?: string | true; host?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    setExit(await serveDap(ctx, opts));
  });
  program.addCommand(dap);
}

function factoryFor(ctx: CliContext): BackendFactory {
  return {
    launch: (args, emit) =>
      launchBackend(
        ctx.config !== undefined && args.config === undefined
          ? { ...args, config: path.resolve(ctx.cwd, ctx.config) }
          : args,
        emit,
        ctx.cwd,
      ),
    attach: (args, emit) => attachBackend(args, emit, ctx.cwd, ctx.env),
  };
}

async function serveDap(
  ctx: CliContext,
  opts: { port?: string | true; host?: string },
): Promise<number> {
  if (opts.port === undefined) {
    if (opts.host !== undefined) {
      throw new LlmspellError({
        code: "usage",
        message: "--host needs --port (stdio has no address)",
        exitCode: ExitCode.usage,
      });
    }
    const conn = new DapConnection((b) => writeAllTo(Deno.stdout, b), factoryFor(ctx));
    await conn.serve(Deno.stdin.readable);
    return ExitCode.ok;
  }
  let port: number;
  if (opts.port === true) {
    port = (await loadConfig({ file: ctx.config, cwd: ctx.cwd, env: ctx.env })).config.debug
      .dap_port;
  } else {
    port = Number(opts.port);
    if (!/^\d+$/.test(opts.port) || port > 65535) {
      throw new LlmspellError({
        code: "usage",
        message: `--port expects a port number (0-65535), got '${opts.port}'`,
        exitCode: ExitCode.usage,
      });
    }
  }
  const host = opts.host ?? LOOPBACK;
  if (host !== LOOPBACK && host !== "localhost" && host !== "::1") {
    writeErr(
      `warning: the debug adapter listens on ${host}: anyone who can reach it can run code ` +
        "as you (DAP has no authentication)\n",
    );
  }
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: host, port });
  } catch (e) {
    throw new LlmspellError({
      code: "dap_listen_failed",
      message: `cannot listen on ${host}:${port}: ${e instanceof Error ? e.message : e}`,
      hint: "choose another --port (0 picks a free one)",
    });
  }
  const addr = listener.addr as Deno.NetAddr;
  writeErr(`llmspell dap: listening on ${addr.hostname}:${addr.port}\n`);
  // One client, then the adapter ends (an editor starts a session per connection).
  const conn = await listener.accept();
  listener.close();
  try {
    const dapConn = new DapConnection((b) => writeAllTo(conn, b), factoryFor(ctx));
    await dapConn.serve(conn.readable);
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed by the client.
    }
  }
  return ExitCode.ok;
}

async function writeAllTo(
  w: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await w.write(bytes.subarray(off));
}
