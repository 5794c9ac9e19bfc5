/**
 * Messages between the main thread and the engine worker, and the layout of the shared
 * memory they use. postMessage carries requests and outcomes; output streams travel through
 * a shared ring (see output_ring.ts) so that print() costs no message per call and streams
 * while Lua is busy; the interrupt flag lives in shared memory because the worker cannot
 * receive messages while Lua runs.
 */

import type { ProviderConfig } from "../../provider_config.ts";

export type SecurityLevel = "safe" | "unrestricted";

/** How the engine is set up; fixed for the life of a worker. */
export interface EngineOptions {
  securityLevel: SecurityLevel;
  /** Absolute roots that io/os/require may touch in safe mode. */
  allowedPaths: string[];
  /** 0 means no limit beyond wasm's 2 GiB. */
  maxMemoryBytes: number;
  /** 0 means none. A per-execution limit: the main thread pokes the running chunk. */
  timeoutMs: number;
  cwd: string;
  /** Directory of the script being run; searched first by require. */
  scriptDir?: string;
  /**
   * Where io.read and input() get their lines: the process's stdin (default), or the
   * kernel, which asks the client with input_request (see `Engine.provideInput`).
   */
  stdin?: "process" | "kernel";
  /**
   * Attach the debugger (the one the program provides: debug_port.ts): DAP requests through
   * `Engine.debug`.
   */
  debug?: boolean;
  /** The State global's settings (`[state]`); defaults when absent. */
  state?: StateOptions;
  /** `[sessions] enabled`: record the engine's session (default true). */
  recordSessions?: boolean;
  /** `[sessions] max_sessions` and `retention_days` (0: no limit), applied when a session opens. */
  sessionRetention?: { maxSessions: number; retentionDays: number };
  /** `[sessions] max_artifact_bytes`: the largest artifact kept (default 64 MiB). */
  maxArtifactBytes?: number;
  /**
   * Lua globals made of host calls (host_link.ts), each loaded at first use. Set by the
   * engine handle from its host provider.
   */
  globals?: string[];
  /** Providers and tools (`[providers.*]`, `[tools]`); none configured when absent. */
  llm?: LlmOptions;
  /**
   * Spans are made (Deno's OpenTelemetry is on): the worker sends the Lua side's spans
   * (`trace.begin`, `trace.end`) and each host call's parent span. Off, it answers them
   * itself and sends nothing (api_globals.ts). Set by the engine handle from its host provider.
   */
  tracing?: boolean;
}

/** `[state]` as the engine's host functions read it. */
export interface StateOptions {
  /** False: State keeps values for the life of the process only (an in-memory database). */
  enabled: boolean;
  /** The largest encoded value State stores. */
  maxValueBytes: number;
}

/** What the LLM and tool globals were configured with. */
export interface LlmOptions {
  providers: Record<string, ProviderConfig>;
  /** `[tools] enabled`: the built-in tools scripts may use; undefined = all. */
  enabledTools?: string[];
  /** `[tools.<name>]` tables, free-form. */
  toolSettings: Record<string, Record<string, unknown>>;
}

/** Command-line arguments given to a script: ARGS and Lua's `arg`. */
export interface ScriptArgs {
  /** ARGS[0] and arg[0]. */
  script: string;
  /** The raw arguments after `--`, as Lua's `arg[1..]` and `...`. */
  raw: string[];
  /** `--key value` pairs and bare `--flag` ("true"). */
  named: Record<string, string>;
  /** Arguments that are not flags: ARGS[1..]. */
  positional: string[];
}

export interface ExecuteRequest {
  code: string;
  /** Lua chunk name: "=name" for a label, "@path" for a file. */
  chunkName: string;
  /** Echo the values of an expression, like the lua REPL. */
  echo: boolean;
  /**
   * When the whole chunk is not an expression, echo its last line if that line is one
   * (a notebook cell `x = 1\nx` shows 1).
   */
  echoLast?: boolean;
  args?: ScriptArgs;
  /**
   * The directory of the script this chunk is (a `run --connect` on a kernel): for this
   * execution only, searched first by require and allowed like EngineOptions.scriptDir.
   */
  scriptDir?: string;
  /** Also give each returned value as JSON (ExecOutcome json): `--output json|yaml`. */
  jsonValues?: boolean;
  /**
   * Profile this execution (sampler.ts): the main thread pokes it `rateHz` times a second
   * (default DEFAULT_PROFILE_HZ; an interruptible engine only) and its profile comes before
   * its outcome.
   */
  profile?: { rateHz?: number };
}

/**
 * The profiler's default rate (`profile --rate`, `run --profile`, `.profile`, `%%profile`),
 * applied by the engine's handle alone: a front end that imported it would split this
 * module out of the handle's chunk in the bundle (tests/cli/bundle_test.ts), so
 * profile_cmd.ts's help names the number itself.
 */
export const DEFAULT_PROFILE_HZ = 1000;
/** The timer on the main thread fires at most every millisecond. */
export const MAX_PROFILE_HZ = 1000;

/** A frame of a profile: a Lua function, a C function, or a host call (`[host] METHOD`). */
export interface ProfileFrame {
  name: string;
  /** The chunk's name without its `@`/`=` (a file's path), `[C]` or `[host]`. */
  file: string;
  /** Where a Lua function is defined (0: none). */
  line: number;
}

/** An execution's profile (RingRecord.profile): a call tree and a timeline over it. */
export interface ProfileData {
  frames: ProfileFrame[];
  /** Node i of the call tree: its parent (-1 for node 0, the root) and its frame. */
  parents: number[];
  nodeFrames: number[];
  /** The timeline: a node per sample, consecutive samples of one node merged. */
  samples: number[];
  /** Each sample's wall time, in microseconds. */
  weights: number[];
  /** How many samples were taken (host calls count one each). */
  sampleCount: number;
  /** When the execution started (ms since the epoch) and how long it ran (µs). */
  startedAt: number;
  durationUs: number;
}

/** The local echo declares before its `return` (runtime.ts); the debugger hides it. */
export const ECHO_GUARD = "__llmspell_echo";

export type LuaErrorKind = "syntax" | "runtime" | "interrupted" | "timeout" | "memory";

export interface LuaErrorInfo {
  kind: LuaErrorKind;
  /** One line: the message (an error object is shown through the value formatter). */
  message: string;
  /** Lua traceback lines, without the engine's own frames. */
  traceback: string[];
  /** True when the error value was not a string (a table or other object). */
  isObject: boolean;
}

export type ExecOutcome =
  /** `types`: the Lua type of each value, for colouring results. */
  | {
    status: "ok";
    values: string[];
    types: string[];
    /** Each value as JSON text, when the request asked (jsonValues). */
    json?: string[];
    /** A single value's own representations by MIME type (its metatable's `__display`). */
    mime?: Record<string, unknown>;
  }
  | { status: "error"; error: LuaErrorInfo }
  | { status: "exit"; code: number };

export type ToWorker =
  /** The engine's compiled glue.wasm (wasm_module.ts), sent first. */
  | { type: "wasm"; module: WebAssembly.Module; memory?: WebAssembly.Memory }
  | {
    type: "init";
    options: EngineOptions;
    control: SharedArrayBuffer;
    output: SharedArrayBuffer;
    /**
     * When `options.debug`: the module the worker loads as its debugger (debug_hooks.ts,
     * named by debug_port.ts `provideDebugger`).
     */
    debuggerModule?: string;
  }
  | { type: "execute"; id: number; request: ExecuteRequest }
  | { type: "query"; id: number; query: EngineQuery }
  /** A debugger request waits in the channel (served now if the engine is idle). */
  | { type: "debugPoke" }
  | { type: "close" };

export type FromWorker =
  /** A debugging engine's debugger request channel (debug_channel.ts) comes with it. */
  | { type: "ready"; debugChannel?: SharedArrayBuffer }
  | { type: "fatal"; message: string; stack?: string }
  /** A debugging engine's debugger did not load: its requests fail, the engine goes on. */
  | { type: "debuggerFailed"; message: string }
  | { type: "answer"; id: number; answer: QueryAnswer }
  /** A DAP response or event from the debugger. */
  | { type: "dap"; message: unknown }
  /**
   * A host call waits in the channel (host_channel.ts) and the main thread is not
   * listening; the first one brings the channel's buffer.
   */
  | { type: "host"; buffer?: SharedArrayBuffer };

/** Questions about the Lua state, answered between executions (see introspect.ts). */
export type EngineQuery =
  | {
    kind: "complete";
    /** Names before the last separator (`a.b:c` → ["a", "b"]). */
    path: string[];
    /** The last separator: "" for a global name. */
    sep: "" | "." | ":";
    /** The partial name being completed. */
    prefix: string;
  }
  | { kind: "inspect"; path: string[] }
  | { kind: "is_complete"; code: string }
  /** The files `require` has loaded modules from since the engine started. */
  | { kind: "modules" };

export type QueryAnswer =
  | { kind: "complete"; matches: string[] }
  | { kind: "inspect"; found: false }
  | {
    kind: "inspect";
    found: true;
    /** Lua type name. */
    type: string;
    /** The value through the formatter, possibly shortened. */
    repr: string;
    /** The standard-library name of a built-in function ("string.format"). */
    stdlib?: string;
    /** `#v` for strings and tables. */
    length?: number;
    /** Sorted field names of a table (first 50). */
    fields?: string[];
    /** True when the value has a metatable. */
    hasMetatable?: boolean;
  }
  | { kind: "is_complete"; status: "complete" | "incomplete" | "invalid" }
  | { kind: "modules"; files: string[] }
  | { kind: "error"; message: string };

/** Int32 slots of the control buffer. */
export const Control = {
  /** What the count hook should raise: one of the Signal values. */
  signal: 0,
  /** Non-zero: a debugger request waits in the channel (the hooks serve it). */
  debug: 1,
  /** Set by the worker for poke.ts: the lua_State running a chunk now (0 when idle), */
  running: 2,
  /** the lua_Hook to install, */
  hook: 3,
  /** and the C functions of coroutine.resume and of coroutine.wrap's functions. */
  resumeFn: 4,
  wrapFn: 5,
  /** The execution id `signal` is for (0: whichever runs): a later one ignores it. */
  target: 6,
  /** Set by the worker: the id of the execution it runs (0 when idle). */
  current: 7,
  /**
   * Non-zero while the main thread listens to the debugger's events (debug_port.ts): until
   * then the debugger leaves out the events nobody asked for (a kernel's cell chunks'
   * loadedSource).
   */
  debugListening: 8,
  size: 9,
} as const;

/**
 * Worker side: the signal for the execution running now. A signal meant for another one (it
 * ended before the signal came; the main thread may hand over the next one early) is dropped.
 */
export function pendingSignal(control: Int32Array): number {
  const signal = Atomics.load(control, Control.signal);
  if (signal === Signal.none) return signal;
  const target = Atomics.load(control, Control.target);
  if (target === 0 || target === Atomics.load(control, Control.current)) return signal;
  Atomics.compareExchange(control, Control.signal, signal, Signal.none);
  return Signal.none;
}

/** Worker side: raises `signal` for whatever runs (os.exit, the debugger's terminate). */
export function raiseSignal(control: Int32Array, signal: number): void {
  Atomics.store(control, Control.target, 0);
  Atomics.store(control, Control.signal, signal);
}

/** The engine worker's name (it shows in Deno's error messages). */
export const WORKER_NAME = "llmspell-engine";

/**
 * Output ring record types beyond stdout (1) and stderr (2): JSON records of the display
 * system, input requests and the outcome of an execution, kept in order with the streams.
 */
export const RingRecord = {
  /** JSON `{type: "display", data, metadata}` or `{type: "clear_output", wait}`. */
  event: 3,
  /**
   * JSON `{prompt, password}`: the worker then waits for the answer with the host call
   * `io.input` (host_channel.ts); the request travels here, in order with the output.
   */
  input: 4,
  /** A part of a long JSON record; the parts up to the next JSON record form one. */
  part: 5,
  /**
   * JSON `{id, outcome}`: the execution has ended. In the ring rather than a message, so
   * that a short cell's output and its end reach the main thread in one wake-up.
   */
  done: 6,
  /** JSON ProfileData: a profiled execution's profile, right before its outcome. */
  profile: 7,
  /**
   * JSON: a debugger event sent during an execution that need not arrive at once
   * (DebuggerHost.postWithOutput): in the ring it costs a copy instead of a postMessage.
   */
  debugEvent: 8,
} as const;

/** The error of a chunk stopped by its time limit (the engine's, or the main thread's). */
export function timedOutMessage(timeoutMs: number): string {
  return `timed out after ${timeoutMs / 1000} s`;
}

/** Values of the control signal slot. */
export const Signal = {
  none: 0,
  interrupt: 1,
  timeout: 2,
  exit: 3,
} as const;
