/**
 * Discovery of running kernels: each kernel started by `llmspell kernel start` leaves, in
 * the runtime directory, its connection file `kernel-ID.json` and `kernel-ID.meta.json`
 * (pid, log file, start time). A kernel whose process is gone is dead; its files can be
 * removed.
 */
import { basename, join } from "../path.ts";
import { LlmspellError } from "../errors.ts";
import {
  CHANNELS,
  type ConnectionInfo,
  readConnectionFile,
} from "../protocol/jupyter/connection.ts";

export interface KernelMeta {
  id: string;
  pid: number;
  connection_file: string;
  /** True when the kernel wrote the connection file (and removes it on exit). */
  owns_connection_file: boolean;
  log_file: string | null;
  started_at: string;
  /** The shell endpoint, for display. */
  endpoint: string;
}

export function connectionPath(runtimeDir: string, id: string): string {
  return join(runtimeDir, `kernel-${id}.json`);
}

export function metaPath(runtimeDir: string, id: string): string {
  return join(runtimeDir, `kernel-${id}.meta.json`);
}

/**
 * The requests a kernel image that is being replaced hands to the next one (reexec.ts): it
 * lives only between the two, unless the process dies in between.
 */
export function requestsPath(runtimeDir: string, id: string): string {
  return join(runtimeDir, `kernel-${id}.requests`);
}

/** A short random kernel id. */
export function newKernelId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8);
}

/**
 * Writes a kernel's meta file atomically. `exclusive` (a kernel claiming its id): fails with
 * `kernel_id_in_use` when the file exists, so that of two kernels started at once with one
 * id, the second stops before it touches the first one's connection file.
 */
export async function writeMeta(
  runtimeDir: string,
  meta: KernelMeta,
  opts: { exclusive?: boolean } = {},
): Promise<void> {
  await Deno.mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  const p = metaPath(runtimeDir, meta.id);
  const tmp = `${p}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(meta, null, 2) + "\n", { mode: 0o600 });
  if (!opts.exclusive) {
    await Deno.rename(tmp, p);
    return;
  }
  try {
    // link() creates the name only if it is free: the claim and the content are atomic.
    await Deno.link(tmp, p);
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    const holder = await readMeta(runtimeDir, meta.id);
    // This process wrote it before it replaced its own image (execve, same pid): still ours.
    if (holder?.pid !== Deno.pid) throw idInUse(meta.id, holder?.pid);
    await Deno.rename(tmp, p);
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** The meta file of kernel `id`, or undefined (absent or unreadable). */
export async function readMeta(runtimeDir: string, id: string): Promise<KernelMeta | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(metaPath(runtimeDir, id))) as KernelMeta;
  } catch {
    return undefined;
  }
}

function idInUse(id: string, pid: number | undefined): LlmspellError {
  return new LlmspellError({
    code: "kernel_id_in_use",
    message: `kernel id ${id} is in use by a running kernel${pid ? ` (pid ${pid})` : ""}`,
    hint: `stop it first (llmspell kernel stop ${id}), or choose another --id`,
  });
}

/** What a kernel start says after removing the files of a dead kernel with its id. */
export function staleNotice(id: string, pid: number | undefined): string {
  return `removed the files of kernel ${id}${
    pid ? ` (pid ${pid})` : ""
  }, which is no longer running`;
}

/**
 * Before a kernel takes `id`: throws `kernel_id_in_use` (touching nothing) when a running
 * kernel has it; removes the files of a dead one and returns what is known of it (its pid),
 * so that the caller can say so; undefined when the id was free.
 */
export async function claimableId(
  runtimeDir: string,
  id: string,
): Promise<{ pid?: number } | undefined> {
  const exists = await Deno.stat(metaPath(runtimeDir, id)).then(() => true, () => false);
  if (!exists) return undefined;
  const meta = await readMeta(runtimeDir, id);
  // This very process in a new image (execve keeps the pid): the id and files are its own.
  if (meta?.pid === Deno.pid) return undefined;
  if (meta && isAlive(meta)) throw idInUse(id, meta.pid);
  if (meta) await removeKernelFiles(runtimeDir, meta);
  // Unreadable (not ours, or damaged): it holds no kernel, but would block the claim.
  else await Deno.remove(metaPath(runtimeDir, id)).catch(() => {});
  return { pid: meta?.pid };
}

/** Every kernel that left a meta file, alive or not. */
export async function listKernels(runtimeDir: string): Promise<KernelMeta[]> {
  const out: KernelMeta[] = [];
  try {
    for await (const e of Deno.readDir(runtimeDir)) {
      const m = /^kernel-(.+)\.meta\.json$/.exec(e.name);
      if (!m) continue;
      try {
        out.push(JSON.parse(await Deno.readTextFile(join(runtimeDir, e.name))) as KernelMeta);
      } catch {
        // Half-written or foreign: skip.
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => a.started_at.localeCompare(b.started_at));
}

/** Whether the kernel's process still runs (Linux: /proc, checked against its id). */
export function isAlive(meta: KernelMeta): boolean {
  try {
    const cmdline = Deno.readTextFileSync(`/proc/${meta.pid}/cmdline`);
    const stat = Deno.readTextFileSync(`/proc/${meta.pid}/stat`);
    // A zombie (Z) has exited.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    // An empty command line: the kernel replacing its process image (execve) right now.
    return state !== "Z" && (cmdline === "" || cmdline.includes("kernel"));
  } catch {
    if (Deno.build.os === "linux") return false;
  }
  try {
    Deno.kill(meta.pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes a dead (or stopping) kernel's files: its meta file, requests its image left for
 * the next one, its connection file if it wrote it, and with the ipc transport its five socket files, which a killed kernel leaves.
 */
export async function removeKernelFiles(runtimeDir: string, meta: KernelMeta): Promise<void> {
  const files = [metaPath(runtimeDir, meta.id), requestsPath(runtimeDir, meta.id)];
  const info = meta.connection_file
    ? await readConnectionFile(meta.connection_file).catch(() => undefined)
    : undefined;
  if (info?.transport === "ipc") {
    for (const ch of CHANNELS) {
      const sock = `${info.ip}-${info[`${ch}_port`]}`;
      // Only sockets: the path comes from a file a user may have written.
      const isSocket = await Deno.lstat(sock).then((s) => s.isSocket, () => false);
      if (isSocket) files.push(sock);
    }
  }
  if (meta.owns_connection_file) files.push(meta.connection_file);
  for (const f of files) await Deno.remove(f).catch(() => {});
}

/** Finds a kernel by id (or unique id prefix). */
export async function findKernel(runtimeDir: string, id: string): Promise<KernelMeta> {
  const all = await listKernels(runtimeDir);
  const exact = all.find((k) => k.id === id);
  if (exact) return exact;
  const prefixed = all.filter((k) => k.id.startsWith(id));
  if (prefixed.length === 1) return prefixed[0];
  throw new LlmspellError({
    code: "kernel_not_found",
    message: prefixed.length > 1
      ? `kernel id ${id} is ambiguous (${prefixed.map((k) => k.id).join(", ")})`
      : `no kernel with id ${id}`,
    hint: "list kernels with `llmspell kernel status`",
  });
}

/**
 * Resolves a --connect address: a kernel id, a connection file, or host:port /
 * tcp://host:port of a running kernel's shell channel (matched against the connection
 * files in the runtime directory). `meta`: the kernel's meta file when it was started on
 * this machine by this user (its pid tells whether it runs).
 */
export async function resolveAddress(
  runtimeDir: string,
  addr: string,
  cwd: string,
): Promise<{ info: ConnectionInfo; file: string; meta?: KernelMeta }> {
  const asPath = addr.startsWith("/") ? addr : join(cwd, addr);
  if (addr.endsWith(".json") || (await Deno.stat(asPath).then((s) => s.isFile, () => false))) {
    const meta = (await listKernels(runtimeDir)).find((k) => k.connection_file === asPath);
    return { info: await readConnectionFile(asPath), file: asPath, meta };
  }
  const hp = /^(?:tcp:\/\/)?\[?([^\]]*?)\]?:(\d+)$/.exec(addr);
  if (hp) {
    const [, host, port] = hp;
    for (const k of await listKernels(runtimeDir)) {
      if (!isAlive(k)) continue;
      try {
        const info = await readConnectionFile(k.connection_file);
        const sameHost = host === info.ip || (host === "localhost" && info.ip === "127.0.0.1") ||
          info.ip === "0.0.0.0";
        if (sameHost && info.shell_port === Number(port)) {
          return { info, file: k.connection_file, meta: k };
        }
      } catch {
        // Skip unreadable files.
      }
    }
    throw new LlmspellError({
      code: "kernel_not_found",
      message: `no running kernel of this user listens on ${addr}`,
      hint: "a remote kernel needs its connection file (it holds the key): --connect FILE",
    });
  }
  const k = await findKernel(runtimeDir, addr);
  return { info: await readConnectionFile(k.connection_file), file: k.connection_file, meta: k };
}

export function idFromConnectionFile(file: string): string | undefined {
  return /^kernel-(.+)\.json$/.exec(basename(file))?.[1];
}
