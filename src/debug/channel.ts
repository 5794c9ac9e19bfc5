/**
 * The debugger's request channel in shared memory: one request at a time from the main
 * thread to the engine worker, which reads it from a hook or while stopped at a breakpoint
 * (it cannot receive messages then). Responses and events go back with postMessage, which a
 * blocked worker can still send.
 *
 * Layout: Int32 [state, length], then the request's UTF-8 JSON.
 */

const STATE = 0;
const LENGTH = 1;
const HEADER = 8;
const EMPTY = 0;
const FULL = 1;

export function createChannel(capacity = 1 << 20): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + capacity);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Main thread: puts a request in the (empty) channel and wakes a waiting worker. */
export function sendRequest(sab: SharedArrayBuffer, message: unknown): void {
  const h = new Int32Array(sab, 0, 2);
  const data = new Uint8Array(sab, HEADER);
  const bytes = encoder.encode(JSON.stringify(message));
  if (bytes.length > data.length) throw new Error("debug request too large");
  data.set(bytes);
  Atomics.store(h, LENGTH, bytes.length);
  Atomics.store(h, STATE, FULL);
  Atomics.notify(h, STATE);
}

/** Worker: takes the pending request, if any. */
export function takeRequest(sab: SharedArrayBuffer): unknown | undefined {
  const h = new Int32Array(sab, 0, 2);
  if (Atomics.load(h, STATE) !== FULL) return undefined;
  const len = Atomics.load(h, LENGTH);
  const text = decoder.decode(new Uint8Array(sab, HEADER, len).slice());
  Atomics.store(h, STATE, EMPTY);
  return JSON.parse(text);
}

/** Worker: blocks until a request arrives or `timeoutMs` passes. */
export function waitRequest(sab: SharedArrayBuffer, timeoutMs: number): unknown | undefined {
  const h = new Int32Array(sab, 0, 2);
  if (Atomics.load(h, STATE) !== FULL) Atomics.wait(h, STATE, EMPTY, timeoutMs);
  return takeRequest(sab);
}
