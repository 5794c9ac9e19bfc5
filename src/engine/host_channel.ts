/**
 * The host-call channel (ARCHITECTURE.md §2): Lua in the worker calls a service on the
 * main thread and waits for its answer, interruptibly. One shared buffer, one call at a
 * time (Lua is synchronous; the coroutine scheduler of a later issue will keep several in
 * flight, which is why calls carry an id).
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
 * After an answer the main thread listens for the next call for a short while with
 * Atomics.wait (HOST_LISTEN_MS): a script making calls in a loop then costs a few
 * microseconds per call instead of a message through the event loop each (~25 µs). It
 * stops listening after HOST_BURST_MS of back-to-back calls, so sockets and timers are
 * served meanwhile. The worker waits with Atomics.wait and asks `stop()` between waits
 * (the interrupt signal): an interrupt ends the wait, and the answer that comes later is
 * dropped.
 *
 * Layout: Int32 [state, needsWake, id, length, status], then the data: a request is the
 * method name (LEB128 length, UTF-8) and the arguments (src/engine/host_values.ts, a sequence); an
 * answer is the results (a sequence) or, for an error, the message in UTF-8.
 */

const STATE = 0;
const NEEDS_WAKE = 1;
const ID = 2;
const LENGTH = 3;
const STATUS = 4;
const HEADER = 32;

const IDLE = 0;
const REQUEST = 1;
const TAKEN = 2;
const ANSWER = 3;

/** How an answer ended. */
export const HostStatus = { ok: 0, error: 1 } as const;

/** How long the main thread listens for a next call after an answer. */
export const HOST_LISTEN_MS = 0.25;
/** The longest the main thread serves calls back to back before it turns to its others. */
export const HOST_BURST_MS = 8;

const INITIAL_BYTES = 64 * 1024;
/** The channel's largest message: 1 GiB (memory is committed only as messages need it). */
const MAX_BYTES = 1 << 30;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function header(sab: SharedArrayBuffer): Int32Array {
  return new Int32Array(sab, 0, HEADER / 4);
}

function ensureRoom(sab: SharedArrayBuffer, bytes: number): void {
  const want = HEADER + bytes;
  if (want > MAX_BYTES) throw new Error(`host call too large (${bytes} bytes)`);
  if (sab.byteLength < want) sab.grow(Math.min(MAX_BYTES, Math.max(want, sab.byteLength * 2)));
}

/** An answer as the worker reads it: a view valid until the next call. */
export interface HostAnswer {
  status: number;
  data: Uint8Array;
}

/** Worker side. */
export class HostCaller {
  #sab: SharedArrayBuffer | undefined;
  #h: Int32Array | undefined;
  /** The data area; tracks the buffer's length as it grows. */
  #data: Uint8Array | undefined;
  /** Method names with their length prefix, encoded once. */
  readonly #names = new Map<string, Uint8Array>();
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
    let first = false;
    if (!this.#sab) {
      this.#sab = new SharedArrayBuffer(INITIAL_BYTES, { maxByteLength: MAX_BYTES });
      this.#h = header(this.#sab);
      this.#data = new Uint8Array(this.#sab, HEADER);
      Atomics.store(this.#h, NEEDS_WAKE, 1);
      first = true;
    }
    const sab = this.#sab;
    const h = this.#h!;
    this.#settlePrevious(h);
    let name = this.#names.get(method);
    if (!name) this.#names.set(method, name = methodName(method));
    ensureRoom(sab, name.length + args.length);
    const data = this.#data!;
    data.set(name);
    data.set(args, name.length);
    const id = this.#nextId++;
    Atomics.store(h, ID, id);
    Atomics.store(h, LENGTH, name.length + args.length);
    Atomics.store(h, STATE, REQUEST);
    Atomics.notify(h, STATE);
    if (Atomics.compareExchange(h, NEEDS_WAKE, 1, 0) === 1) this.#wake(first ? sab : undefined);
    for (;;) {
      const state = Atomics.load(h, STATE);
      if (state === ANSWER && Atomics.load(h, ID) === id) {
        const len = Atomics.load(h, LENGTH);
        const status = Atomics.load(h, STATUS);
        const answer = { status, data: this.#data!.subarray(0, len) };
        Atomics.store(h, STATE, IDLE);
        return answer;
      }
      if (stop()) {
        // Withdrawn if not taken yet; a taken call's answer is dropped at the next call.
        Atomics.compareExchange(h, STATE, REQUEST, IDLE);
        return null;
      }
      // Not a sleep: wakes at once on the answer or a nudge; the timeout re-checks `stop`.
      Atomics.wait(h, STATE, state, 100);
    }
  }

  /** Waits out an abandoned call the main thread is still serving, and drops its answer. */
  #settlePrevious(h: Int32Array): void {
    for (;;) {
      const state = Atomics.load(h, STATE);
      if (state === IDLE) return;
      if (state === ANSWER) {
        Atomics.store(h, STATE, IDLE);
        return;
      }
      Atomics.wait(h, STATE, state, 100);
    }
  }
}

/** A method name as a request starts with it: its length (LEB128), its UTF-8 bytes. */
function methodName(method: string): Uint8Array {
  const bytes = encoder.encode(method);
  const out: number[] = [];
  let n = bytes.length;
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return new Uint8Array([...out, ...bytes]);
}

/** A call as the main thread reads it. */
export interface HostRequest {
  id: number;
  method: string;
  /** The encoded arguments: a view, valid until the call is answered. */
  args: Uint8Array;
}

/** Main side of one channel. */
export class HostChannel {
  readonly #sab: SharedArrayBuffer;
  readonly #h: Int32Array;
  /** The data area; tracks the buffer's length as it grows. */
  readonly #data: Uint8Array;
  /** Method names by their encoded bytes, decoded once. */
  readonly #names = new Map<string, string>();

  constructor(sab: SharedArrayBuffer) {
    this.#sab = sab;
    this.#h = header(sab);
    this.#data = new Uint8Array(sab, HEADER);
  }

  /** Takes the waiting call, if any. */
  take(): HostRequest | undefined {
    const h = this.#h;
    if (Atomics.compareExchange(h, STATE, REQUEST, TAKEN) !== REQUEST) return undefined;
    const id = Atomics.load(h, ID);
    const len = Atomics.load(h, LENGTH);
    const data = this.#data;
    let n = 0;
    let shift = 0;
    let pos = 0;
    for (;;) {
      const b = data[pos++];
      n |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    // Names are short ASCII: a key of their char codes finds the decoded name.
    let key = "";
    for (let i = pos; i < pos + n; i++) key += String.fromCharCode(data[i]);
    let method = this.#names.get(key);
    if (method === undefined) {
      this.#names.set(key, method = decoder.decode(data.slice(pos, pos + n)));
    }
    return { id, method, args: data.subarray(pos + n, len) };
  }

  /** Answers call `id` with encoded results or an error message. */
  answer(id: number, status: number, payload: Uint8Array | string): void {
    const h = this.#h;
    const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
    ensureRoom(this.#sab, bytes.length);
    this.#data.set(bytes);
    Atomics.store(h, ID, id);
    Atomics.store(h, LENGTH, bytes.length);
    Atomics.store(h, STATUS, status);
    Atomics.store(h, STATE, ANSWER);
    Atomics.notify(h, STATE);
  }

  /**
   * Waits up to `ms` for the next call (true when one is there). Blocks this thread for at
   * most `ms`: see HOST_LISTEN_MS.
   */
  listen(ms: number): boolean {
    const h = this.#h;
    const end = performance.now() + ms;
    for (;;) {
      const state = Atomics.load(h, STATE);
      if (state === REQUEST) return true;
      const left = end - performance.now();
      if (left <= 0) return false;
      Atomics.wait(h, STATE, state, left);
    }
  }

  /**
   * Stops listening. True when a call came in meanwhile and is this side's to serve (the
   * worker saw it listening and posted no wake-up).
   */
  stopListening(): boolean {
    const h = this.#h;
    Atomics.store(h, NEEDS_WAKE, 1);
    return Atomics.load(h, STATE) === REQUEST &&
      Atomics.compareExchange(h, NEEDS_WAKE, 1, 0) === 1;
  }

  /** Wakes the worker if it waits for an answer (an interrupt). */
  nudge(): void {
    Atomics.notify(this.#h, STATE);
  }
}
