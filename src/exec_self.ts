/**
 * Replacing this process with a fresh start of the same command line (execve through FFI),
 * with variables added to its environment. The kernel uses it against a wedged engine
 * (src/kernel/reexec.ts), the CLI to turn on Deno's OpenTelemetry, which reads its
 * variables only when the process starts (src/telemetry/tracing.ts).
 */

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
      throw new Error(`cannot replace the process on ${Deno.build.os}`);
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
 * Replaces this process (same pid, stdio, working directory) with a fresh start of its own
 * command line, `env` added to its environment. Returns only if that failed (it throws then).
 */
export function execSelf(env: Record<string, string>): never {
  const lib = Deno.dlopen(libcPath(), {
    execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  });
  const all = { ...Deno.env.toObject(), ...env };
  const keep: Uint8Array[] = [];
  const argv = cStrings(commandLine(), keep);
  const envp = cStrings(Object.entries(all).map(([k, v]) => `${k}=${v}`), keep);
  const path = enc.encode(Deno.execPath() + "\0");
  lib.symbols.execve(path, argv, envp);
  lib.close();
  throw new Error("execve failed: the process could not be replaced");
}
