/**
 * The input mailbox: how a line typed by a kernel client reaches Lua blocked in io.read
 * or input(). The worker posts an input record on the output ring and waits here with
 * Atomics.wait (checking the interrupt signal between waits); the main thread writes the
 * answer and notifies.
 *
 * Layout: Int32 [state, length], then the answer's bytes (src/byte_string.ts encodeText).
 */
import { decodeBytes, encodeText } from "../byte_string.ts";

const STATE = 0;
const LENGTH = 1;
const HEADER = 8;

/** Mailbox states. */
export const MailState = {
  waiting: 0,
  value: 1,
  eof: 2,
  /** The request cannot be served (no stdin); the bytes are the message. */
  error: 3,
} as const;

export function createMailbox(capacity = 1 << 20): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + capacity);
}

/** Main-thread side: answers the pending request. */
export function postAnswer(
  sab: SharedArrayBuffer,
  state: typeof MailState.value | typeof MailState.eof | typeof MailState.error,
  text = "",
): void {
  const h = new Int32Array(sab, 0, 2);
  const data = new Uint8Array(sab, HEADER);
  let bytes = encodeText(text);
  if (bytes.length > data.length) bytes = bytes.subarray(0, data.length);
  data.set(bytes);
  Atomics.store(h, LENGTH, bytes.length);
  Atomics.store(h, STATE, state);
  Atomics.notify(h, STATE);
}

/** Wakes a waiting worker without answering (it re-checks the interrupt signal). */
export function nudge(sab: SharedArrayBuffer): void {
  Atomics.notify(new Int32Array(sab, 0, 2), STATE);
}

/** Worker side: resets before a request. */
export function resetMailbox(sab: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(sab, 0, 2), STATE, MailState.waiting);
}

/**
 * Worker side: waits for the answer; `stop()` is asked between waits and ends the wait
 * with null when it returns true.
 */
export function awaitAnswer(
  sab: SharedArrayBuffer,
  stop: () => boolean,
): { state: number; text: string } | null {
  const h = new Int32Array(sab, 0, 2);
  for (;;) {
    const state = Atomics.load(h, STATE);
    if (state !== MailState.waiting) {
      const len = Atomics.load(h, LENGTH);
      const text = decodeBytes(new Uint8Array(sab, HEADER, len).slice());
      Atomics.store(h, STATE, MailState.waiting);
      return { state, text };
    }
    if (stop()) return null;
    // Not a sleep: wakes at once on an answer or a nudge; the timeout re-checks `stop`.
    Atomics.wait(h, STATE, MailState.waiting, 100);
  }
}
