/**
 * Discovery of running kernels: each kernel started by `llmspell kernel start` leaves, in
 * the runtime directory, its connection file `kernel-ID.json` and `kernel-ID.meta.json`
 * (pid, log file, start time). A kernel whose process is gone is dead; its files can be
 * removed.
 */
import { basename, join } from "../path.ts";
import { LlmspellError } from "../errors.ts";
import { type ConnectionInfo, readConnectionFile } from "../protocol/jupyter/connection.ts";

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

/** A short random kernel id. */
export function newKernelId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8);
}

export async function writeMeta(runtimeDir: string, meta: KernelMeta): Promise<void> {
  await Deno.mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  const p = metaPath(runtimeDir, meta.id);
  const tmp = `${p}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(meta, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(tmp, p);
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
    return state !== "Z" && cmdline.includes("kernel");
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

/** Removes a kernel's files (the connection file only if the kernel wrote it). */
export async function removeKernelFiles(runtimeDir: string, meta: KernelMeta): Promise<void> {
  const files = [metaPath(runtimeDir, meta.id)];
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
 * files in the runtime directory).
 */
export async function resolveAddress(
  runtimeDir: string,
  addr: string,
  cwd: string,
): Promise<{ info: ConnectionInfo; file: string }> {
  const asPath = addr.startsWith("/") ? addr : join(cwd, addr);
  if (addr.endsWith(".json") || (await Deno.stat(asPath).then((s) => s.isFile, () => false))) {
    return { info: await readConnectionFile(asPath), file: asPath };
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
        if (sameHost && info.shell_port === Number(port)) return { info, file: k.connection_file };
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
  return { info: await readConnectionFile(k.connection_file), file: k.connection_file };
}

export function idFromConnectionFile(file: string): string | undefined {
  return /^kernel-(.+)\.json$/.exec(basename(file))?.[1];
}
