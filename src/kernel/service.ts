/**
 * A kernel process (`llmspell kernel start`): binds the ZMTP transport, writes the
 * connection and meta files, serves until shutdown_request, SIGTERM or the idle timeout,
 * then removes its files. SIGINT interrupts the running cell; SIGHUP reloads the config.
 */
import { type Config, loadConfig, resolvePaths } from "../config/mod.ts";
import type { EngineOptions } from "../engine/shared/protocol.ts";
import { LlmspellError } from "../errors.ts";
import { newKey } from "../protocol/jupyter/sign.ts";
import type { SqliteStore } from "../store/mod.ts";
import { enabled, type Logger, type TraceLevel } from "../telemetry/log.ts";
import {
  CHANNELS,
  type ConnectionInfo,
  connectionWarnings,
  endpointOf,
  isLoopback,
  readConnectionFile,
  writeBackPorts,
  writeConnectionFile,
} from "../protocol/jupyter/connection.ts";
import { History } from "./history.ts";
import {
  claimableId,
  connectionPath,
  type KernelMeta,
  newKernelId,
  removeKernelFiles,
  requestsPath,
  staleNotice,
  writeMeta,
} from "./registry.ts";
import {
  reexec,
  type ResumeState,
  takeRequests,
  takeResumeState,
  writeRequests,
} from "./reexec.ts";
import { KernelServer } from "./server.ts";

/** How long a new image waits for its clients to come back (subscribers, held requests' clients). */
const RESUME_WAIT_MS = 6000;

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
  /** A supplied connection file may have an empty key (no signing). */
  insecure?: boolean;
  /**
   * What the user must read on the terminal (a non-loopback address, no signing, the files
   * of a dead kernel with this id removed); also written to the log file, if any.
   */
  onNotice?: (message: string) => void;
  /** Called once the kernel serves, with its id and connection file. */
  onReady?: (id: string, connectionFile: string, info: ConnectionInfo) => void;
}

type FileLogger = Logger & { close(): void };

/** A logger to a file (daemon) or stderr, honouring --trace. */
export function kernelLogger(file?: string): FileLogger {
  const enc = new TextEncoder();
  let fd: Deno.FsFile | undefined;
  if (file) fd = Deno.openSync(file, { append: true, create: true, mode: 0o600 });
  const line = (level: Exclude<TraceLevel, "off">, msg: string) => {
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
    error: (m) => line("error", m),
    trace: (m) => line("trace", m),
    close: () => fd?.close(),
  };
}

/** Runs a kernel until it is shut down; returns the exit code. */
export async function runKernelService(opts: ServiceOptions): Promise<number> {
  // This process image replaces a wedged one (reexec.ts): same id, files, ports and log.
  const resumed = takeResumeState();
  const log = kernelLogger(resumed ? resumed.logFile ?? undefined : opts.logFile);
  try {
    return await serve(opts, log, resumed);
  } catch (e) {
    // A daemon's terminal is not ours: `kernel start --daemon` shows these lines of its log.
    if (opts.logFile) logFailure(log, e);
    throw e;
  } finally {
    log.close();
  }
}

/** Why a kernel did not start, as `[error]` lines (the last one `hint: …`). */
function logFailure(log: FileLogger, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  for (const line of message.split("\n")) log.error(line);
  if (e instanceof LlmspellError && e.hint) log.error(`hint: ${e.hint}`);
}

async function serve(
  opts: ServiceOptions,
  log: FileLogger,
  resumed: ResumeState | undefined,
): Promise<number> {
  const paths = resolvePaths(opts.env, opts.cwd);
  const logFile = resumed ? resumed.logFile ?? undefined : opts.logFile;
  let config = opts.config;
  const notice = (m: string) => {
    opts.onNotice?.(m);
    // Without a log file the log is the terminal, which has it already.
    if (opts.logFile) log.warn(m);
  };

  // Launched by Jupyter: its connection file decides ports, key and address.
  let info: ConnectionInfo | undefined;
  let ownsFile = true;
  if (resumed) {
    info = await readConnectionFile(resumed.connectionFile);
    ownsFile = resumed.ownsConnectionFile;
    log.info(`kernel ${resumed.id} restarted in a new process image: ${resumed.reason}`);
  } else if (opts.connectionFile) {
    const exists = await Deno.stat(opts.connectionFile).then(() => true, () => false);
    if (exists) {
      info = await readConnectionFile(opts.connectionFile);
      ownsFile = false;
      if (info.key === "" && !opts.insecure) {
        throw new LlmspellError({
          code: "connection_file_insecure",
          message: `${opts.connectionFile} has an empty key: messages would not be signed`,
          hint: "put a random key in the file, or pass --insecure to run without signing",
        });
      }
    }
  }
  const id = resumed?.id ?? opts.id ??
    (opts.connectionFile && !ownsFile ? idFromFile(opts.connectionFile) : newKernelId());
  // Another kernel with this id would lose its files to this one (and be orphaned). A new
  // image of this process holds the id already.
  const stale = resumed ? undefined : await claimableId(paths.runtimeDir, id);
  if (stale) notice(staleNotice(id, stale.pid));
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
  for (const w of connectionWarnings(info)) notice(w);
  if (info.transport === "ipc") {
    await Deno.mkdir(paths.runtimeDir, { recursive: true, mode: 0o700 });
  }

  // The store (node:sqlite) opens at the first execution or history request: loading
  // Node.js compatibility, which every client would otherwise wait for at every kernel start
  // (kernel_options.ts `openHistory`; docs/decisions/0001-no-node-modules-on-start-up.md).
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
    // debug_request (a DAP client attached to this kernel) needs the engine's debugger,
    // which costs nothing until a client sets a breakpoint or pauses.
    debug: c.debug.enabled,
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
    limits: {
      heartbeatIntervalMs: config.kernel.heartbeat_interval_ms,
      maxConnections: config.kernel.max_connections,
      maxMessageBytes: config.kernel.max_message_bytes,
      maxUnauthenticatedBytes: config.kernel.max_unauthenticated_bytes,
    },
    logger: log,
    onShutdown: () => stop(0),
    interruptGraceMs: config.kernel.interrupt_grace_ms,
    startedAt: resumed ? new Date(resumed.startedAt) : undefined,
    onWedged: async (reason) => {
      // The worker cannot be stopped: a new image of this process (same pid) takes over,
      // and answers the requests this one read and did not answer.
      const state: ResumeState = {
        id,
        connectionFile,
        ownsConnectionFile: ownsFile,
        logFile: logFile ?? null,
        startedAt: meta.started_at,
        subscribers: server.subscribers,
        reason,
      };
      const held = await server.handOver(1000);
      if (held.length > 0) {
        const file = requestsPath(paths.runtimeDir, id);
        try {
          await writeRequests(file, held);
          state.requests = file;
        } catch (e) {
          log.warn(`kernel: ${held.length} request(s) lost: ${e instanceof Error ? e.message : e}`);
        }
      }
      try {
        store?.close();
      } catch {
        // Closing is best effort.
      }
      log.close();
      reexec(state);
    },
  });
  const connectionFile = resumed?.connectionFile ?? opts.connectionFile ??
    connectionPath(paths.runtimeDir, id);
  const meta: KernelMeta = {
    id,
    pid: Deno.pid,
    connection_file: connectionFile,
    owns_connection_file: ownsFile,
    log_file: logFile ?? null,
    started_at: resumed?.startedAt ?? new Date().toISOString(),
    endpoint: endpointOf(server.connection, "shell"),
  };
  // The files are this kernel's only once its meta file is written.
  let claimed = false;
  const cleanup = async () => {
    await server.close().catch(() => {});
    if (claimed) await removeKernelFiles(paths.runtimeDir, meta);
    await history;
    try {
      store?.close();
    } catch {
      // Closing is best effort.
    }
  };
  try {
    // The meta file first, exclusively: it claims the id (registry.ts writeMeta); a new
    // image of this process rewrites its own.
    await writeMeta(paths.runtimeDir, meta, { exclusive: !resumed });
    claimed = true;
    if (ownsFile) await writeConnectionFile(connectionFile, server.connection);
    else if (CHANNELS.some((ch) => info[`${ch}_port`] === 0)) {
      await writeBackPorts(connectionFile, server.connection);
    }
    // The clients' SUB sockets reconnect by themselves (libzmq: every 100 ms; ours back off
    // up to 5 s): wait, so that they see this image's "starting" and the held cells' output.
    if (resumed) await server.waitForSubscribers(resumed.subscribers, RESUME_WAIT_MS);
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
  // What the previous image read and did not answer (reexec.ts), once its clients are back:
  // waiting longer than our clients' reconnect backoff at its longest (5 s between attempts,
  // src/protocol/zmtp/socket.ts), so that one whose attempt just missed this image's start is
  // still answered (libzmq's clients retry every 100 ms).
  if (resumed?.requests) {
    takeRequests(resumed.requests).then(
      (held) => server.resume(held, RESUME_WAIT_MS),
      (e) => log.warn(`kernel: the previous image's requests are lost: ${e}`),
    );
  }
  // A new image's stdout may be gone (a test or front end stopped reading it).
  if (!resumed) opts.onReady?.(id, connectionFile, server.connection);
  const code = await stopped;
  clearInterval(idleTimer);
  for (const [s, f] of signals) Deno.removeSignalListener(s, f);
  await cleanup();
  log.info(`kernel ${id} stopped`);
  return code;
}

function idFromFile(file: string): string {
  const m = /kernel-([^/]+)\.json$/.exec(file);
  return m ? m[1] : newKernelId();
}
