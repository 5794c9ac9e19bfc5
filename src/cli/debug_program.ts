/**
 * A program launched under the debugger, on an engine of this process: `llmspell debug` and
 * `llmspell dap`'s `launch`. It owns the engine (a new one per run) and runs the script on
 * it; the debug session (debug/session/) drives the engine's debugger, and the clients
 * (the terminal console, a DAP connection) talk to the session, not to the engine.
 */
import type { DebugSession } from "../debug/session/session.ts";
import { Engine } from "../engine/host/handle.ts";
import type { HostDispatcher } from "../engine/host/host_link.ts";
import type { EngineOptions, LuaErrorInfo, ScriptArgs } from "../engine/shared/protocol.ts";

/** One chunk the program runs; a program is one (a script) or several (a replayed session). */
export interface ProgramStep {
  code: string;
  chunkName: string;
  args?: ScriptArgs;
  /** Echo the values it returns (a replayed cell or exec). */
  echo?: boolean;
}

/** How a step ended, for `onStep`. */
export interface StepEnd {
  stdout: Uint8Array[];
  values: string[];
  error?: LuaErrorInfo;
  exit?: number;
}

/** How a run ended. */
export interface RunEnd {
  error?: LuaErrorInfo;
  /** os.exit's code. */
  exit?: number;
  /** It was ended by `terminate` (its error is then "interrupted"). */
  terminated: boolean;
}

/** The session's client id of the launcher's own requests (a pause at entry, terminate). */
const LAUNCHER = "launcher";

export class LaunchedProgram {
  readonly session: DebugSession;
  readonly #options: EngineOptions;
  readonly #steps: ProgramStep[];
  readonly #onStream: (name: "stdout" | "stderr", data: Uint8Array) => void;
  readonly #onEnd: (end: RunEnd) => void;
  readonly #onStep: ((index: number, end: StepEnd | undefined) => void) | undefined;
  readonly #hostFunctions: ((options: EngineOptions) => HostDispatcher) | undefined;
  #firstEngine: Engine | undefined;
  #engine: Engine | undefined;
  #run: Promise<void> | undefined;
  #terminating = false;
  /** The run ends without onEnd (a restart replaces it). */
  #quiet = false;

  constructor(opts: {
    session: DebugSession;
    /** With `debug: false` the program runs without the debugger (DAP's noDebug). */
    options: EngineOptions;
    program: ProgramStep | ProgramStep[];
    /** An engine already started (prestart), for the first run. */
    firstEngine?: Engine;
    onStream(name: "stdout" | "stderr", data: Uint8Array): void;
    onEnd(end: RunEnd): void;
    /** A step starts (`end` undefined) or has ended. */
    onStep?(index: number, end: StepEnd | undefined): void;
    /** Host functions of each new engine instead of the program's own (a replay's). */
    hostFunctions?(options: EngineOptions): HostDispatcher;
  }) {
    this.session = opts.session;
    this.#options = opts.options;
    this.#steps = Array.isArray(opts.program) ? opts.program : [opts.program];
    this.#onStep = opts.onStep;
    this.#hostFunctions = opts.hostFunctions;
    this.#firstEngine = opts.firstEngine;
    this.#onStream = opts.onStream;
    this.#onEnd = opts.onEnd;
  }

  get debugging(): boolean {
    return this.#options.debug === true;
  }

  /** The engine of the current run (for what the session does not serve). */
  get engine(): Engine {
    if (!this.#engine) throw new Error("the program has no engine (open it first)");
    return this.#engine;
  }

  /** A new engine, which the session drives from now on. */
  async open(): Promise<void> {
    const engine = this.#firstEngine ?? new Engine();
    this.#firstEngine = undefined;
    if (this.#hostFunctions) engine.useHostFunctions(this.#hostFunctions(this.#options));
    await engine.init(this.#options);
    this.#engine = engine;
    await this.session.setRuntime(this.debugging ? engine.debug : undefined);
  }

  /** Runs the program (stopping at its first line with `stopOnEntry`). */
  async start(stopOnEntry: boolean): Promise<void> {
    if (stopOnEntry && this.debugging) {
      await this.session.request(LAUNCHER, "pause", { threadId: 1 });
    }
    this.#terminating = false;
    this.#quiet = false;
    this.#run = this.#execute(this.engine);
  }

  async #execute(engine: Engine): Promise<void> {
    let error: LuaErrorInfo | undefined;
    let exit: number | undefined;
    for (const [i, step] of this.#steps.entries()) {
      this.#onStep?.(i, undefined);
      const end: StepEnd = { stdout: [], values: [] };
      for await (
        const ev of engine.execute({
          code: step.code,
          chunkName: step.chunkName,
          echo: step.echo ?? false,
          args: step.args,
        })
      ) {
        if (ev.type === "stream") {
          // Kept only for who checks it (a replay): a long run's output is not held.
          if (this.#onStep && ev.name === "stdout") end.stdout.push(ev.data);
          this.#onStream(ev.name, ev.data);
        } else if (ev.type === "result") end.values = ev.values;
        else if (ev.type === "error") end.error = ev.error;
        else if (ev.type === "exit") end.exit = ev.code;
      }
      ({ error, exit } = end);
      if (this.#terminating) break;
      this.#onStep?.(i, end);
      // A step that failed is followed by the next, as the cells of a session were; an
      // os.exit ends the program.
      if (exit !== undefined) break;
    }
    if (this.#quiet) return;
    const terminated = this.#terminating && error?.kind === "interrupted";
    this.#terminating = false;
    this.#onEnd({ error, exit, terminated });
  }

  /** Ends the run (if one goes on); resolves once it has ended. */
  async terminate(): Promise<void> {
    const run = this.#run;
    if (!run) return;
    this.#terminating = true;
    if (this.debugging) await this.session.request(LAUNCHER, "terminate", {});
    else this.engine.interrupt();
    await run;
    if (this.#run === run) this.#run = undefined;
  }

  /** Resolves when the run ends. */
  async finished(): Promise<void> {
    await this.#run;
  }

  /**
   * Ends the run (`quiet`: without onEnd) and opens a new engine for the next `start`; the
   * session keeps every client's breakpoints and pushes them to it.
   */
  async reopen(quiet: boolean): Promise<void> {
    this.#quiet = quiet;
    await this.terminate();
    this.close();
    await this.open();
  }

  close(): void {
    this.#engine?.close();
  }
}
