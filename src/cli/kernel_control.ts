/**
 * Driving kernels from the command line: starting a daemon (a detached `kernel start` that
 * answers before the command returns), stopping one (shutdown_request, then SIGTERM, then
 * SIGKILL), restarting it, and asking for its usage. kernel_cmd.ts only declares the commands.
 */
import * as path from "../path.ts";
import { resolvePaths } from "../config/mod.ts";
import { LlmspellError } from "../errors.ts";
import {
  CHANNELS,
  type ConnectionInfo,
  connectionWarnings,
  readConnectionFile,
} from "../protocol/jupyter/connection.ts";
import { selfCommand } from "../kernel/kernelspec.ts";
import {
  claimableId,
  isAlive,
  type KernelMeta,
  newKernelId,
  readMeta,
  removeKernelFiles,
  staleNotice,
} from "../kernel/registry.ts";
import type { CliContext } from "./context.ts";
import { writeErr } from "../frontend/output.ts";
import { printData } from "../frontend/print.ts";

export interface StartOpts {
  ip?: string;
  port?: number;
  transport?: "tcp" | "ipc";
  connectionFile?: string;
  id?: string;
  logFile?: string;
  idleTimeout?: number;
  daemon?: boolean;
  insecure?: boolean;
}

// Each subcommand loads what it needs: `kernel start` is on a kernel's start-up path, which
// Jupyter front ends wait for (docs/decisions/0001-no-node-modules-on-start-up.md).
async function connectTo(connectionFile: string, timeoutMs?: number) {
  const { KernelClient } = await import("../client/client.ts");
  return KernelClient.connect(await readConnectionFile(connectionFile), timeoutMs);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `[error]` lines a kernel logged after `offset` (service.ts logFailure), as an error. */
async function startFailure(
  logFile: string,
  offset: number,
  code: number,
): Promise<LlmspellError> {
  const text = await Deno.readFile(logFile).then(
    (b) => new TextDecoder().decode(b.subarray(offset)),
    () => "",
  );
  const lines = text.split("\n").map((l) => /^\S+ \[error\] (.*)$/.exec(l)?.[1])
    .filter((l) => l !== undefined);
  const hint = lines.find((l) => l.startsWith("hint: "))?.slice(6);
  const reason = lines.filter((l) => !l.startsWith("hint: ")).join("\n");
  return new LlmspellError({
    code: "kernel_start_failed",
    message: reason
      ? `the kernel did not start: ${reason}`
      : `the kernel exited with code ${code} before it was ready`,
    hint: `${hint ? `${hint}; ` : ""}its log: ${logFile}`,
  });
}

/** `kernel start --daemon`: starts a detached kernel and returns once it answers. */
export async function startDaemon(ctx: CliContext, opts: StartOpts): Promise<void> {
  const paths = resolvePaths(ctx.env, ctx.cwd);
  const id = opts.id ?? newKernelId();
  // Refused here, before anything is spawned or written, when the id is taken.
  const stale = await claimableId(paths.runtimeDir, id);
  if (stale) writeErr(`${staleNotice(id, stale.pid)}\n`);
  await Deno.mkdir(paths.logDir, { recursive: true, mode: 0o700 });
  const logFile = opts.logFile
    ? path.resolve(ctx.cwd, opts.logFile)
    : path.join(paths.logDir, `kernel-${id}.log`);
  // The kernel appends: what it logs from here on is this start's.
  const logOffset = await Deno.stat(logFile).then((s) => s.size, () => 0);
  const args = ["kernel", "start", "--id", id, "--log-file", logFile, "--trace", ctx.trace];
  if (opts.ip) args.push("--ip", opts.ip);
  if (opts.port) args.push("--port", String(opts.port));
  if (opts.transport) args.push("--transport", opts.transport);
  if (opts.connectionFile) {
    args.push("--connection-file", path.resolve(ctx.cwd, opts.connectionFile));
  }
  if (opts.insecure) args.push("--insecure");
  if (opts.idleTimeout !== undefined) args.push("--idle-timeout", String(opts.idleTimeout));
  if (ctx.config) args.push("--config", path.resolve(ctx.cwd, ctx.config));
  const [exe, ...pre] = selfCommand();
  const child = new Deno.Command(exe, {
    args: [...pre, ...args, "--output", "json"],
    cwd: ctx.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => (exited = s));
  // Wait (bounded) for its meta and connection files, then for a kernel_info reply.
  const deadline = Date.now() + 30_000;
  let meta: KernelMeta | undefined;
  let info: ConnectionInfo | undefined;
  while (!info && Date.now() < deadline && !exited) {
    meta = await readMeta(paths.runtimeDir, id);
    // Ours, not a kernel that took the id meanwhile (then ours exits and says so).
    if (meta?.pid !== child.pid) meta = undefined;
    info = meta && await readConnectionFile(meta.connection_file).catch(() => undefined);
    // A supplied file asking for ports 0 is ready once the kernel wrote the bound ports back.
    if (info && info.transport === "tcp" && CHANNELS.some((ch) => info![`${ch}_port`] === 0)) {
      info = undefined;
    }
    if (!info) await delay(50);
  }
  if (exited && !info) throw await startFailure(logFile, logOffset, exited.code);
  if (!meta || !info) {
    throw new LlmspellError({
      code: "kernel_start_failed",
      message: "the kernel was not ready within 30 s",
      hint: `see its log: ${logFile}`,
    });
  }
  const client = await connectTo(meta.connection_file, 30_000);
  await client.close();
  // Its warnings went to its log; the user is here.
  for (const w of connectionWarnings(info)) writeErr(`warning: ${w}\n`);
  const m = meta;
  printData(
    ctx,
    { id, pid: m.pid, connection_file: m.connection_file, log_file: logFile, endpoint: m.endpoint },
    () => `kernel ${id} started (pid ${m.pid})\nconnection file: ${m.connection_file}`,
  );
}

/** Asks a kernel for its usage figures (null when it does not answer). */
export async function usage(
  meta: KernelMeta,
  timeoutMs = 3000,
): Promise<Record<string, unknown> | null> {
  try {
    const client = await connectTo(meta.connection_file, timeoutMs);
    try {
      const r = await client.request("control", "usage_request", {}, timeoutMs);
      return (r.content.llmspell ?? null) as Record<string, unknown> | null;
    } finally {
      await client.close();
    }
  } catch {
    return null;
  }
}

async function waitDead(meta: KernelMeta, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(meta)) return true;
    await delay(50);
  }
  return !isAlive(meta);
}

/** shutdown_request, then SIGTERM, then SIGKILL; files removed. Returns how it ended. */
export async function stopKernel(
  runtimeDir: string,
  meta: KernelMeta,
  force: boolean,
  timeoutS: number,
): Promise<string> {
  let how = "dead";
  if (isAlive(meta)) {
    how = "";
    if (!force) {
      try {
        const client = await connectTo(meta.connection_file, 3000);
        try {
          await client.request("control", "shutdown_request", { restart: false }, 3000);
        } finally {
          await client.close();
        }
        if (await waitDead(meta, timeoutS * 1000)) how = "shutdown";
      } catch {
        // Not answering: escalate.
      }
      if (!how) {
        try {
          Deno.kill(meta.pid, "SIGTERM");
        } catch {
          // Gone meanwhile.
        }
        if (await waitDead(meta, timeoutS * 1000)) how = "SIGTERM";
      }
    }
    if (!how) {
      try {
        Deno.kill(meta.pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
      await waitDead(meta, 5000);
      how = "SIGKILL";
    }
  }
  await removeKernelFiles(runtimeDir, meta);
  return how;
}

/**
 * shutdown_request with restart, then waits until the kernel runs code again: a kernel
 * whose cell does not stop replaces its process (kernel.interrupt_grace_ms), which drops
 * this connection, so each probe goes on a new one.
 */
export async function restartKernel(meta: KernelMeta, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const failed = (why: string) =>
    new LlmspellError({
      code: "kernel_restart_failed",
      message: `kernel ${meta.id} ${why}`,
      hint: "see `llmspell kernel status`; `llmspell kernel stop` ends it",
    });
  try {
    await bounded(left(), async () => {
      const client = await connectTo(meta.connection_file, left());
      try {
        await client.request("control", "shutdown_request", { restart: true }, left());
      } finally {
        await client.close();
      }
    });
  } catch (e) {
    throw failed(`did not accept the restart: ${e instanceof Error ? e.message : e}`);
  }
  // An empty cell: it runs only once the fresh Lua state is ready (a restart holds cells).
  const probe = { code: "", silent: true, store_history: false, allow_stdin: false };
  while (Date.now() < deadline) {
    // Looked at twice: while its process image is being replaced (execve), /proc can show
    // it without its command line for a moment.
    if (!isAlive(meta)) {
      await delay(200);
      if (!isAlive(meta)) throw failed("exited during the restart");
    }
    try {
      const ok = await bounded(Math.min(left(), 5000), async () => {
        const client = await connectTo(meta.connection_file, left());
        try {
          const r = await client.request("shell", "execute_request", probe, left());
          return r.content.status === "ok";
        } finally {
          await client.close();
        }
      });
      if (ok) return;
    } catch {
      // Not answering yet (its process may be being replaced): try again.
    }
    await delay(Math.min(100, left()));
  }
  throw failed(`did not run code again within ${timeoutMs / 1000} s after the restart`);
}

/**
 * `f()`, or a timeout error after `ms`: a kernel that accepts connections but never
 * answers (stopped) must not hold the command longer than its --timeout.
 */
async function bounded<T>(ms: number, f: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.ceil(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([f(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
