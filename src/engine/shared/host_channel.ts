/**
 * The host-call channel (ARCHITECTURE.md §2): Lua in the worker calls a service on the
 * main thread and waits for its answer, interruptibly. One shared buffer, one call at a
 * time; several calls are in flight at once through it by tickets (`host.submit`, below),
 * which is how a workflow's parallel branches overlap.
 *
 * The worker creates the buffer at its first call, so an engine that never calls the host
 * allocates nothing, and hands it over with its first wake-up message. Then:
 *
 *  1. the worker writes `{id, method, args}` and sets `state` to REQUEST; if the main
 *     thread is not listening (`needsWake`), it posts a wake-up message;
 *  2. the main thread takes the call (TAKEN), serves it and writes `{id, ok | error}`
 *     (ANSWER);
 *  3. the worker reads the answer and sets `state` back to IDLE.
 *
 * After an answer the main thread listens for the next call for a short while
 * (HOST_LISTEN_MS), spinning first (HOST_SPIN_MS) and then in Atomics.wait, and the worker
 * spins for its answer before it waits (HOST_ANSWER_SPIN_MS): a script making calls in a
 * loop then costs a few microseconds per call instead of a message through the event loop
 * each (~25 µs), or two futex wake-ups (tens of µs on a VM). It stops listening after
 * HOST_BURST_MS of back-to-back calls, so sockets and timers are served meanwhile. The worker
 * waits with Atomics.wait and asks `stop()` between waits (the interrupt signal): an
 * interrupt ends the wait, and the answer that comes later is dropped.
 *
 * The slot is call_slot.ts's, which the debugger's request channel shares: a request is the
 * method name and the arguments (src/engine/shared/host_values.ts, a sequence); an answer is the
 * results (a sequence), for an error the message in UTF-8, or results that last (see
 * LastingResults).
 */

import {
  CallSlot,
  createSlotBuffer,
  methodName,
  NEEDS_WAKE,
  type SlotAnswer,
  type SlotCall,
  SlotState,
  Spinner,
} from "./call_slot.ts";
import { ValueReader, ValueWriter } from "./host_values.ts";

/**
 * How an answer ended. `lasting`: results, and how long they stay the answer to the same
 * call (LastingResults, encoded by `encodeLasting`).
 */
export const HostStatus = { ok: 0, error: 1, lasting: 2 } as const;

/**
 * Results that stay the answer to the same call (same method, same arguments) for as long
 * as the first `token.length` bytes of `file` read `token`: a file that every change of
 * what the answer depends on rewrites, even a change by another process (the store's WAL
 * index, src/store/store.ts `changeToken`). The worker keeps them and answers the same call
 * again itself once it has read the file (src/engine/worker/answer_cache.ts).
 */
export interface LastingResults {
  /** The encoded results (a sequence, host_values.ts). */
  results: Uint8Array;
  file: string;
  token: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Calls the engine's host server serves itself, around another call (an envelope: the span
 * it was made under, then the call as it would have been put: its method name and encoded
 * arguments; `encodeEnvelope`):
 *
 *  - `host.span`: the call, under a span of the Lua side (HostDispatcher's CallMeta.span),
 *    or made in a branch that cannot yield (CallMeta.branch).
 *  - `host.submit`: starts the call and answers at once with a ticket (a LEB128 number);
 *    the call runs on the main thread meanwhile. A scheduled coroutine's host call is
 *    submitted, and the coroutine yields (src/engine/worker/api_globals.ts).
 *  - `host.wait` (arguments: the tickets, LEB128 each): waits until one of them has its
 *    answer, which it gives: the ticket, the status and the answer's data (`encodeTicketAnswer`).
 *    Interruptible like any call; an interrupt drops every ticket.
 *  - `host.drop` (the tickets): their answers are no longer wanted (a branch cancelled); their
 *    calls are aborted (CallMeta.signal).
 */
export const HostMethod = {
  span: "host.span",
  submit: "host.submit",
  wait: "host.wait",
  drop: "host.drop",
} as const;

/**
 * A call inside an envelope: the span (0: none), the branch it was made in (a workflow's
 * parallel branch, "2/1"; "" outside one: CallMeta.branch), the method name (methodName),
 * the arguments.
 */
export function encodeEnvelope(
  span: number,
  name: Uint8Array,
  args: Uint8Array,
  branch = "",
): Uint8Array {
  const b = encoder.encode(branch);
  const w = new ValueWriter(name.length + args.length + b.length + 16);
  w.uleb(span);
  w.uleb(b.length);
  w.raw(b);
  w.raw(name);
  w.raw(args);
  return w.bytes();
}

/** Reads an envelope (the arguments are a view of `data`). */
export function decodeEnvelope(
  data: Uint8Array,
): { span: number; branch: string; method: string; args: Uint8Array } {
  const r = new ValueReader(data);
  const span = r.uleb();
  const branchLength = r.uleb();
  const branch = decoder.decode(data.subarray(r.pos, r.pos += branchLength));
  const length = r.uleb();
  const method = decoder.decode(data.subarray(r.pos, r.pos += length));
  return { span, branch, method, args: data.subarray(r.pos) };
}

/** Numbers as LEB128, one after the other (tickets). */
export function encodeNumbers(ns: Iterable<number>): Uint8Array {
  const w = new ValueWriter(16);
  for (const n of ns) w.uleb(n);
  return w.bytes();
}

/** Reads `encodeNumbers`. */
export function decodeNumbers(data: Uint8Array): number[] {
  const r = new ValueReader(data);
  const out: number[] = [];
  while (r.pos < data.length) out.push(r.uleb());
  return out;
}

/** `host.wait`'s answer: the ticket, the status of the ticket's answer, its data. */
export function encodeTicketAnswer(ticket: number, status: number, data: Uint8Array): Uint8Array {
  const w = new ValueWriter(data.length + 8);
  w.uleb(ticket);
  w.uleb(status);
  w.raw(data);
  return w.bytes();
}

/** Reads `host.wait`'s answer (the data is a view of `data`). */
export function decodeTicketAnswer(
  data: Uint8Array,
): { ticket: number; status: number; data: Uint8Array } {
  const r = new ValueReader(data);
  const ticket = r.uleb();
  const status = r.uleb();
  return { ticket, status, data: data.subarray(r.pos) };
}

/** A `lasting` answer: the file's name and the token (each LEB128 length, bytes), the results. */
export function encodeLasting(l: LastingResults): Uint8Array {
  const file = encoder.encode(l.file);
  const w = new ValueWriter(file.length + l.token.length + l.results.length + 10);
  w.uleb(file.length);
  w.raw(file);
  w.uleb(l.token.length);
  w.raw(l.token);
  w.raw(l.results);
  return w.bytes();
}

/** Reads a `lasting` answer (views of `data`, valid as long as it is). */
export function decodeLasting(data: Uint8Array): LastingResults {
  const r = new ValueReader(data);
  const fileLength = r.uleb();
  const file = decoder.decode(data.subarray(r.pos, r.pos += fileLength));
  const tokenLength = r.uleb();
  const token = data.subarray(r.pos, r.pos += tokenLength);
  return { file, token, results: data.subarray(r.pos) };
}

/** How long the main thread listens for a next call after an answer. */
export const HOST_LISTEN_MS = 0.25;
/**
 * How long the main thread spins for the worker's next call before it sleeps in Atomics.wait
 * (call_slot.ts Spinner): a Lua loop of host calls (decoding, the loop, encoding) sometimes
 * takes longer than 30 µs between an answer and its next call, and a wake-up costs ~20 µs.
 */
export const HOST_SPIN_MS = 0.1;
/**
 * How long the worker spins for an answer before it sleeps: longer than the main thread's
 * spin, since a call that writes the database (a recorded State.set, ~120 µs) outlasts it,
 * and then both wake-ups (~25 µs each on a VM) come back. The Spinner's back-off stops it
 * spinning where answers take longer or the cores are busy.
 */
export const HOST_ANSWER_SPIN_MS = 0.3;
/** The longest the main thread serves calls back to back before it turns to its others. */
export const HOST_BURST_MS = 8;

const INITIAL_BYTES = 64 * 1024;
/** The channel's largest message: 1 GiB (memory is committed only as messages need it). */
const MAX_BYTES = 1 << 30;
const WHAT = "host call";

/** An answer as the worker reads it: a view valid until the next call. */
export type HostAnswer = SlotAnswer;

/** Worker side. */
export class HostCaller {
  #slot: CallSlot | undefined;
  /** Method names with their length prefix, encoded once. */
  readonly #names = new Map<string, Uint8Array>();
  readonly #spinner = new Spinner(HOST_ANSWER_SPIN_MS);
  #nextId = 1;
  readonly #wake: (buffer: SharedArrayBuffer | undefined) => void;

  /** `wake` posts the wake-up message (with the buffer, the first time). */
  constructor(wake: (buffer: SharedArrayBuffer | undefined) => void) {
    this.#wake = wake;
  }

  /**
   * Calls `method` with encoded arguments; null when `stop()` ended the wait (the call
   * is abandoned).
   */
  call(method: string, args: Uint8Array, stop: () => boolean): HostAnswer | null {
    let first: SharedArrayBuffer | undefined;
    if (!this.#slot) {
      first = createSlotBuffer(INITIAL_BYTES, MAX_BYTES);
      this.#slot = new CallSlot(first, WHAT);
      Atomics.store(this.#slot.header, NEEDS_WAKE, 1);
    }
    const slot = this.#slot;
    this.#settlePrevious(slot);
    const name = this.name(method);
    const id = this.#nextId++;
    slot.put(id, name, args);
    if (Atomics.compareExchange(slot.header, NEEDS_WAKE, 1, 0) === 1) this.#wake(first);
    this.#spinner.until(slot, SlotState.answer);
    for (;;) {
      const state = slot.state;
      if (state === SlotState.answer) {
        const answer = slot.readAnswer(id);
        if (answer) return answer;
      }
      if (stop()) {
        // Withdrawn if not taken yet; a taken call's answer is dropped at the next call.
        slot.withdraw();
        return null;
      }
      // Not a sleep: wakes at once on the answer or a nudge; the timeout re-checks `stop`.
      slot.wait(state, 100);
    }
  }

  /** `method`'s name as a call starts with it (call_slot.ts methodName), made once. */
  name(method: string): Uint8Array {
    let name = this.#names.get(method);
    if (!name) this.#names.set(method, name = methodName(method));
    return name;
  }

  /** Waits out an abandoned call the main thread is still serving, and drops its answer. */
  #settlePrevious(slot: CallSlot): void {
    for (;;) {
      const state = slot.state;
      if (state === SlotState.idle) return;
      if (state === SlotState.answer) {
        slot.release();
        return;
      }
      slot.wait(state, 100);
    }
  }
}

/** A call as the main thread reads it. */
export type HostRequest = SlotCall;

/** Main side of one channel. */
export class HostChannel {
  readonly #slot: CallSlot;
  readonly #spinner = new Spinner(HOST_SPIN_MS);

  constructor(sab: SharedArrayBuffer) {
    this.#slot = new CallSlot(sab, WHAT);
  }

  /** Takes the waiting call, if any. */
  take(): HostRequest | undefined {
    return this.#slot.take();
  }

  /** Answers call `id` with encoded results or an error message. */
  answer(id: number, status: number, payload: Uint8Array | string): void {
    this.#slot.answer(id, status, payload);
  }

  /**
   * Waits up to `ms` for the next call (true when one is there). Blocks this thread for at
   * most `ms`: see HOST_LISTEN_MS.
   */
  listen(ms: number): boolean {
    const slot = this.#slot;
    if (this.#spinner.until(slot, SlotState.request) === SlotState.request) return true;
    const end = performance.now() + ms;
    for (;;) {
      const state = slot.state;
      if (state === SlotState.request) return true;
      const left = end - performance.now();
      if (left <= 0) return false;
      slot.wait(state, left);
    }
  }

  /**
   * Stops listening. True when a call came in meanwhile and is this side's to serve (the
   * worker saw it listening and posted no wake-up).
   */
  stopListening(): boolean {
    const h = this.#slot.header;
    Atomics.store(h, NEEDS_WAKE, 1);
    return this.#slot.state === SlotState.request &&
      Atomics.compareExchange(h, NEEDS_WAKE, 1, 0) === 1;
  }

  /** Wakes the worker if it waits for an answer (an interrupt). */
  nudge(): void {
    this.#slot.nudge();
  }
}
