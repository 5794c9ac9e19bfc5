/**
 * A connection's outgoing queue: data messages, commands and raw bytes (the greeting) in the
 * order they were sent, and their encoding into as few writes as possible.
 */

import { Deque } from "./queue.ts";
import { FLAG_COMMAND, FLAG_MORE, headerSize, writeFrameHeader } from "./wire.ts";

const KIND_DATA = 0;
const KIND_COMMAND = 1;
const KIND_RAW = 2;
interface OutItem {
  kind: number;
  frames: Uint8Array[];
}

const SCRATCH_SIZE = 64 * 1024;
const INLINE_MAX = 256 * 1024;
const BATCH_BYTES = 1024 * 1024;

export class OutQueue {
  readonly #items = new Deque<OutItem>();
  #messages = 0;
  #scratch: Uint8Array | null = null;

  /** Items queued (messages, commands, raw bytes). */
  get length(): number {
    return this.#items.length;
  }

  /** Data messages queued (what the high-water mark counts). */
  get messages(): number {
    return this.#messages;
  }

  /** Queues a data message. The frames are not copied. */
  pushData(frames: Uint8Array[]): void {
    this.#messages++;
    this.#items.push({ kind: KIND_DATA, frames });
  }

  /** Queues a command frame (its encoded body). */
  pushCommand(body: Uint8Array): void {
    this.#items.push({ kind: KIND_COMMAND, frames: [body] });
  }

  /** Queues bytes written as they are (no frame header). */
  pushRaw(bytes: Uint8Array[]): void {
    this.#items.push({ kind: KIND_RAW, frames: bytes });
  }

  clear(): void {
    this.#items.clear();
    this.#messages = 0;
  }

  /**
   * Encodes queued items into as few writes as possible: every async write costs far more than
   * copying a few hundred KiB, so headers and bodies up to INLINE_MAX go into one buffer (the
   * reusable scratch when it fits). Only larger bodies are written from the caller's memory.
   */
  nextBatch(): Uint8Array[] {
    const items: OutItem[] = [];
    let copyBytes = 0;
    let total = 0;
    while (this.#items.length > 0 && total < BATCH_BYTES) {
      const item = this.#items.shift()!;
      if (item.kind === KIND_DATA) this.#messages--;
      items.push(item);
      for (const f of item.frames) {
        const h = item.kind === KIND_RAW ? 0 : headerSize(f.length);
        copyBytes += h + (f.length <= INLINE_MAX ? f.length : 0);
        total += h + f.length;
      }
    }
    let out: Uint8Array;
    if (copyBytes > SCRATCH_SIZE) {
      out = new Uint8Array(copyBytes);
    } else {
      // Grown to what this peer's writes need: most peers only ever get a greeting and PONGs,
      // and 64 KiB for each of a thousand idle peers was most of a flooded kernel's memory.
      if (!this.#scratch || this.#scratch.length < copyBytes) {
        this.#scratch = new Uint8Array(Math.min(SCRATCH_SIZE, Math.max(512, 2 * copyBytes)));
      }
      out = this.#scratch;
    }
    const parts: Uint8Array[] = [];
    let start = 0;
    let pos = 0;
    for (const item of items) {
      const frames = item.frames;
      const last = frames.length - 1;
      for (let i = 0; i <= last; i++) {
        const f = frames[i];
        if (item.kind !== KIND_RAW) {
          const flags = item.kind === KIND_COMMAND ? FLAG_COMMAND : i < last ? FLAG_MORE : 0;
          pos = writeFrameHeader(out, pos, flags, f.length);
        }
        if (f.length <= INLINE_MAX) {
          out.set(f, pos);
          pos += f.length;
        } else {
          if (pos > start) parts.push(out.subarray(start, pos));
          parts.push(f);
          start = pos;
        }
      }
    }
    if (pos > start) parts.push(out.subarray(start, pos));
    return parts;
  }
}
