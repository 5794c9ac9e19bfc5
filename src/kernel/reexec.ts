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

/** This process's command line, as it was started. */
function commandLine(): string[] {
  try {
    const args = Deno.readTextFileSync("/proc/self/cmdline").split("\0");
    if (args[args.length - 1] === "") args.pop();
    if (args.length > 0) return args;
  } catch {
    // Not Linux: rebuilt below.
  }
  return [Deno.execPath(), ...Deno.args];
}

function libcPath(): string {
  switch (Deno.build.os) {
    case "linux":
      return "libc.so.6";
    case "darwin":
      return "/usr/lib/libSystem.B.dylib";
    default:
      throw new Error(`cannot replace the kernel process on ${Deno.build.os}`);
  }
}

const enc = new TextEncoder();

/** A NULL-terminated array of C strings (the buffers are kept alive in `keep`). */
function cStrings(items: string[], keep: Uint8Array[]): BigUint64Array<ArrayBuffer> {
  const arr = new BigUint64Array(items.length + 1);
  items.forEach((s, i) => {
    const b = enc.encode(s + "\0");
    keep.push(b);
    arr[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
  });
  return arr;
}

/**
 * Replaces this process with a fresh start of the same command line, `state` in its
 * environment. Returns only if that failed (it throws then).
 */
export function reexec(state: ResumeState): never {
  const lib = Deno.dlopen(libcPath(), {
    execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  });
  const env = { ...Deno.env.toObject(), [RESUME_ENV]: JSON.stringify(state) };
  const keep: Uint8Array[] = [];
  const argv = cStrings(commandLine(), keep);
  const envp = cStrings(Object.entries(env).map(([k, v]) => `${k}=${v}`), keep);
  const path = enc.encode(Deno.execPath() + "\0");
  lib.symbols.execve(path, argv, envp);
  lib.close();
  throw new Error("execve failed: the kernel process could not be replaced");
}
