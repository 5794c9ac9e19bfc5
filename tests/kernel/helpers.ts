/** Shared helpers of the kernel tests: a kernel process, python drivers, temp homes. */
import { cliCommand, tempDir } from "../helpers/cli.ts";

export const KERNEL_DIR = new URL("./", import.meta.url).pathname;
export const DRIVER = new URL("./driver.py", import.meta.url).pathname;

export interface RunningKernel {
  child: Deno.ChildProcess;
  home: string;
  id: string;
  connectionFile: string;
  /** stdout read so far. */
  out: string;
  /** Sends SIGTERM (once) and waits for the exit status. */
  stop(): Promise<Deno.CommandStatus>;
}

/** Starts `llmspell kernel start` in the foreground and waits for its ready line. */
export async function startKernel(
  args: string[] = [],
  opts: { home?: string; env?: Record<string, string>; denoArgs?: string[] } = {},
): Promise<RunningKernel> {
  const home = opts.home ?? await tempDir();
  const child = cliCommand(["kernel", "start", ...args], {
    cwd: home,
    env: { LLMSPELL_HOME: home, ...opts.env },
    denoArgs: opts.denoArgs,
  }).spawn();
  const reader = child.stdout.getReader();
  let out = "";
  try {
    const dec = new TextDecoder();
    while (!/connection file: .*\n/.test(out)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stdout ended: ${JSON.stringify(out)}`);
      out += dec.decode(value, { stream: true });
    }
  } catch (e) {
    const err = await new Response(child.stderr).text().catch(() => "");
    throw new Error(`kernel did not start: ${e}\n${err}`);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  const id = /kernel (\S+) ready/.exec(out)![1];
  const connectionFile = /connection file: (.+)\n/.exec(out)![1];
  let stopped: Promise<Deno.CommandStatus> | undefined;
  const stderr = new Response(child.stderr).text().catch(() => "");
  return {
    child,
    home,
    id,
    connectionFile,
    out,
    stop: () => {
      if (!stopped) {
        try {
          child.kill("SIGTERM");
        } catch {
          // Already gone.
        }
        stopped = child.status.then(async (s) => {
          await stderr;
          return s;
        });
      }
      return stopped;
    },
  };
}

export interface PyResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The JSON printed on the last stdout line, if any. */
  json: unknown;
}

/** Runs tests/kernel/driver.py, or another `script` (Debian's python3 with jupyter_client). */
export async function driver(
  args: string[],
  env: Record<string, string> = {},
  script: string = DRIVER,
): Promise<PyResult> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [script, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stdout = dec.decode(out.stdout);
  const lines = stdout.trim().split("\n");
  let json: unknown = undefined;
  try {
    json = JSON.parse(lines[lines.length - 1]);
  } catch {
    // Not JSON.
  }
  return { code: out.code, stdout, stderr: dec.decode(out.stderr), json };
}

/** Whether a process has exited (gone, or a zombie not yet reaped). */
export function gone(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

/** Polls `cond` every 25 ms until it holds or `ms` have passed; returns whether it held. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** The kernel meta files (pid, connection file) under an LLMSPELL_HOME's runtime dir. */
export async function kernelMetas(
  home: string,
): Promise<{ id: string; pid: number; connection_file: string }[]> {
  const dir = `${home}/run`;
  const out = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.endsWith(".meta.json")) continue;
      try {
        out.push(JSON.parse(await Deno.readTextFile(`${dir}/${e.name}`)));
      } catch {
        // Being written or removed.
      }
    }
  } catch {
    // No runtime dir yet.
  }
  return out;
}

/**
 * Ends the kernels this test started under `home` (cleanup in `finally`): SIGTERM, then
 * SIGKILL after 5 s. Only pids recorded in that home's meta files (or given), and only
 * while their command line is still a kernel's.
 */
export async function killKernels(home: string, pids: number[] = []): Promise<void> {
  const all = new Set([...pids, ...(await kernelMetas(home)).map((m) => m.pid)]);
  const ours = (pid: number) => {
    try {
      return !gone(pid) &&
        Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes("kernel\0start");
    } catch {
      return false;
    }
  };
  const live = [...all].filter(ours);
  for (const pid of live) {
    try {
      Deno.kill(pid, "SIGTERM");
    } catch {
      // Gone meanwhile.
    }
  }
  if (!(await until(() => live.every((p) => gone(p)), 5000))) {
    for (const pid of live.filter(ours)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
  }
}

/**
 * A private Jupyter environment under `dir` (data, config, runtime; no user files), with
 * llmspell's home at `home`.
 */
export function jupyterEnv(dir: string, home = `${dir}/home`): Record<string, string> {
  return {
    JUPYTER_DATA_DIR: `${dir}/jupyter/data`,
    JUPYTER_PATH: `${dir}/jupyter/data`,
    JUPYTER_CONFIG_DIR: `${dir}/jupyter/config`,
    JUPYTER_RUNTIME_DIR: `${dir}/jupyter/runtime`,
    IPYTHONDIR: `${dir}/ipython`,
    LLMSPELL_HOME: home,
    NO_COLOR: "1",
  };
}

/**
 * The cell JupyterLab's debugger flow is tested with, from jupyter_client and from
 * @jupyterlab/debugger alike: a breakpoint on `local y`, and a non-ASCII character so that
 * the hash of its dumped path covers UTF-8.
 */
export const JUPYTERLAB_CELL = [
  "local function f(x)",
  "  local y = x + 1",
  "  return y",
  "end",
  "result = f(20) -- ü, so that the hash covers UTF-8",
  "result",
].join("\n");
