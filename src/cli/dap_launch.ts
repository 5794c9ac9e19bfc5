/**
 * `llmspell dap`, `launch`: the program runs on an engine of this process, with a debug
 * session (debug/session/) whose one client is the DAP connection. The script's stdout and
 * stderr become output events as they are written; its end, `exited` and `terminated`.
 */
import * as path from "../path.ts";
import { type Config, loadConfig } from "../config/mod.ts";
import type { Backend, Emit } from "../debug/session/adapter.ts";
import { DapError, DebugSession } from "../debug/session/session.ts";
import { Engine } from "../engine/handle.ts";
import type { EngineOptions, ScriptArgs } from "../engine/protocol.ts";
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
  const scriptArgs: ScriptArgs = parseScriptArgs(launch.program, launch.args);
  let engine: Engine;
  let run: Promise<void> | undefined;
  let terminating = false;
  let runs = 0;

  const newEngine = async () => {
    engine = new Engine();
    await engine.init(options);
    await session.setRuntime(options.debug ? engine.debug : undefined);
  };

  const execute = async (e: Engine, first: boolean) => {
    if (first) {
      emit("process", {
        name: launch.program,
        startMethod: "launch",
        isLocalProcess: true,
        systemProcessId: Deno.pid,
      });
    }
    emit("thread", { reason: "started", threadId: 1 });
    session.noteSource(source);
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    let exitCode = 0;
    for await (
      const ev of e.execute({ code, chunkName: "@" + abs, echo: false, args: scriptArgs })
    ) {
      if (ev.type === "stream") {
        const output = decoders[ev.name].decode(ev.data, { stream: true });
        if (output) emit("output", { category: ev.name, output });
      } else if (ev.type === "error") {
        exitCode = 1;
        if (!(terminating && ev.error.kind === "interrupted")) {
          const tb = ev.error.traceback.length
            ? `\nstack traceback:\n\t${ev.error.traceback.join("\n\t")}`
            : "";
          emit("output", { category: "stderr", output: `${ev.error.message}${tb}\n` });
        }
      } else if (ev.type === "exit") exitCode = ev.code;
    }
    if (e !== engine) return;
    emit("thread", { reason: "exited", threadId: 1 });
    emit("exited", { exitCode });
    emit("terminated");
  };

  const start = async () => {
    runs++;
    const e = engine;
    if (options.debug) {
      // The client's exception filters, or the config's break_on_error before any.
      if (!session.exceptionFiltersSet) {
        await e.debug.request("setExceptionBreakpoints", {
          filters: breakOnError === "never" ? [] : [breakOnError],
        });
      }
      if (launch.stopOnEntry) await e.debug.request("pause", { threadId: 1 });
    }
    terminating = false;
    run = execute(e, runs === 1);
  };

  const stop = async () => {
    terminating = true;
    if (options.debug) await engine.debug.request("terminate", {});
    else engine.interrupt();
  };

  await newEngine();
  return {
    request: (command, args) => session.request(CLIENT, command, args),
    start,
    async restart() {
      const old = engine;
      const ended = run;
      // The old run ends quietly: the client sees the new one go on.
      engine = undefined as unknown as Engine;
      terminating = true;
      if (options.debug) await old.debug.request("terminate", {});
      else old.interrupt();
      await ended;
      old.close();
      await newEngine();
      await start();
    },
    async terminate() {
      await stop();
    },
    async disconnect(terminateDebuggee) {
      if (terminateDebuggee !== false) {
        await stop();
        await run;
        engine.close();
      } else {
        // The program runs on to its end without the debugger.
        await session.removeClient(CLIENT);
        if (options.debug) await engine.debug.request("setExceptionBreakpoints", { filters: [] });
        await run;
        engine.close();
      }
    },
  };
}
