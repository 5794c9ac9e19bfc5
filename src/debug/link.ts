/**
 * Main-thread end of the debugger: sends DAP requests to the engine worker one at a time
 * through the shared channel (the worker reads it from a poked hook while Lua runs, while
 * stopped, or on a poke message while idle) and hands out responses and events.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { Control, type ToWorker } from "../engine/protocol.ts";
import { createChannel, sendRequest } from "./channel.ts";

interface Pending {
  request: DP.Request;
  resolve(r: DP.Response): void;
}

export class DebugLink {
  readonly buffer: SharedArrayBuffer = createChannel();
  readonly #post: (m: ToWorker) => void;
  readonly #control: Int32Array;
  readonly #poke: () => void;
  readonly #queue: Pending[] = [];
  readonly #listeners = new Set<(e: DP.Event) => void>();
  #inflight: Pending | undefined;
  #seq = 1;
  #failed: string | undefined;

  /** `poke` makes a running chunk look at the channel now (engine/poke.ts). */
  constructor(post: (m: ToWorker) => void, control: Int32Array, poke: () => void) {
    this.#post = post;
    this.#control = control;
    this.#poke = poke;
  }

  /** Sends a DAP request; resolves with its response (success false carries `message`). */
  request<R extends DP.Response = DP.Response>(command: string, args?: unknown): Promise<R> {
    const request: DP.Request = { seq: this.#seq++, type: "request", command, arguments: args };
    return new Promise<R>((resolve) => {
      if (this.#failed !== undefined) {
        resolve(this.#failure(request, this.#failed) as R);
        return;
      }
      this.#queue.push({ request, resolve: resolve as (r: DP.Response) => void });
      this.#pump();
    });
  }

  /** Listens to DAP events (stopped, output, …); returns the unsubscribe function. */
  onEvent(fn: (e: DP.Event) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #pump(): void {
    if (this.#inflight || this.#queue.length === 0) return;
    const next = this.#queue.shift()!;
    this.#inflight = next;
    sendRequest(this.buffer, next.request);
    Atomics.store(this.#control, Control.debug, 1);
    this.#post({ type: "debugPoke" });
    this.#poke();
  }

  /** A message from the worker. */
  receive(message: unknown): void {
    const m = message as DP.ProtocolMessage;
    if (m.type === "response") {
      const p = this.#inflight;
      this.#inflight = undefined;
      if (p) p.resolve({ ...(m as DP.Response), seq: 0 });
      this.#pump();
    } else if (m.type === "event") {
      for (const fn of this.#listeners) fn(m as DP.Event);
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

  #failure(request: DP.Request, message: string): DP.Response {
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
