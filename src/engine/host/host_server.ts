/**
 * Main-thread side of the host-call channel (host_channel.ts): takes each call, hands its
 * method and arguments to `dispatch` and answers, then listens for the next call a short
 * while (HOST_LISTEN_MS). Loaded by the engine handle at the worker's first host call.
 */
import {
  decodeEnvelope,
  decodeNumbers,
  encodeLasting,
  encodeNumbers,
  encodeTicketAnswer,
  HOST_BURST_MS,
  HOST_LISTEN_MS,
  HostChannel,
  HostMethod,
  type HostRequest,
  HostStatus,
} from "../shared/host_channel.ts";
import type { CallMeta, DispatchResult } from "./host_link.ts";
import { HostTickets, type TicketAnswer } from "./host_tickets.ts";
import { isLlmspellError } from "../../errors.ts";

/**
 * Serves one call (host_link.ts DispatchResult). `args` is a view of the channel, valid
 * until the call is answered. A thrown error's message becomes the script's error.
 */
export type HostDispatch = (method: string, args: Uint8Array, meta?: CallMeta) => DispatchResult;

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

function errorMessage(e: unknown): string {
  if (isLlmspellError(e)) return e.hint ? `${e.message} (${e.hint})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

export class HostServer {
  readonly #channel: HostChannel;
  readonly #dispatch: HostDispatch;
  /** A call whose answer comes later is being served. */
  #waiting = false;
  readonly #tickets = new HostTickets();
  /**
   * The channel whose message brings `serve` back after one turn of the event loop, sooner
   * than setTimeout(0), whose timer waits at least a millisecond (the worker's calls wait
   * meanwhile: that was up to a tenth of a tight loop's time). Kept while bursts follow one
   * another and closed when the worker stops calling: a new channel at each burst cost ~90 µs
   * (~1% of a loop of State calls), a message on a kept one ~5-15 µs. Not one channel for the
   * process, its port unref'd: Deno 2.9 refs a port again at each message it takes, so such a
   * channel would keep the process alive after the engine.
   */
  #turns: MessageChannel | undefined;

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
        if (!this.#answer(req)) {
          // Served again once the answer comes: nothing may keep the process alive meanwhile.
          this.#endTurns();
          return;
        }
        continue;
      }
      if (performance.now() - start > HOST_BURST_MS) {
        // Still listening as far as the worker knows: come back after the event loop's turn.
        this.#afterTurn();
        return;
      }
      if (this.#channel.listen(HOST_LISTEN_MS)) continue;
      if (this.#channel.stopListening()) continue;
      // The worker wakes this side at its next call: a turn still to come is not needed.
      this.#endTurns();
      return;
    }
  }

  #afterTurn(): void {
    if (!this.#turns) {
      this.#turns = new MessageChannel();
      this.#turns.port1.onmessage = () => this.serve();
    }
    this.#turns.port2.postMessage(null);
  }

  #endTurns(): void {
    const turns = this.#turns;
    if (!turns) return;
    this.#turns = undefined;
    // Without its handler: close() delivers a message still queued, which would serve now.
    turns.port1.onmessage = null;
    turns.port1.close();
    turns.port2.close();
  }

  /** Answers `req`; false when its answer comes later. */
  #answer(req: HostRequest): boolean {
    const answer = this.#serveCall(req);
    if (!(answer instanceof Promise)) {
      this.#channel.answer(req.id, answer.status, answer.data);
      return true;
    }
    this.#waiting = true;
    answer.then((a) => this.#channel.answer(req.id, a.status, a.data)).finally(() => {
      this.#waiting = false;
      this.serve();
    });
    return false;
  }

  /** The answer to `req`: a call, or one of the calls around calls (HostMethod). */
  #serveCall(req: HostRequest): TicketAnswer | Promise<TicketAnswer> {
    switch (req.method) {
      case HostMethod.span: {
        const e = decodeEnvelope(req.args);
        // A branch's call that could not be submitted is as concurrent as a submitted one.
        const branch = e.branch ? { concurrent: true, branch: e.branch } : {};
        return this.#run(e.method, e.args, { span: e.span || undefined, ...branch });
      }
      case HostMethod.submit: {
        const e = decodeEnvelope(req.args);
        // Answered now: the arguments must outlive the slot's view of them.
        const abort = new AbortController();
        const meta = {
          span: e.span || undefined,
          concurrent: true,
          branch: e.branch || undefined,
          signal: abort.signal,
        };
        const ticket = this.#tickets.submit(this.#run(e.method, e.args.slice(), meta), abort);
        return { status: HostStatus.ok, data: encodeNumbers([ticket]) };
      }
      case HostMethod.wait: {
        const got = this.#tickets.wait(decodeNumbers(req.args));
        const answer = ([ticket, a]: [number, TicketAnswer]) => ({
          status: HostStatus.ok,
          data: encodeTicketAnswer(ticket, a.status, a.data),
        });
        return got instanceof Promise ? got.then(answer) : answer(got);
      }
      case HostMethod.drop:
        this.#tickets.drop(decodeNumbers(req.args));
        return { status: HostStatus.ok, data: EMPTY };
    }
    return this.#run(req.method, req.args);
  }

  /** Runs one call; its answer, now or later. */
  #run(method: string, args: Uint8Array, meta?: CallMeta): TicketAnswer | Promise<TicketAnswer> {
    const failed = (e: unknown) => ({
      status: HostStatus.error,
      data: encoder.encode(errorMessage(e)),
    });
    let result;
    try {
      result = this.#dispatch(method, args, meta);
    } catch (e) {
      return failed(e);
    }
    if (result instanceof Uint8Array) return { status: HostStatus.ok, data: result };
    if (!(result instanceof Promise)) {
      return { status: HostStatus.lasting, data: encodeLasting(result) };
    }
    return result.then((r) => ({ status: HostStatus.ok, data: r }), failed);
  }

  /**
   * An interrupt: the submitted calls are dropped (the host functions' signal aborts them)
   * and a wait for them ends.
   */
  interrupt(): void {
    this.#tickets.interrupt();
    this.nudge();
  }

  /** Wakes the worker if it waits for an answer (an interrupt). */
  nudge(): void {
    this.#channel.nudge();
  }
}
