/**
 * Main-thread side of the host-call channel (host_channel.ts): takes each call, hands its
 * method and arguments to `dispatch` and answers, then listens for the next call a short
 * while (HOST_LISTEN_MS). Loaded by the engine handle at the worker's first host call.
 */
import {
  encodeLasting,
  HOST_BURST_MS,
  HOST_LISTEN_MS,
  HostChannel,
  type HostRequest,
  HostStatus,
} from "../shared/host_channel.ts";
import type { DispatchResult } from "./host_link.ts";
import { isLlmspellError } from "../../errors.ts";

/**
 * Serves one call (host_link.ts DispatchResult). `args` is a view of the channel, valid
 * until the call is answered. A thrown error's message becomes the script's error.
 */
export type HostDispatch = (method: string, args: Uint8Array) => DispatchResult;

function errorMessage(e: unknown): string {
  if (isLlmspellError(e)) return e.hint ? `${e.message} (${e.hint})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Calls `fn` after one turn of the event loop (sockets and timers served), sooner than
 * setTimeout(0), whose timer waits at least a millisecond: the worker's calls wait
 * meanwhile, so that was up to a tenth of a tight loop's time.
 */
function afterTurn(fn: () => void): void {
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {
    port1.close();
    fn();
  };
  port2.postMessage(null);
  port2.close();
}

export class HostServer {
  readonly #channel: HostChannel;
  readonly #dispatch: HostDispatch;
  /** A call whose answer comes later is being served. */
  #waiting = false;

  constructor(sab: SharedArrayBuffer, dispatch: HostDispatch) {
    this.#channel = new HostChannel(sab);
    this.#dispatch = dispatch;
  }

  /** Serves the calls waiting, then listens for more (at each wake-up from the worker). */
  serve(): void {
    if (this.#waiting) return;
    const start = performance.now();
    for (;;) {
      const req = this.#channel.take();
      if (req) {
        if (!this.#answer(req)) return;
        continue;
      }
      if (performance.now() - start > HOST_BURST_MS) {
        // Still listening as far as the worker knows: come back after the event loop's turn.
        afterTurn(() => this.serve());
        return;
      }
      if (this.#channel.listen(HOST_LISTEN_MS)) continue;
      if (this.#channel.stopListening()) continue;
      return;
    }
  }

  /** Answers `req`; false when its answer comes later. */
  #answer(req: HostRequest): boolean {
    let result;
    try {
      result = this.#dispatch(req.method, req.args);
    } catch (e) {
      this.#channel.answer(req.id, HostStatus.error, errorMessage(e));
      return true;
    }
    if (result instanceof Uint8Array) {
      this.#channel.answer(req.id, HostStatus.ok, result);
      return true;
    }
    if (!(result instanceof Promise)) {
      this.#channel.answer(req.id, HostStatus.lasting, encodeLasting(result));
      return true;
    }
    this.#waiting = true;
    result.then(
      (r) => this.#channel.answer(req.id, HostStatus.ok, r),
      (e) => this.#channel.answer(req.id, HostStatus.error, errorMessage(e)),
    ).finally(() => {
      this.#waiting = false;
      this.serve();
    });
    return false;
  }

  /** Wakes the worker if it waits for an answer (an interrupt). */
  nudge(): void {
    this.#channel.nudge();
  }
}
