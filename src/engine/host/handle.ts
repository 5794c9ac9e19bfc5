/**
 * The main-thread handle of an engine worker. `execute` yields, in order, the chunk's output
 * streams as they are written and then its outcome: values, an error, or an exit code.
 */
import { WORKER_URL } from "./assets.ts";
import { createRingBuffer, RingReader, type StreamChunk } from "../shared/output_ring.ts";
import { type EngineEvent, RingEvents } from "./ring_events.ts";
import {
  Control,
  DEFAULT_PROFILE_HZ,
  type EngineOptions,
  type EngineQuery,
  type ExecOutcome,
  type ExecuteRequest,
  type FromWorker,
  type LuaErrorInfo,
  MAX_PROFILE_HZ,
  type QueryAnswer,
  RingRecord,
  Signal,
  timedOutMessage,
  type ToWorker,
  WORKER_NAME,
} from "../shared/protocol.ts";
import { pokeRunning } from "../vm/poke.ts";
import { compileEngineWasm } from "./wasm_module.ts";
import { concat } from "../../bytes.ts";
import { LlmspellError } from "../../errors.ts";
import { DebugPort, providedDebugger } from "./debug_port.ts";
import {
  type CallMeta,
  type DispatchResult,
  EXECUTION_OUTPUT_BYTES,
  type HostDispatcher,
  hostProvider,
} from "./host_link.ts";
import type { HostServer } from "./host_server.ts";
import { encodeText } from "../../byte_string.ts";

export type { EngineEvent } from "./ring_events.ts";

/** A running or queued chunk: its events in order, as an async iterable, and its id. */
export type Execution = AsyncGenerator<EngineEvent> & { readonly id: number };

/** The outcome of an execution that a failed engine cannot run. */
function failedOutcome(e: Error): ExecOutcome {
  const message = `engine failed: ${e.message}`;
  return { status: "error", error: { kind: "runtime", message, traceback: [], isObject: false } };
}

/** What the main thread knows of an execution the worker has been given. */
interface Pending {
  id: number;
  request: ExecuteRequest;
  /** When it was handed to the worker (performance.now). */
  started: number;
  /** Its output so far, up to EXECUTION_OUTPUT_BYTES a stream, for the session record. */
  output: { stdout: Uint8Array[]; stderr: Uint8Array[]; bytes: [number, number] };
  /** Events routed from the output ring, not yet taken by the consumer. */
  events: EngineEvent[];
  outcome?: ExecOutcome;
  /** Resolves when the outcome is known without the ring (a failed or stopped engine). */
  ended: Promise<void>;
  end: () => void;
  timer?: ReturnType<typeof setTimeout>;
  /** The time limit the timer was armed with (setTimeoutMs may change it for later ones). */
  limitMs?: number;
  /** The profiler's timer (ExecuteRequest.profile), while the execution runs. */
  ticker?: ReturnType<typeof setInterval>;
}

/** Decided when the worker starts, before its wasm is compiled. */
export interface EngineStart {
  /**
   * Default true: the running chunk can be interrupted, timed out or paused by a poke
   * (poke.ts), which needs the wasm memory shared. Shared memory slows allocation-heavy Lua
   * (docs/decisions/0004-shared-memory-and-poke.md), so batch `run`/`exec` start with false:
   * Ctrl+C ends their process, and a time limit ends the execution from this side
   * (the engine is unusable afterwards). The debugger needs true.
   */
  interruptible?: boolean;
  /**
   * Start the worker at `init` (or the first message) instead of now. Creating a worker
   * blocks this thread ~10 ms and its wasm compile keeps both cores busy for ~15 ms more:
   * a kernel answers its first requests before that.
   * See docs/decisions/0018-kernel-defers-its-engine.md.
   */
  deferWorker?: boolean;
}

export class Engine {
  #workerV: Worker | undefined;
  readonly #interruptible: boolean;
  readonly #controlBuf = new SharedArrayBuffer(Control.size * 4);
  readonly #control = new Int32Array(this.#controlBuf);
  readonly #ringBuf = createRingBuffer();
  readonly #ring = new RingReader(this.#ringBuf);
  /**
   * Executions handed to the worker, oldest first. The worker runs them in that order and
   * the output ring carries their records in that order, each ending with its outcome
   * (RingRecord.done): records go to the first one until its outcome comes.
   */
  readonly #pending: Pending[] = [];
  readonly #queries = new Map<number, (a: QueryAnswer) => void>();
  /** Decodes the output ring's records. */
  readonly #records = new RingEvents();
  #ready: Promise<void> | undefined;
  #onReady: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #fatal: Error | undefined;
  /** Why the engine could not start (#failStart), as its cause said it. */
  #startFailure: string | undefined;
  /** The worker has said "ready": a later fatal error is not a failure to start. */
  #wasReady = false;
  #nextId = 1;
  #timeoutMs = 0;
  /** The worker's wasm memory, shared: see poke.ts (none in a batch engine). */
  #memory: WebAssembly.Memory | undefined;
  #repoke: ReturnType<typeof setInterval> | undefined;
  #options: EngineOptions | undefined;
  /** Serves the worker's host calls; loaded at the first one (host_channel.ts). */
  #host: Promise<HostServer> | undefined;
  /** The host functions (host_link.ts), made at the first call of one. */
  #functions: HostDispatcher | undefined;
  #functionsLoading: Promise<HostDispatcher> | undefined;
  /** The host call of an input request, waiting for `provideInput`. */
  #input: { resolve: (line: string | null) => void; reject: (e: Error) => void } | undefined;
  /** An answer given before the worker's call for it arrived. */
  #earlyInput: { line: string | null } | Error | undefined;
  /** The debugger's port (`options.debug`): DAP requests to the worker, events back. */
  readonly debug: DebugPort = new DebugPort(
    (m) => this.#post(m),
    this.#control,
    () => this.#poke(),
  );

  /** Starts the worker (and the wasm compile) now; `init` may follow later. */
  constructor(start: EngineStart = {}) {
    this.#interruptible = start.interruptible ?? true;
    if (!start.deferWorker) void this.#worker;
  }

  get #worker(): Worker {
    if (this.#workerV) return this.#workerV;
    // Compiling first: V8 does it on other threads while this one creates the worker.
    const wasm = compileEngineWasm(this.#interruptible);
    const w = new Worker(WORKER_URL, { type: "module", name: WORKER_NAME });
    w.onmessage = (ev: MessageEvent<FromWorker>) => this.#onMessage(ev.data);
    w.onerror = (ev) => {
      ev.preventDefault();
      if (this.#wasReady) this.#die(new Error(ev.message));
      else this.#failStart(ev.message);
    };
    wasm.then(
      ({ module, memory }) => {
        // Pokes need the memory; they do nothing until a chunk runs (poke.ts).
        this.#memory = memory;
        w.postMessage({ type: "wasm", module, memory } satisfies ToWorker);
      },
      (e) => this.#failStart(e instanceof Error ? e.message : String(e)),
    );
    return this.#workerV = w;
  }

  /** Creates the Lua state. Resolves when the engine can execute. */
  init(options: EngineOptions): Promise<void> {
    if (this.#ready) return this.#ready;
    const debuggerModule = options.debug ? providedDebugger() : undefined;
    if (options.debug && !debuggerModule) {
      throw new Error("Engine.init: a debugging engine needs provideDebugger (debug_port.ts)");
    }
    // A prestarted worker can fail before init (its module did not load): say so now
    // instead of waiting for a "ready" that will never come.
    if (this.#fatal) {
      this.#ready = Promise.reject(
        new LlmspellError({
          code: "engine_failed",
          message: `the Lua engine could not start: ${this.#startFailure ?? this.#fatal.message}`,
          hint: "reinstall llmspell (bash install.sh); run with --trace debug for details",
        }),
      );
      return this.#ready;
    }
    this.#timeoutMs = options.timeoutMs;
    this.#options = options;
    this.#ready = new Promise((resolve, reject) => {
      this.#onReady = { resolve, reject };
    });
    const provider = hostProvider();
    this.#post({
      type: "init",
      options: provider
        ? { ...options, globals: [...provider.globals], tracing: provider.tracing }
        : options,
      control: this.#controlBuf,
      output: this.#ringBuf,
      debuggerModule,
    });
    return this.#ready;
  }

  /**
   * Changes the time limit (0: none) of the executions armed from now on (a kernel's config
   * reload): the limit is kept and enforced on this thread.
   */
  setTimeoutMs(ms: number): void {
    this.#timeoutMs = ms;
  }

  #post(msg: ToWorker): void {
    this.#worker.postMessage(msg);
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case "ready":
        this.#wasReady = true;
        if (msg.debugChannel) this.debug.connect(msg.debugChannel);
        this.#onReady?.resolve();
        break;
      case "fatal":
        if (!this.#wasReady) {
          this.#failStart(msg.message, msg.stack);
          break;
        }
        this.#die(Object.assign(new Error(msg.message), msg.stack ? { stack: msg.stack } : {}));
        break;
      case "dap":
        this.debug.receive(msg.message);
        break;
      case "debuggerFailed":
        this.debug.fail(`the debugger did not load: ${msg.message}`);
        break;
      case "host":
        this.#serveHost(msg.buffer);
        break;
      case "answer": {
        const resolve = this.#queries.get(msg.id);
        this.#queries.delete(msg.id);
        resolve?.(msg.answer);
        break;
      }
    }
  }

  /** The worker made a host call and this side was not listening. */
  #serveHost(buffer: SharedArrayBuffer | undefined): void {
    if (buffer && !this.#host) {
      this.#host = import("./host_server.ts").then(({ HostServer }) =>
        new HostServer(buffer, (method, args, meta) => this.#dispatch(method, args, meta))
      );
    }
    this.#host?.then((server) => server.serve(), (e) => this.#die(e));
  }

  /** A host call: the engine's own (`io.input`), or a host function of the provider. */
  #dispatch(method: string, args: Uint8Array, meta?: CallMeta): DispatchResult {
    if (method === "io.input") {
      return this.#awaitInput().then(async (line) => {
        // Loaded here, not at start-up: the answer is one result, the line or nil.
        const { encodeValues } = await import("../shared/host_values.ts");
        return encodeValues([line === null ? null : encodeText(line)]);
      });
    }
    if (this.#functions) return this.#functions.dispatch(method, args, meta);
    const provider = hostProvider();
    if (!provider || !this.#options) throw new Error(`no host functions here (${method})`);
    this.#functionsLoading ??= provider.start(this.#options);
    // The arguments stay valid until the call is answered.
    return this.#functionsLoading.then((f) => {
      const r = (this.#functions = f).dispatch(method, args, meta);
      // The first call's answer comes later: answered as not lasting.
      return r instanceof Uint8Array || r instanceof Promise ? r : r.results;
    });
  }

  /** The worker waits for the answer to the input request it put on the ring. */
  #awaitInput(): Promise<string | null> {
    const early = this.#earlyInput;
    this.#earlyInput = undefined;
    if (early instanceof Error) return Promise.reject(early);
    if (early) return Promise.resolve(early.line);
    return new Promise((resolve, reject) => this.#input = { resolve, reject });
  }

  /**
   * The engine could not start (its wasm did not compile, its worker failed before "ready").
   * Executions wait in the worker for its init, so this fails them too: say what failed,
   * and what to do.
   */
  #failStart(message: string, stack?: string): void {
    this.#startFailure = message;
    const e = new Error(
      `the Lua engine could not start: ${message} (reinstall llmspell: bash install.sh)`,
    );
    if (stack) e.stack = stack;
    this.#die(e);
  }

  #die(e: Error): void {
    this.#fatal = e;
    this.#dropInput(`engine failed: ${e.message}`);
    this.debug.fail(`engine failed: ${e.message}`);
    this.#onReady?.reject(e);
    this.#endAll(failedOutcome(e));
    for (const resolve of this.#queries.values()) {
      resolve({ kind: "error", message: `engine failed: ${e.message}` });
    }
    this.#queries.clear();
  }

  /** An execution is running or waiting to. */
  get busy(): boolean {
    return this.#pending.length > 0;
  }

  /**
   * Runs a chunk: hands it to the worker now (it runs once the engine is ready) and yields its
   * output as it is produced, then its outcome. Several may be handed over before the first
   * is consumed; they run in order (a kernel keeps the worker busy that way).
   */
  execute(request: ExecuteRequest): Execution {
    if (!this.#ready) throw new Error("Engine.init must be called before execute");
    if (this.#fatal) {
      throw new LlmspellError({ code: "engine_failed", message: this.#fatal.message });
    }
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const p: Pending = {
      id: this.#nextId++,
      request,
      started: performance.now(),
      output: { stdout: [], stderr: [], bytes: [0, 0] },
      events: [],
      ended,
      end,
    };
    this.#pending.push(p);
    const failed = (e: Error) => this.#end(p, failedOutcome(e));
    // Posted now, not at "ready": the worker runs it once its init is done, which saves a
    // round trip between the threads at start-up.
    this.#post({ type: "execute", id: p.id, request });
    this.#ready.then(() => {
      if (this.#fatal) return failed(this.#fatal);
      if (this.#pending[0] === p) this.#start(p);
    }, failed);
    return Object.assign(this.#events(p), { id: p.id });
  }

  /**
   * The events of `p`. Whoever waits for events reads the ring, and each record goes to the
   * execution it belongs to (#route): records of one handed over early wait in its queue.
   * The reader is the consumer itself, not a separate loop: a promise it resolves would
   * resume the consumer only at the event loop's next turn (~4 ms later, measured).
   */
  async *#events(p: Pending): AsyncGenerator<EngineEvent> {
    const waiting = { cancelled: false };
    try {
      while (true) {
        const ev = p.events.shift();
        if (ev) {
          yield ev;
          continue;
        }
        if (p.outcome) break;
        const seq = this.#ring.seq;
        const chunks = this.#ring.drain();
        for (const chunk of chunks) this.#route(chunk);
        if (chunks.length === 0 && !p.outcome) {
          await Promise.race([this.#ring.waitForData(seq, waiting), p.ended]);
        }
      }
    } finally {
      waiting.cancelled = true;
    }
    const o = p.outcome;
    if (o.status === "ok") {
      yield {
        type: "result",
        values: o.values,
        types: o.types,
        ...(o.json ? { json: o.json } : {}),
        ...(o.mime ? { mime: o.mime } : {}),
      };
    } else if (o.status === "error") yield { type: "error", error: o.error };
    else yield { type: "exit", code: o.code };
  }

  /** A ring record goes to the oldest pending execution; its outcome ends it. */
  #route(chunk: StreamChunk): void {
    if (chunk.stream === RingRecord.debugEvent) {
      this.debug.receive(this.#records.json(chunk.data));
      return;
    }
    if (chunk.stream === RingRecord.done) {
      const { id, outcome } = this.#records.json(chunk.data) as {
        id: number;
        outcome: ExecOutcome;
      };
      const p = this.#pending.find((x) => x.id === id);
      if (p) this.#end(p, outcome);
      return;
    }
    const ev = this.#records.event(chunk);
    // A new request: an answer left from an earlier one (after an interrupt) is stale.
    if (ev?.type === "input") this.#earlyInput = undefined;
    const p = this.#pending[0];
    if (!ev || !p) return;
    p.events.push(ev);
    if (ev.type === "stream") {
      const n = ev.name === "stdout" ? 0 : 1;
      const room = EXECUTION_OUTPUT_BYTES - p.output.bytes[n];
      if (room > 0) {
        p.output[ev.name].push(ev.data.length > room ? ev.data.subarray(0, room) : ev.data);
        p.output.bytes[n] += Math.min(room, ev.data.length);
      }
    }
  }

  #end(p: Pending, outcome: ExecOutcome): void {
    const i = this.#pending.indexOf(p);
    if (i < 0) return;
    this.#pending.splice(i, 1);
    // Only a timer that exists: Deno's first clearTimeout call costs ~3.5 ms (exec start-up).
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (p.ticker !== undefined) clearInterval(p.ticker);
    // The worker names the limit it was started with; the one in force is this thread's.
    if (outcome.status === "error" && outcome.error.kind === "timeout" && p.limitMs) {
      outcome = { ...outcome, error: { ...outcome.error, message: timedOutMessage(p.limitMs) } };
    }
    p.outcome = outcome;
    p.end();
    this.#report(p, outcome);
    const next = this.#pending[0];
    if (next && next.timer === undefined) this.#start(next);
  }

  /** `p` is the oldest pending execution now: its time limit and its profiler start. */
  #start(p: Pending): void {
    this.#armTimeout(p);
    const profile = p.request.profile;
    // A batch engine cannot be poked: its profile has no samples.
    if (profile && this.#memory && p.ticker === undefined) {
      const rate = Math.min(profile.rateHz ?? DEFAULT_PROFILE_HZ, MAX_PROFILE_HZ);
      const memory = this.#memory;
      // Each tick makes the running chunk sample its stack at its next instruction
      // (sampler.ts); a tick before the worker started `p` samples nothing.
      p.ticker = setInterval(() => pokeRunning(memory, this.#control), 1000 / rate);
    }
  }

  #endAll(outcome: ExecOutcome): void {
    for (const p of [...this.#pending]) this.#end(p, outcome);
  }

  /** Tells the host functions (the session record) that `p` ended. */
  #report(p: Pending, outcome: ExecOutcome): void {
    if (!this.#functions) return;
    try {
      this.#functions.executed({
        request: p.request,
        stdout: concat(p.output.stdout),
        stderr: concat(p.output.stderr),
        outcome,
        durationMs: performance.now() - p.started,
      });
    } catch {
      // Recording is best effort: it never fails the execution it records.
    }
  }

  /** The time limit of an execution runs from when it is the oldest pending one. */
  #armTimeout(p: Pending): void {
    if (this.#timeoutMs <= 0) return;
    p.limitMs = this.#timeoutMs;
    p.timer = setTimeout(() => {
      this.#signal(Signal.timeout, p.id);
      this.onTimeLimit?.(p.id);
    }, this.#timeoutMs);
  }

  /** Told when an execution reaches its time limit (a kernel watches that it ends). */
  onTimeLimit: ((id: number) => void) | undefined;

  /**
   * Answers the pending input request: a line (without its newline), or null for end of
   * input. `error` refuses it: io.read/input() raise that message.
   */
  provideInput(value: string | null, error?: string): void {
    const input = this.#input;
    this.#input = undefined;
    if (!input) this.#earlyInput = error !== undefined ? new Error(error) : { line: value };
    else if (error !== undefined) input.reject(new Error(error));
    else input.resolve(value);
  }

  /** Ends a wait for input that no answer will end (the worker has stopped waiting). */
  #dropInput(why: string): void {
    this.#input?.reject(new Error(why));
    this.#input = undefined;
    this.#earlyInput = undefined;
  }

  /** Completion, inspection, is-complete: answered after the running chunk, if any. */
  async query(q: EngineQuery): Promise<QueryAnswer> {
    if (!this.#ready) throw new Error("Engine.init must be called before query");
    await this.#ready;
    if (this.#fatal) return { kind: "error", message: this.#fatal.message };
    const id = this.#nextId++;
    return await new Promise<QueryAnswer>((resolve) => {
      this.#queries.set(id, resolve);
      this.#post({ type: "query", id, query: q });
    });
  }

  /**
   * Asks an execution to stop with the error "interrupted": `id` (an Execution's), by default
   * the oldest pending one. One that has already ended in the worker is not disturbed, nor
   * is the next one. A poke (poke.ts) reaches it, or for a batch engine it ends here (see
   * EngineStart).
   */
  interrupt(id?: number): void {
    this.#signal(Signal.interrupt, id);
    // A chunk waiting for input or a host call checks the signal when woken; it no longer
    // waits for the input it asked for, and what host functions wait for is cancelled.
    if (id === undefined || id === this.#pending[0]?.id) this.#dropInput("interrupted");
    this.#functions?.interrupt();
    this.#host?.then((server) => server.interrupt(), () => {});
  }

  #signal(signal: number, id = this.#pending[0]?.id ?? 0): void {
    Atomics.store(this.#control, Control.target, id);
    Atomics.store(this.#control, Control.signal, signal);
    if (this.#interruptible) this.#poke();
    else if (this.busy) this.#abandon(signal);
  }

  /**
   * A batch engine cannot be reached while Lua runs: the chunk ends here with the error
   * the signal stands for, and the engine is unusable from now on (its process exits).
   */
  #abandon(signal: number): void {
    this.abandon(
      signal === Signal.timeout ? "timeout" : "interrupted",
      signal === Signal.timeout ? timedOutMessage(this.#timeoutMs) : "interrupted",
    );
  }

  /**
   * Gives up on the worker: every pending execution ends now with this error, later ones
   * fail, and the worker is told to end (a spinning one goes on until the process ends).
   */
  abandon(kind: LuaErrorInfo["kind"], message: string): void {
    const outcome: ExecOutcome = {
      status: "error",
      error: { kind, message, traceback: [], isObject: false },
    };
    this.#fatal = new Error("the engine was stopped while running a chunk");
    // The message is final (#end would name the time limit in a "timeout" one).
    for (const p of this.#pending) p.limitMs = undefined;
    this.#endAll(outcome);
    for (const resolve of this.#queries.values()) resolve({ kind: "error", message });
    this.#queries.clear();
    this.close();
  }

  /**
   * True while the worker runs execution `id` with a signal for it still pending: the
   * signal has not been honoured (the chunk has not ended) since it was sent.
   */
  signalPending(id: number): boolean {
    const c = this.#control;
    if (Atomics.load(c, Control.current) !== id) return false;
    const target = Atomics.load(c, Control.target);
    return Atomics.load(c, Control.signal) !== Signal.none && (target === 0 || target === id);
  }

  /**
   * Makes the running chunk call its hook now (poke.ts), and again every 20 ms while the
   * signal or debugger request is still pending: the worker may have replaced the thread's
   * hook mask at the same moment (a debugger switching line events), losing the poke.
   */
  #poke(): void {
    if (!this.#memory) return;
    pokeRunning(this.#memory, this.#control);
    if (this.#repoke !== undefined) return;
    this.#repoke = setInterval(() => {
      const pending = Atomics.load(this.#control, Control.signal) !== Signal.none ||
        Atomics.load(this.#control, Control.debug) !== 0;
      if (!pending || !this.busy) {
        clearInterval(this.#repoke);
        this.#repoke = undefined;
      } else pokeRunning(this.#memory!, this.#control);
    }, 20);
  }

  /** Serves this engine's host calls with `functions` instead of the provider's (a replay). */
  useHostFunctions(functions: HostDispatcher): void {
    this.#functions = functions;
  }

  /**
   * Ends the engine's session as `outcome` (a run or exec about to exit without closing
   * the engine: the process ends sooner than the worker would).
   */
  endSession(outcome: "completed" | "failed"): void {
    this.#functions?.close(outcome);
    this.#functions = undefined;
  }

  /** Ends the worker. Only reliable while it is idle (a spinning worker ignores it). */
  close(): void {
    clearInterval(this.#repoke);
    for (const p of this.#pending) clearInterval(p.ticker);
    this.#workerV?.terminate();
    this.#functions?.close();
  }
}
