/**
 * Jupyter kernelspecs: `kernels/NAME/kernel.json` under a Jupyter data directory, so that
 * Jupyter starts `llmspell kernel start --connection-file {connection_file}`.
 */
import { basename, join } from "../path.ts";
import { LlmspellError } from "../errors.ts";
import { V8_FLAGS_ARG } from "../engine/host/v8_flags.ts";
import { DEBUGGER } from "./debugger_info.ts";

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "message" | "signal";
  metadata: Record<string, unknown>;
  env?: Record<string, string>;
}

/** The command that runs this llmspell: the executable, or deno running main.ts or the bundle. */
export function selfCommand(): string[] {
  const exe = Deno.execPath();
  const name = basename(exe);
  if (name === "deno" || name === "deno.exe") {
    const main = new URL(Deno.mainModule);
    if (main.protocol !== "file:") {
      throw new LlmspellError({
        code: "kernelspec_launcher",
        message: `cannot tell how to start llmspell (main module ${Deno.mainModule})`,
        hint: "install the compiled llmspell executable and run its `kernel install`",
      });
    }
    // The bundle (scripts/build.ts) needs no configuration, and must not pick up one from
    // wherever Jupyter starts it; the sources need the project's import map.
    const bundled = main.pathname.endsWith(".js");
    return [
      exe,
      "run",
      "-A",
      "--quiet",
      V8_FLAGS_ARG,
      ...(bundled ? ["--no-config"] : []),
      main.pathname,
    ];
  }
  return [exe];
}

export function kernelSpec(displayName: string): KernelSpec {
  return {
    argv: [...selfCommand(), "kernel", "start", "--connection-file", "{connection_file}"],
    display_name: displayName,
    language: "lua",
    interrupt_mode: "message",
    metadata: { debugger: DEBUGGER },
  };
}

/** The user's Jupyter data directory (JUPYTER_DATA_DIR, else the platform default). */
export function userJupyterDir(env: Record<string, string | undefined>): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  const home = env.HOME ?? env.USERPROFILE;
  if (!home) {
    throw new LlmspellError({
      code: "no_home",
      message: "cannot find the Jupyter data directory: HOME is not set",
      hint: "set JUPYTER_DATA_DIR, or use --prefix",
    });
  }
  if (Deno.build.os === "darwin") return join(home, "Library", "Jupyter");
  if (Deno.build.os === "windows") return join(env.APPDATA ?? home, "jupyter");
  return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "jupyter");
}

export function specDir(
  base: { user: true } | { prefix: string },
  name: string,
  env: Record<string, string | undefined>,
): string {
  const root = "prefix" in base ? join(base.prefix, "share", "jupyter") : userJupyterDir(env);
  return join(root, "kernels", name);
}

export function checkSpecName(name: string): void {
  if (!/^[a-z0-9._-]+$/i.test(name)) {
    throw new LlmspellError({
      code: "usage",
      message: `invalid kernel name ${JSON.stringify(name)}`,
      hint: "use letters, digits, '.', '_' and '-' only",
      exitCode: 2,
    });
  }
}

export async function installSpec(dir: string, spec: KernelSpec): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, "kernel.json");
  await Deno.writeTextFile(file, JSON.stringify(spec, null, 2) + "\n");
  return file;
}

export async function uninstallSpec(dir: string): Promise<boolean> {
  try {
    await Deno.remove(dir, { recursive: true });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
