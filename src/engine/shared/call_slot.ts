/**
 * One call at a time in shared memory between the engine's two threads: the primitive under
 * both request channels. The host-call channel (host_channel.ts) has the worker call the main
 * thread and wait for the answer in the slot; the debugger's request channel
 * (debug_channel.ts) has the main thread put a DAP request that the worker takes from a hook
 * or while stopped (its answer travels by postMessage, which a blocked worker can send).
 *
 * A call is `{id, method, args}`: the method name (LEB128 length, UTF-8), then the encoded
 * arguments. Its states:
 *
 *   IDLE → REQUEST (the caller put a call) → TAKEN (the server took it)
 *        → ANSWER (the server answered in the slot) → IDLE (the caller read the answer)
 *
 * or TAKEN → IDLE when the answer goes another way (`release`). The buffer grows as messages
 * need it (memory is committed only then) up to its maximum.
 *
 * Layout: Int32 [state, needsWake, id, length, status], then the data.
 */

const STATE = 0;
/** Host calls: set while the main thread is not listening (host_channel.ts). */
export const NEEDS_WAKE = 1;
const ID = 2;
const LENGTH = 3;
const STATUS = 4;
const HEADER = 32;

export const SlotState = { idle: 0, request: 1, taken: 2, answer: 3 } as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A method name as a call starts with it: its length (LEB128), its UTF-8 bytes. */
export function methodName(method: string): Uint8Array {
  const bytes = encoder.encode(method);
  const out: number[] = [];
  let n = bytes.length;
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return new Uint8Array([...out, ...bytes]);
}

/** A call as the server takes it. */
export interface SlotCall {
  id: number;
  method: string;
  /** The encoded arguments: a view of the slot, valid until the call is answered or released. */
  args: Uint8Array;
}

/** An answer as the caller reads it: a view valid until the next call. */
export interface SlotAnswer {
  status: number;
  data: Uint8Array;
}

/** A shared buffer of `bytes` that may grow to `maxBytes` (data area included). */
export function createSlotBuffer(bytes: number, maxBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + bytes, { maxByteLength: HEADER + maxBytes });
}

/** One side's view of a slot (each thread makes its own over the shared buffer). */
export class CallSlot {
  readonly header: Int32Array;
  readonly #sab: SharedArrayBuffer;
  /** The data area; tracks the buffer's length as it grows. */
  readonly #data: Uint8Array;
  /** Method names by their encoded bytes, decoded once. */
  readonly #names = new Map<string, string>();
  readonly #what: string;

  /** `what` names the channel in the error for a message too large. */
  constructor(sab: SharedArrayBuffer, what: string) {
    this.#sab = sab;
    this.header = new Int32Array(sab, 0, HEADER / 4);
    this.#data = new Uint8Array(sab, HEADER);
    this.#what = what;
  }

  get state(): number {
    return Atomics.load(this.header, STATE);
  }

  /** Waits while the state is `state`, at most `ms` (wakes at once on a change or a nudge). */
  wait(state: number, ms: number): void {
    Atomics.wait(this.header, STATE, state, ms);
  }

  /** Spins until the state is `target`, at most `ms`; the state it ends on (see Spinner). */
  spinUntil(target: number, ms: number): number {
    let state = Atomics.load(this.header, STATE);
    if (state === target) return state;
    const end = performance.now() + ms;
    for (let i = 1;; i++) {
      Atomics.pause();
      state = Atomics.load(this.header, STATE);
      if (state === target) return state;
      // The clock costs more than a load: look at it every 64 rounds.
      if ((i & 63) === 0 && performance.now() > end) return state;
    }
  }

  /** Wakes whoever waits on the slot. */
  nudge(): void {
    Atomics.notify(this.header, STATE);
  }

  #ensureRoom(bytes: number): void {
    const want = HEADER + bytes;
    const max = this.#sab.maxByteLength;
    if (want > max) throw new Error(`${this.#what} too large (${bytes} bytes)`);
    if (this.#sab.byteLength < want) {
      this.#sab.grow(Math.min(max, Math.max(want, this.#sab.byteLength * 2)));
    }
  }

  /** Caller: puts call `id` (an encoded method name and its arguments) and wakes the server. */
  put(id: number, name: Uint8Array, args: Uint8Array): void {
    const h = this.header;
    this.#ensureRoom(name.length + args.length);
    this.#data.set(name);
    this.#data.set(args, name.length);
    Atomics.store(h, ID, id);
    Atomics.store(h, LENGTH, name.length + args.length);
    Atomics.store(h, STATE, SlotState.request);
    Atomics.notify(h, STATE);
  }

  /** Caller: takes back a call the server has not taken yet (true when it was). */
  withdraw(): boolean {
    return Atomics.compareExchange(this.header, STATE, SlotState.request, SlotState.idle) ===
      SlotState.request;
  }

  /** Server: takes the waiting call, if any. */
  take(): SlotCall | undefined {
    const h = this.header;
    if (
      Atomics.compareExchange(h, STATE, SlotState.request, SlotState.taken) !== SlotState.request
    ) return undefined;
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

  /** Server: answers call `id` in the slot. */
  answer(id: number, status: number, payload: Uint8Array | string): void {
    const h = this.header;
    const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
    this.#ensureRoom(bytes.length);
    this.#data.set(bytes);
    Atomics.store(h, ID, id);
    Atomics.store(h, LENGTH, bytes.length);
    Atomics.store(h, STATUS, status);
    Atomics.store(h, STATE, SlotState.answer);
    Atomics.notify(h, STATE);
  }

  /**
   * Frees the slot: of a taken call whose answer goes another way (server), or of an answer
   * that nobody will read (caller).
   */
  release(): void {
    Atomics.store(this.header, STATE, SlotState.idle);
    Atomics.notify(this.header, STATE);
  }

  /** Caller: the answer to call `id` if it is there (the slot is idle again then). */
  readAnswer(id: number): SlotAnswer | undefined {
    const h = this.header;
    if (Atomics.load(h, STATE) !== SlotState.answer || Atomics.load(h, ID) !== id) return undefined;
    const len = Atomics.load(h, LENGTH);
    const answer = { status: Atomics.load(h, STATUS), data: this.#data.subarray(0, len) };
    Atomics.store(h, STATE, SlotState.idle);
    return answer;
  }
}

/** The most waits a Spinner skips spinning after spins that timed out. */
const SPIN_BACKOFF = 64;

/**
 * Spinning before sleeping, for one side of a slot. Waking a thread that sleeps in
 * Atomics.wait costs tens of microseconds on a VM, more than a State.get takes to serve,
 * while the other thread, if it is running, answers (or calls again) within a few: so a
 * side spins a little before it sleeps. But a spin only pays while the other thread runs:
 * on a machine with more runnable threads than cores it burns the time slice the other
 * thread waits for, and the scheduler then favours the threads that slept. So spins that
 * time out in a row make the next waits sleep at once: 1, 3, 7, ... up to SPIN_BACKOFF of
 * them. One that times out now and then (a slow call among fast ones) costs nothing more.
 */
export class Spinner {
  readonly #ms: number;
  #skip = 0;
  /** Spins that timed out in a row. */
  #failed = 0;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Spins until the slot's state is `target` (or gives up); the state it ends on. */
  until(slot: CallSlot, target: number): number {
    if (this.#skip > 0) {
      this.#skip--;
      return slot.state;
    }
    const state = slot.spinUntil(target, this.#ms);
    if (state === target) this.#failed = 0;
    else this.#skip = Math.min(SPIN_BACKOFF, 2 ** this.#failed++ - 1);
    return state;
  }
}
