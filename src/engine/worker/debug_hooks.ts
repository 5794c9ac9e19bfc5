/**
 * How the engine worker reaches a debugger without importing one (docs/architecture.md, The
 * debugger). The host names the debugger's module in `init` (protocol.ts, from the main
 * thread's debug_port.ts `provideDebugger`); the runtime imports it for a debugging engine,
 * calls its `createWorkerDebugger` with what a debugger needs of the engine, and from then
 * on calls the hooks below at the execution boundaries.
 */
import type { CApi } from "../vm/capi.ts";
import type { RingWriter } from "../shared/output_ring.ts";

/** What the engine gives the worker's debugger. */
export interface DebuggerHost {
  api: CApi;
  /** The engine's shared wasm memory (the debugger's hook filter imports it). */
  memory: WebAssembly.Memory;
  /** The main Lua state. */
  L0: number;
  control: Int32Array;
  out: RingWriter;
  /** Sends a debugger message (a DAP response or event) to the main thread. */
  post(message: object): void;
  /**
   * Sends a debugger event whose order against the debugger's other messages does not
   * matter (loadedSource): during an execution it goes with the output (the output ring),
   * which costs a copy where a postMessage costs the worker ~80 µs (docs/architecture.md,
   * The debugger); otherwise as `post`.
   */
  postWithOutput(event: object): void;
  /** The runtime's interrupt check (raises on a pending signal). */
  countHook(L: number): void;
  /** The profiler's sample, when the running execution is profiled (a poke's count event). */
  sample(L: number): void;
  envRef: number;
  formatRef: number;
  /** The kernel API's `bundle(value [, mimetype])`: the mime bundle display() shows. */
  displayRef: number;
  /**
   * The prelude's host table: its `load_chunk` loads every chunk a script loads (require,
   * load, loadfile, dofile), which a debugger may wrap.
   */
  hostRef: number;
  /**
   * The host-call C function (api_globals.ts `call`). A coroutine suspended in it is a
   * workflow's parallel branch waiting for its call's answer (it yielded to the scheduler):
   * a step in it goes on when it is resumed.
   */
  hostCall: number;
  cwd: string;
  /**
   * The request channel the debugger reads (debug_channel.ts): the worker made it at start
   * and handed it to the main thread with `ready`, before the debugger loaded.
   */
  requestChannel: SharedArrayBuffer;
}

/** The debugger as the runtime calls it. */
export interface WorkerDebugHooks {
  /** The lua_Hook the debugger installs (a poke installs it too: poke.ts). */
  readonly hookPtr: number;
  /** Execution `T` (a fresh Lua thread) is about to run. */
  beginExecute(T: number): void;
  /**
   * Coroutine `co` was made by the engine's own Lua (a workflow's branch), which the
   * debugger's coroutine.create does not see: known from now on, so that a change of
   * breakpoints or stepping reaches it while it is suspended.
   */
  threadCreated(co: number): void;
  /** The chunk of the execution (the function at the top of `L`'s stack) has loaded. */
  chunkLoaded(L: number): void;
  /** The execution has ended. */
  endExecute(): void;
  /** A request waits and the engine is idle (the `debugPoke` message). */
  serveIdle(): void;
  /**
   * A request waits while Lua on `L` waits for a host call's answer (a model's, a tool's):
   * served as while Lua runs, where no hook would see it until the answer came.
   */
  serveWaiting(L: number): void;
  /** The runtime's message handler saw an error nobody caught, where it was raised. */
  onUncaughtError(L: number): void;
}

/** What the module the host names exports. */
export interface WorkerDebuggerModule {
  createWorkerDebugger(host: DebuggerHost): WorkerDebugHooks;
}
