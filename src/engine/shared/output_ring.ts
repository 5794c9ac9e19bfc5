/**
 * A single-producer, single-consumer byte ring in shared memory that carries the script's
 * stdout and stderr from the worker to the main thread, in order. Writing costs a memory
 * copy and an Atomics.notify, so print() in a hot loop stays cheap, and output reaches the
 * main thread while Lua is still running (postMessage would only be seen between calls).
 * When the ring is full the writer waits for the reader: output is never dropped.
 *
 * Records: 1 byte stream id (1 stdout, 2 stderr), 4 bytes little-endian length, data.
 */

import { RingRecord } from "./protocol.ts";

const HEADER_INTS = 4;
const WRITTEN = 0; // total bytes written (wrapping int32)
const READ = 1; // total bytes consumed (wrapping int32)
const SEQ = 2; // bumped after each record, for Atomics.waitAsync
const RECORD_HEADER = 5;

/** 1 stdout, 2 stderr; 3-8 are the JSON records of protocol.ts `RingRecord`. */
export type StreamId = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const encoder = new TextEncoder();
/** JSON records longer than this are written in parts (RingRecord.part). */
const PART = 256 * 1024;

/** Writes one JSON record of type `stream`, in parts if it is long (see RingRecord). */
export function writeJson(out: RingWriter, stream: StreamId, value: unknown): void {
  const bytes = encoder.encode(JSON.stringify(value));
  let off = 0;
  while (bytes.length - off > PART) {
    out.write(RingRecord.part, bytes.subarray(off, off + PART));
    off += PART;
  }
  out.write(stream, bytes.subarray(off));
}

/** `capacity` must be a power of two, so positions stay consistent when the counters wrap. */
export function createRingBuffer(capacity = 1 << 20): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_INTS * 4 + capacity);
}

function views(sab: SharedArrayBuffer): { header: Int32Array; data: Uint8Array } {
  return {
    header: new Int32Array(sab, 0, HEADER_INTS),
    data: new Uint8Array(sab, HEADER_INTS * 4),
  };
}

/** Worker side. */
export class RingWriter {
  readonly #header: Int32Array;
  readonly #data: Uint8Array;
  readonly #capacity: number;

  constructor(sab: SharedArrayBuffer) {
    const v = views(sab);
    this.#header = v.header;
    this.#data = v.data;
    this.#capacity = v.data.length;
  }

  /** Writes `bytes` as one or more records; blocks while the reader has not made room. */
  write(stream: StreamId, bytes: Uint8Array): void {
    const maxChunk = this.#capacity - RECORD_HEADER;
    for (let off = 0; off < bytes.length; off += maxChunk) {
      this.#writeRecord(stream, bytes.subarray(off, Math.min(bytes.length, off + maxChunk)));
    }
  }

  #writeRecord(stream: StreamId, chunk: Uint8Array): void {
    const need = RECORD_HEADER + chunk.length;
    const h = this.#header;
    for (;;) {
      const read = Atomics.load(h, READ);
      const used = (Atomics.load(h, WRITTEN) - read) | 0;
      if (this.#capacity - used >= need) break;
      // Wait for the reader to move READ; the timeout only re-checks, it is not a sleep.
      Atomics.wait(h, READ, read, 100);
    }
    let pos = Atomics.load(h, WRITTEN);
    const head = new Uint8Array(RECORD_HEADER);
    head[0] = stream;
    new DataView(head.buffer).setUint32(1, chunk.length, true);
    pos = this.#copyIn(pos, head);
    pos = this.#copyIn(pos, chunk);
    Atomics.store(h, WRITTEN, pos);
    Atomics.add(h, SEQ, 1);
    Atomics.notify(h, SEQ);
  }

  #copyIn(pos: number, src: Uint8Array): number {
    const cap = this.#capacity;
    const at = ((pos % cap) + cap) % cap;
    const first = Math.min(src.length, cap - at);
    this.#data.set(src.subarray(0, first), at);
    if (first < src.length) this.#data.set(src.subarray(first), 0);
    return (pos + src.length) | 0;
  }
}

export interface StreamChunk {
  stream: StreamId;
  data: Uint8Array;
}

/** Main-thread side. */
export class RingReader {
  readonly #header: Int32Array;
  readonly #data: Uint8Array;
  readonly #capacity: number;

  constructor(sab: SharedArrayBuffer) {
    const v = views(sab);
    this.#header = v.header;
    this.#data = v.data;
    this.#capacity = v.data.length;
  }

  /** Takes every complete record written so far. */
  drain(): StreamChunk[] {
    const h = this.#header;
    const out: StreamChunk[] = [];
    let read = Atomics.load(h, READ);
    const written = Atomics.load(h, WRITTEN);
    while (((written - read) | 0) >= RECORD_HEADER) {
      const head = this.#copyOut(read, RECORD_HEADER);
      const len = new DataView(head.buffer).getUint32(1, true);
      const data = this.#copyOut((read + RECORD_HEADER) | 0, len);
      out.push({ stream: head[0] as StreamId, data });
      read = (read + RECORD_HEADER + len) | 0;
    }
    if (out.length > 0) {
      Atomics.store(h, READ, read);
      Atomics.notify(h, READ);
    }
    return out;
  }

  /** Resolves when a record may have been written after `seq` was read. */
  async waitForData(seq: number, signal: { cancelled: boolean }): Promise<void> {
    const r = Atomics.waitAsync(this.#header, SEQ, seq, 50);
    if (r.async && !signal.cancelled) await r.value;
  }

  get seq(): number {
    return Atomics.load(this.#header, SEQ);
  }

  #copyOut(pos: number, len: number): Uint8Array {
    const cap = this.#capacity;
    const at = ((pos % cap) + cap) % cap;
    const out = new Uint8Array(len);
    const first = Math.min(len, cap - at);
    out.set(this.#data.subarray(at, at + first));
    if (first < len) out.set(this.#data.subarray(0, len - first), first);
    return out;
  }
}
