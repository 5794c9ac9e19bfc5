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
 * See docs/decisions/0021-kernel-replaces-its-process.md.
 */
import { execSelf } from "../exec_self.ts";

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
