/**
 * `llmspell dap`, `launch`: the program runs on an engine of this process (debug_program.ts),
 * with a debug session (debug/session/) whose one client is the DAP connection. The script's
 * stdout and stderr become output events as they are written; its end, `exited` and
 * `terminated`.
 */
import * as path from "../path.ts";
import { type Config, loadConfig } from "../config/mod.ts";
import type { Backend, Emit } from "../debug/session/adapter.ts";
import { DapError, DebugSession } from "../debug/session/session.ts";
import type { EngineOptions } from "../engine/shared/protocol.ts";
import { LaunchedProgram } from "./debug_program.ts";
import { engineOptions } from "./script.ts";
import { parseScriptArgs } from "../frontend/script_args.ts";
import { readScript } from "./script_file.ts";

const CLIENT = "dap";

interface LaunchArgs {
  program: string;
  args: string[];
  cwd: string;
  stopOnEntry: boolean;
  noDebug: boolean;
}

function stringList(v: unknown, name: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new DapError(`launch: ${name} must be a list of strings`);
  }
  return v as string[];
}

/** Reads and checks the launch arguments; sets `env` in this process (the engine's). */
async function readLaunch(
  raw: Record<string, unknown>,
  baseCwd: string,
): Promise<
  { launch: LaunchArgs; options: EngineOptions; code: string; abs: string; breakOnError: string }
> {
  if (typeof raw.program !== "string" || raw.program === "") {
    throw new DapError("launch: missing argument program (the Lua script to run)");
  }
  const cwd = typeof raw.cwd === "string" ? path.resolve(baseCwd, raw.cwd) : baseCwd;
  const env = raw.env ?? {};
  if (typeof env !== "object" || env === null) throw new DapError("launch: env must be an object");
  for (const [k, v] of Object.entries(env)) {
    if (v === null) Deno.env.delete(k);
    else Deno.env.set(k, String(v));
  }
  const configFile = typeof raw.config === "string" ? path.resolve(cwd, raw.config) : undefined;
  let config: Config;
  try {
    config = (await loadConfig({ file: configFile, cwd, env: Deno.env.toObject() })).config;
  } catch (e) {
    throw new DapError(`launch: ${e instanceof Error ? e.message : e}`);
  }
  const noDebug = raw.noDebug === true;
  if (!noDebug && !config.debug.enabled) {
    throw new DapError(
      "launch: debugging is disabled by the configuration (debug.enabled = false); " +
        'set it to true, or launch with "noDebug": true',
    );
  }
  const program = path.resolve(cwd, raw.program);
  let script: { code: string; path: string };
  try {
    script = await readScript(program);
  } catch (e) {
    throw new DapError(`launch: ${e instanceof Error ? e.message : e}`);
  }
  const options: EngineOptions = {
    ...engineOptions(config, cwd, path.dirname(script.path)),
    debug: !noDebug,
  };
  if (raw.securityLevel !== undefined) {
    if (raw.securityLevel !== "safe" && raw.securityLevel !== "unrestricted") {
      throw new DapError('launch: securityLevel must be "safe" or "unrestricted"');
    }
    options.securityLevel = raw.securityLevel;
  }
  return {
    launch: {
      program,
      args: stringList(raw.args, "args"),
      cwd,
      stopOnEntry: raw.stopOnEntry === true,
      noDebug,
    },
    options,
    code: script.code,
    abs: script.path,
    breakOnError: config.debug.break_on_error,
  };
}

export async function launchBackend(
  raw: Record<string, unknown>,
  emit: Emit,
  baseCwd: string,
): Promise<Backend> {
  const { launch, options, code, abs, breakOnError } = await readLaunch(raw, baseCwd);
  const session = new DebugSession();
  session.addClient(CLIENT, { event: emit });
  const source = { name: path.basename(abs), path: abs };
  let decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  let runs = 0;
  const program = new LaunchedProgram({
    session,
    options,
    program: { code, chunkName: "@" + abs, args: parseScriptArgs(launch.program, launch.args) },
    onStream: (name, data) => {
      const output = decoders[name].decode(data, { stream: true });
      if (output) emit("output", { category: name, output });
    },
    onEnd: ({ error, exit, terminated }) => {
      if (error && !terminated) {
        const tb = error.traceback.length
          ? `\nstack traceback:\n\t${error.traceback.join("\n\t")}`
          : "";
        emit("output", { category: "stderr", output: `${error.message}${tb}\n` });
      }
      emit("thread", { reason: "exited", threadId: 1 });
      emit("exited", { exitCode: exit ?? (error ? 1 : 0) });
      emit("terminated");
    },
  });

  const start = async () => {
    runs++;
    // The client's exception filters, or the config's break_on_error before any.
    if (program.debugging && !session.exceptionFiltersSet) {
      await program.engine.debug.request("setExceptionBreakpoints", {
        filters: breakOnError === "never" ? [] : [breakOnError],
      });
    }
    decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    await program.start(launch.stopOnEntry);
    if (runs === 1) {
      emit("process", {
        name: launch.program,
        startMethod: "launch",
        isLocalProcess: true,
        systemProcessId: Deno.pid,
      });
    }
    emit("thread", { reason: "started", threadId: 1 });
    session.noteSource(source);
  };

  await program.open();
  return {
    request: (command, args) => session.request(CLIENT, command, args),
    start,
    async restart() {
      // The old run ends quietly: the client sees the new one go on.
      await program.reopen(true);
      await start();
    },
    terminate: () => program.terminate(),
    async disconnect(terminateDebuggee) {
      if (terminateDebuggee !== false) await program.terminate();
      else {
        // The program runs on to its end without the debugger.
        await session.removeClient(CLIENT);
        if (program.debugging) {
          await program.engine.debug.request("setExceptionBreakpoints", { filters: [] });
        }
        await program.finished();
      }
      program.close();
    },
  };
}
