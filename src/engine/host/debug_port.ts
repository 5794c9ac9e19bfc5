/**
 * The engine's port for a debugger, on the main thread (`Engine.debug`): sends requests to
 * the worker's debugger one at a time through the debugger's request channel
 * (debug_channel.ts; the worker reads it from a poked hook while Lua runs, while stopped, or
 * at a `debugPoke` message while idle) and hands out the responses and events it posts back.
 * The worker makes the channel and hands it over with `ready`, as it does the host-call
 * channel with its first call; its writer loads then, so that an engine that does not debug
 * (`run`, `exec`) loads none of it. Requests made before wait.
 * The engine carries the messages (DAP's envelope: seq, command, request_seq) and knows
 * nothing of what they mean: the debugger (src/debug/) sits on top of this port.
 *
 * Which debugger the worker loads is the program's to say (`provideDebugger`), so that the
 * engine imports none: see debug_hooks.ts.
 */
import type { DebugRequest, DebugRequestSender } from "../shared/debug_channel.ts";
import { Control, type ToWorker } from "../shared/protocol.ts";

/** A debugger's response, as the worker posts it. */
export interface DebugResponse {
  seq: number;
  type: "response";
  request_seq: number;
  command: string;
  success: boolean;
  message?: string;
  body?: unknown;
}

/** A debugger's event, as the worker posts it. */
export interface DebugEvent {
  seq: number;
  type: "event";
  event: string;
  body?: unknown;
}

let workerDebugger: string | undefined;

/**
 * Names the module the worker of a debugging engine (`EngineOptions.debug`) loads as its
 * debugger: it exports debug_hooks.ts's `createWorkerDebugger`. The program says it once
 * (main.ts), as it provides the host functions (host_link.ts).
 */
export function provideDebugger(moduleUrl: string): void {
  workerDebugger = moduleUrl;
}

/** The module `provideDebugger` named, if any. */
export function providedDebugger(): string | undefined {
  return workerDebugger;
}

interface Pending {
  request: DebugRequest;
  resolve(r: DebugResponse): void;
}

export class DebugPort {
  /** The channel's writer, once the worker has handed the channel over. */
  #sender: DebugRequestSender | undefined;
  readonly #post: (m: ToWorker) => void;
  readonly #control: Int32Array;
  readonly #poke: () => void;
  readonly #queue: Pending[] = [];
  readonly #listeners = new Set<(e: DebugEvent) => void>();
  #inflight: Pending | undefined;
  #seq = 1;
  #failed: string | undefined;

  /** `poke` makes a running chunk look at the channel now (poke.ts). */
  constructor(post: (m: ToWorker) => void, control: Int32Array, poke: () => void) {
    this.#post = post;
    this.#control = control;
    this.#poke = poke;
  }

  /** Sends a request; resolves with its response (success false carries `message`). */
  request<R = DebugResponse>(command: string, args?: unknown): Promise<R> {
    const request: DebugRequest = { seq: this.#seq++, type: "request", command, arguments: args };
    return new Promise<R>((resolve) => {
      if (this.#failed !== undefined) {
        resolve(this.#failure(request, this.#failed) as R);
        return;
      }
      this.#queue.push({ request, resolve: resolve as (r: DebugResponse) => void });
      this.#pump();
    });
  }

  /** Listens to the debugger's events (stopped, output, …); returns the unsubscribe function. */
  onEvent(fn: (e: DebugEvent) => void): () => void {
    this.#listeners.add(fn);
    Atomics.store(this.#control, Control.debugListening, 1);
    return () => {
      this.#listeners.delete(fn);
      if (this.#listeners.size === 0) Atomics.store(this.#control, Control.debugListening, 0);
    };
  }

  /** The worker's debugger is ready: its request channel. */
  connect(channel: SharedArrayBuffer): void {
    import("../shared/debug_channel.ts").then(({ DebugRequestSender }) => {
      this.#sender = new DebugRequestSender(channel);
      this.#pump();
    }, (e) => this.fail(`the debugger's channel did not load: ${e}`));
  }

  #pump(): void {
    if (!this.#sender || this.#inflight || this.#queue.length === 0) return;
    const next = this.#queue.shift()!;
    this.#inflight = next;
    this.#sender.send(next.request);
    Atomics.store(this.#control, Control.debug, 1);
    this.#post({ type: "debugPoke" });
    this.#poke();
  }

  /** A message from the worker's debugger. */
  receive(message: unknown): void {
    const m = message as DebugResponse | DebugEvent;
    if (m.type === "response") {
      const p = this.#inflight;
      this.#inflight = undefined;
      if (p) p.resolve({ ...m, seq: 0 });
      this.#pump();
    } else if (m.type === "event") {
      for (const fn of this.#listeners) fn(m);
    }
  }

  /** The engine died: every request fails from now on. */
  fail(message: string): void {
    this.#failed = message;
    const all = this.#inflight ? [this.#inflight, ...this.#queue] : [...this.#queue];
    this.#inflight = undefined;
    this.#queue.length = 0;
    for (const p of all) p.resolve(this.#failure(p.request, message));
  }

  #failure(request: DebugRequest, message: string): DebugResponse {
    return {
      seq: 0,
      type: "response",
      request_seq: request.seq,
      command: request.command,
      success: false,
      message,
    };
  }
}
