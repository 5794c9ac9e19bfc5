/**
 * A kernel process (`llmspell kernel start`): binds the ZMTP transport, writes the
 * connection and meta files, serves until shutdown_request, SIGTERM or the idle timeout,
 * then removes its files. SIGINT interrupts the running cell; SIGHUP reloads the config.
 */
import { type Config, loadConfig, resolvePaths } from "../config/mod.ts";
import type { EngineOptions } from "../engine/protocol.ts";
import { LlmspellError } from "../errors.ts";
import { newKey } from "../protocol/jupyter/sign.ts";
import type { SqliteStore } from "../store/mod.ts";
import { enabled } from "../telemetry/log.ts";
import {
  type ConnectionInfo,
  endpointOf,
  readConnectionFile,
  writeConnectionFile,
} from "../protocol/jupyter/connection.ts";
import { History } from "./history.ts";
import type { KernelLogger } from "./kernel.ts";
import {
  connectionPath,
  type KernelMeta,
  newKernelId,
  removeKernelFiles,
  writeMeta,
} from "./registry.ts";
import { KernelServer } from "./server.ts";

export interface ServiceOptions {
  config: Config;
  /** The config file to reload on SIGHUP (as given with -c). */
  configFile?: string;
  env: Record<string, string>;
  cwd: string;
  engineOptions: (config: Config) => EngineOptions;
  id?: string;
  /** --ip given on the command line. */
  ip?: string;
  port?: number;
  transport?: "tcp" | "ipc";
  connectionFile?: string;
  idleTimeoutS?: number;
  logFile?: string;
  /** Called once the kernel serves, with its id and connection file. */
  onReady?: (id: string, connectionFile: string, info: ConnectionInfo) => void;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopback(ip: string): boolean {
  return LOOPBACK.has(ip) || ip.startsWith("127.");
}

/** A logger to a file (daemon) or stderr, honouring --trace. */
export function kernelLogger(file?: string): KernelLogger & { close(): void } {
  const enc = new TextEncoder();
  let fd: Deno.FsFile | undefined;
  if (file) fd = Deno.openSync(file, { append: true, create: true, mode: 0o600 });
  const line = (level: "debug" | "info" | "warn", msg: string) => {
    if (!enabled(level)) return;
    const text = `${new Date().toISOString()} [${level}] ${msg}\n`;
    try {
      (fd ?? Deno.stderr).writeSync(enc.encode(text));
    } catch {
      // Logging never fails the kernel.
    }
  };
  return {
    debug: (m) => line("debug", m),
    info: (m) => line("info", m),
    warn: (m) => line("warn", m),
    close: () => fd?.close(),
  };
}

/** Runs a kernel until it is shut down; returns the exit code. */
export async function runKernelService(opts: ServiceOptions): Promise<number> {
  const paths = resolvePaths(opts.env, opts.cwd);
  const log = kernelLogger(opts.logFile);
  let config = opts.config;

  // Launched by Jupyter: its connection file decides ports, key and address.
  let info: ConnectionInfo | undefined;
  let ownsFile = true;
  if (opts.connectionFile) {
    const exists = await Deno.stat(opts.connectionFile).then(() => true, () => false);
    if (exists) {
      info = await readConnectionFile(opts.connectionFile);
      ownsFile = false;
    }
  }
  const id = opts.id ??
    (opts.connectionFile && !ownsFile ? idFromFile(opts.connectionFile) : newKernelId());
  const transport = opts.transport ?? config.kernel.transport;
  if (!info) {
    const ip = opts.ip ?? config.kernel.ip;
    if (!isLoopback(ip) && opts.ip === undefined) {
      throw new LlmspellError({
        code: "usage",
        message: `kernel.ip is ${ip}: binding to a non-loopback address needs --ip ${ip}`,
        hint: "connections are signed but not encrypted; pass --ip to confirm",
        exitCode: 2,
      });
    }
    info = {
      transport,
      ip: transport === "ipc" ? `${paths.runtimeDir}/kernel-${id}` : ip,
      shell_port: 0,
      iopub_port: 0,
      stdin_port: 0,
      control_port: 0,
      hb_port: 0,
      key: newKey(),
      signature_scheme: "hmac-sha256",
      kernel_name: "llmspell",
    };
  }
  if (info.transport === "tcp" && !isLoopback(info.ip)) {
    log.warn(
      `kernel binds ${info.ip}: reachable from the network; messages are signed but not encrypted`,
    );
  }
  if (info.transport === "ipc") {
    await Deno.mkdir(paths.runtimeDir, { recursive: true, mode: 0o700 });
  }

  // The store (node:sqlite) opens at the first execution or history request: loading
  // Node.js compatibility costs ~20 ms, which every client would otherwise wait for at
  // every kernel start (kernel.ts `openHistory`).
  let store: SqliteStore | undefined;
  let history: Promise<History | undefined> | undefined;
  const openHistory = () =>
    history ??= (async () => {
      try {
        const { openStore } = await import("../store/mod.ts");
        store = openStore(paths.dbPath);
        return new History(store, id);
      } catch (e) {
        log.warn(`history is off: ${e instanceof Error ? e.message : e}`);
        return undefined;
      }
    })();

  /** The configuration as it is now, for SIGHUP and each restart. */
  const reload = () => loadConfig({ file: opts.configFile, cwd: opts.cwd, env: opts.env });
  const kernelEngineOptions = (c: Config): EngineOptions => ({
    ...opts.engineOptions(c),
    stdin: "kernel",
  });

  let stop!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (stop = resolve));
  const server = await KernelServer.start({
    connection: info,
    portBase: opts.port ?? config.kernel.port_base,
    engineOptions: kernelEngineOptions(config),
    currentEngineOptions: async () => {
      config = (await reload()).config;
      return kernelEngineOptions(config);
    },
    // The engine starts once the first request is answered.
    deferEngineStart: true,
    kernelId: id,
    openHistory,
    coalesceStreams: true,
    logger: log,
    onShutdown: () => stop(0),
  });
  const connectionFile = opts.connectionFile ?? connectionPath(paths.runtimeDir, id);
  const meta: KernelMeta = {
    id,
    pid: Deno.pid,
    connection_file: connectionFile,
    owns_connection_file: ownsFile,
    log_file: opts.logFile ?? null,
    started_at: new Date().toISOString(),
    endpoint: endpointOf(server.connection, "shell"),
  };
  const cleanup = async () => {
    await server.close().catch(() => {});
    await removeKernelFiles(paths.runtimeDir, meta);
    await history;
    try {
      store?.close();
    } catch {
      // Closing is best effort.
    }
  };
  try {
    if (ownsFile) await writeConnectionFile(connectionFile, server.connection);
    await writeMeta(paths.runtimeDir, meta);
    await server.kernel.ready();
  } catch (e) {
    await cleanup();
    throw e;
  }

  // Signals.
  const onInt = () => {
    log.info("SIGINT: interrupting the running cell");
    server.kernel.interrupt();
  };
  const onTerm = () => {
    log.info("SIGTERM: shutting down");
    stop(0);
  };
  // What applies to a running kernel applies now: the time limit from the next execution,
  // the idle timeout; the engine's other settings with the next restart (kernel.ts
  // reconfigure). Ports, address and transport stay until the kernel is started again.
  const onHup = async () => {
    try {
      const loaded = await reload();
      config = loaded.config;
      idle = opts.idleTimeoutS ?? config.kernel.idle_timeout_s;
      server.kernel.reconfigure(kernelEngineOptions(config));
      log.info(`SIGHUP: configuration reloaded from ${loaded.source ?? "defaults"}`);
      log.info(
        `SIGHUP: timeout_ms ${config.engines.lua.timeout_ms} applies from the next cell; ` +
          "security_level, allowed_paths and max_memory_bytes from the next restart",
      );
    } catch (e) {
      log.warn(`SIGHUP: configuration not reloaded: ${e instanceof Error ? e.message : e}`);
    }
  };
  const signals: [Deno.Signal, () => void][] = [["SIGINT", onInt], ["SIGTERM", onTerm]];
  if (Deno.build.os !== "windows") signals.push(["SIGHUP", onHup]);
  for (const [s, f] of signals) Deno.addSignalListener(s, f);

  // Idle timeout: no request for that long (checked every second).
  let idle = opts.idleTimeoutS ?? config.kernel.idle_timeout_s;
  const idleTimer = setInterval(() => {
    if (idle > 0 && server.idleSeconds() >= idle && server.kernel.stats().state === "idle") {
      log.info(`idle for ${idle} s: shutting down`);
      stop(0);
    }
  }, 1000);

  log.info(`kernel ${id} serving on ${meta.endpoint} (connection file ${connectionFile})`);
  opts.onReady?.(id, connectionFile, server.connection);
  const code = await stopped;
  clearInterval(idleTimer);
  for (const [s, f] of signals) Deno.removeSignalListener(s, f);
  await cleanup();
  log.info(`kernel ${id} stopped`);
  log.close();
  return code;
}

function idFromFile(file: string): string {
  const m = /kernel-([^/]+)\.json$/.exec(file);
  return m ? m[1] : newKernelId();
}
