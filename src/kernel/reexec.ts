/**
 * The kernel's last resort against a wedged engine (ARCHITECTURE.md §1): a worker spinning in
 * C code, or in Lua where hooks are off (a `__gc` metamethod), cannot be stopped in Deno
 * (`Worker.terminate()` does not stop a spinning worker). `execve` can: it replaces the
 * whole process image, every thread with it, and keeps what clients and tools know of the
 * kernel: the pid (the registry's meta file, Jupyter's process handle, a foreground
 * terminal's job), stdio (a daemon's log), the working directory and the environment.
 *
 * Every descriptor Deno opens is close-on-exec, so the old sockets are gone when the new
 * image starts, which binds the same ports again from the connection file. What the new
 * image needs to know comes in one environment variable (RESUME_ENV), which it removes at
 * once, so neither Lua (`os.getenv`) nor a child process sees it.
 *
 * Requests the old image read and did not answer go to the new one in a file (a cell can be
 * larger than an environment variable may be): see `writeRequests`.
 *
 * See docs/decisions/0021-kernel-replaces-its-process.md and 0028-requests-survive-a-wedge.md.
 */
import { execSelf } from "../exec_self.ts";
import type { Message } from "../protocol/jupyter/wire.ts";
import { clientKey, type ClientRequest } from "./request.ts";

/** What a kernel image hands to the next one. */
export interface ResumeState {
  id: string;
  connectionFile: string;
  /** The kernel wrote the connection file (and removes it when it stops). */
  ownsConnectionFile: boolean;
  logFile: string | null;
  /** The first image's start time: the kernel's uptime goes on. */
  startedAt: string;
  /** IOPub subscribers before the restart: the new image waits (bounded) for them. */
  subscribers: number;
  /** Why the kernel was replaced, for its log. */
  reason: string;
  /** The file of the requests the old image held for this one (`writeRequests`), if any. */
  requests?: string;
}

// Not LLMSPELL_*: those are configuration overrides.
export const RESUME_ENV = "_LLMSPELL_KERNEL_RESUME";

/** Takes (and removes from the environment) the state a previous image left, if any. */
export function takeResumeState(): ResumeState | undefined {
  const raw = Deno.env.get(RESUME_ENV);
  if (raw === undefined) return undefined;
  Deno.env.delete(RESUME_ENV);
  try {
    const s = JSON.parse(raw) as ResumeState;
    return typeof s.id === "string" && typeof s.connectionFile === "string" ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Replaces this process with a fresh start of the same command line, `state` in its
 * environment. Returns only if that failed (it throws then).
 */
export function reexec(state: ResumeState): never {
  return execSelf({ [RESUME_ENV]: JSON.stringify(state) });
}

/** A held request as the file keeps it: binary parts in base64. */
interface StoredRequest {
  channel: ClientRequest["channel"];
  identities: string[];
  message: Omit<Message, "buffers"> & { buffers: string[] };
}

/**
 * Writes the requests an image held (Kernel.takeHeld) to `file`, readable by this user only
 * (cells are code). They were checked (signature, replay) when they came; the new image
 * answers them as they are.
 */
export async function writeRequests(file: string, requests: ClientRequest[]): Promise<void> {
  const stored: StoredRequest[] = requests.map((r) => ({
    channel: r.channel,
    identities: r.identities.map((id) => id.toBase64()),
    message: { ...r.message, buffers: r.message.buffers.map((b) => b.toBase64()) },
  }));
  await Deno.writeTextFile(file, JSON.stringify(stored), { mode: 0o600 });
}

/** Reads and removes the file `writeRequests` wrote. */
export async function takeRequests(file: string): Promise<ClientRequest[]> {
  try {
    const stored = JSON.parse(await Deno.readTextFile(file)) as StoredRequest[];
    return stored.map((r) => {
      const identities = r.identities.map((id) => Uint8Array.fromBase64(id));
      const buffers = r.message.buffers.map((b) => Uint8Array.fromBase64(b));
      return {
        channel: r.channel,
        identities,
        message: { ...r.message, buffers },
        client: clientKey(identities),
      };
    });
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}
