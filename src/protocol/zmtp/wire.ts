/**
 * ZMTP 3.x wire format: greeting, frame headers, commands and READY metadata.
 *
 * Pure functions and a streaming decoder; no I/O here so the codec can be tested byte by byte.
 * References: RFC 23 (ZMTP 3.0) and RFC 37 (ZMTP 3.1).
 */

/** Frame flag: more frames follow in this message. */
export const FLAG_MORE = 0x01;
/** Frame flag: the size field is 8 bytes instead of 1. */
export const FLAG_LONG = 0x02;
/** Frame flag: the frame is a command, not message data. */
export const FLAG_COMMAND = 0x04;

/** Length of a ZMTP 3.x greeting. */
export const GREETING_SIZE = 64;
/** Greeting bytes that carry the signature (0xFF, 8 padding bytes, 0x7F). */
export const SIGNATURE_SIZE = 10;

/** The socket types this implementation speaks (plus the X variants a peer may be). */
export type SocketType = "ROUTER" | "DEALER" | "PUB" | "SUB" | "REQ" | "REP";

/** Which peer socket types each of ours accepts (RFC 37, "Socket-Type" compatibility). */
export const COMPATIBLE: Record<SocketType, readonly string[]> = {
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  PUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
};

/** A protocol violation by the peer; the connection is dropped, never the socket. */
export class ZmtpProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZmtpProtocolError";
  }
}

/** A peer went over a configured limit (size, count); dropped and logged as a warning. */
export class ZmtpLimitError extends ZmtpProtocolError {
  constructor(message: string) {
    super(message);
    this.name = "ZmtpLimitError";
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** ASCII/UTF-8 string to bytes. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Bytes to string (UTF-8, replacement on invalid input; only used for names and logs). */
export function text(b: Uint8Array): string {
  return decoder.decode(b);
}

/** Builds our 64-byte greeting: ZMTP 3.1, NULL mechanism. */
export function encodeGreeting(asServer: boolean, minor = 1): Uint8Array {
  const g = new Uint8Array(GREETING_SIZE);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = minor;
  g.set(utf8("NULL"), 12);
  g[32] = asServer ? 1 : 0;
  return g;
}

/** What we learn from a peer's greeting. */
export interface Greeting {
  major: number;
  minor: number;
  mechanism: string;
  asServer: boolean;
}

/**
 * Checks the first 10 bytes as soon as they arrive so that garbage (an HTTP request, random
 * bytes) is refused without waiting for 64 bytes that may never come.
 */
export function checkSignature(b: Uint8Array): void {
  if (b.length >= 1 && b[0] !== 0xff) throw new ZmtpProtocolError("bad greeting signature");
  // RFC 23: the 10th byte is 0x7F. libzmq tests only its low bit (ZMTP 1.0 detection); ZMTP 1.0
  // and 2.0 peers are not supported, so the whole byte must match.
  if (b.length >= SIGNATURE_SIZE && b[9] !== 0x7f) {
    throw new ZmtpProtocolError("bad greeting signature");
  }
  if (b.length > SIGNATURE_SIZE && b[10] < 3) {
    throw new ZmtpProtocolError(`unsupported ZMTP major version ${b[10]}`);
  }
}

/** Parses a complete 64-byte greeting. */
export function parseGreeting(b: Uint8Array): Greeting {
  if (b.length < GREETING_SIZE) throw new ZmtpProtocolError("truncated greeting");
  checkSignature(b);
  let end = 12;
  while (end < 32 && b[end] !== 0) end++;
  for (let i = end; i < 32; i++) {
    if (b[i] !== 0) throw new ZmtpProtocolError("bad mechanism padding");
  }
  return {
    major: b[10],
    minor: b[11],
    mechanism: text(b.subarray(12, end)),
    asServer: b[32] === 1,
  };
}

/** Encodes a frame header (flags + 1 or 8 byte size) into `out` at `pos`; returns new pos. */
export function writeFrameHeader(
  out: Uint8Array,
  pos: number,
  flags: number,
  size: number,
): number {
  if (size > 255) {
    out[pos] = flags | FLAG_LONG;
    // Sizes beyond 2^53 cannot exist in JS memory; the high word still needs to be correct.
    const hi = Math.floor(size / 0x100000000);
    const lo = size >>> 0;
    out[pos + 1] = hi >>> 24;
    out[pos + 2] = (hi >>> 16) & 0xff;
    out[pos + 3] = (hi >>> 8) & 0xff;
    out[pos + 4] = hi & 0xff;
    out[pos + 5] = lo >>> 24;
    out[pos + 6] = (lo >>> 16) & 0xff;
    out[pos + 7] = (lo >>> 8) & 0xff;
    out[pos + 8] = lo & 0xff;
    return pos + 9;
  }
  out[pos] = flags;
  out[pos + 1] = size;
  return pos + 2;
}

/** Size of a frame header for a body of `size` bytes. */
export function headerSize(size: number): number {
  return size > 255 ? 9 : 2;
}

/** Encodes one complete frame (header + body) as a fresh buffer. */
export function encodeFrame(flags: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(headerSize(body.length) + body.length);
  const pos = writeFrameHeader(out, 0, flags, body.length);
  out.set(body, pos);
  return out;
}

/** Command body: 1-byte name length, name, data. */
export function encodeCommandBody(name: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const n = utf8(name);
  const out = new Uint8Array(1 + n.length + data.length);
  out[0] = n.length;
  out.set(n, 1);
  out.set(data, 1 + n.length);
  return out;
}

/** A decoded command. */
export interface Command {
  name: string;
  data: Uint8Array;
}

/** Splits a command frame body into name and data. */
export function parseCommand(body: Uint8Array): Command {
  if (body.length < 1) throw new ZmtpProtocolError("empty command frame");
  const n = body[0];
  if (n === 0 || 1 + n > body.length) throw new ZmtpProtocolError("malformed command name");
  return { name: text(body.subarray(1, 1 + n)), data: body.subarray(1 + n) };
}

/** Encodes READY/INITIATE metadata: name-size(1) name value-size(4, BE) value. */
export function encodeMetadata(props: Record<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(props)) {
    const name = utf8(k);
    const head = new Uint8Array(1 + name.length + 4);
    head[0] = name.length;
    head.set(name, 1);
    new DataView(head.buffer).setUint32(1 + name.length, v.length);
    parts.push(head, v);
    total += head.length + v.length;
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Parses metadata; property names are case-insensitive so they are returned lower-cased. */
export function parseMetadata(data: Uint8Array): Map<string, Uint8Array> {
  const props = new Map<string, Uint8Array>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  while (pos < data.length) {
    const n = data[pos];
    if (n === 0 || pos + 1 + n + 4 > data.length) throw new ZmtpProtocolError("malformed metadata");
    const name = text(data.subarray(pos + 1, pos + 1 + n)).toLowerCase();
    pos += 1 + n;
    const len = view.getUint32(pos);
    pos += 4;
    if (pos + len > data.length) throw new ZmtpProtocolError("malformed metadata value");
    props.set(name, data.subarray(pos, pos + len));
    pos += len;
  }
  return props;
}

/** Bodies from this size on are allocated as an always-unmapped block; see wholeBody. */
const UNMAPPED_FROM = 1024 * 1024;
/** glibc never raises its mmap threshold above 32 MiB (mallopt(3), M_MMAP_THRESHOLD). */
const ALWAYS_MAPPED = 32 * 1024 * 1024 + 1;

/**
 * A body allocated whole. Large ones sit at the start of a block above 32 MiB: glibc's malloc
 * serves smaller requests from its heap once it freed a mapped block of their size (its
 * threshold follows the largest freed block up to 32 MiB), and its heap is not given back to
 * the system. Measured on a kernel: after one dropped 30 MB frame every later one came from
 * the heap, which held 130 MiB for good after a storm. A block above 32 MiB is always mapped
 * and unmapped when freed, and zeroed allocation leaves its pages untouched, so it costs
 * memory only for the bytes that arrive.
 */
function wholeBody(size: number): Uint8Array {
  return size < UNMAPPED_FROM
    ? new Uint8Array(size)
    : new Uint8Array(ALWAYS_MAPPED).subarray(0, size);
}

/**
 * Streaming frame decoder. Feed it whatever the socket returned; it calls `onFrame` for every
 * complete frame with a body it owns (copied out of the read buffer, which is reused).
 *
 * The announced size is checked against `limit` before any body byte is buffered, and large
 * bodies are collected chunk by chunk as they arrive: a peer announcing 2^62 bytes or trickling
 * a huge frame never makes us allocate more than it actually sent. Unless the owner's
 * `reserveBody` accepts the size (it charged it to a budget): then the body is allocated once,
 * whole, and filled as bytes arrive. A budget bounds what that reserves, and one allocation
 * per frame, instead of thousands of small ones, goes back to the system once dropped.
 */
export class FrameDecoder {
  private head = new Uint8Array(9);
  private headLen = 0;
  private flags = 0;
  private bodyLen = -1; // -1: reading a header
  private chunks: Uint8Array[] = [];
  private got = 0;
  /** The whole body being filled, when reserveBody accepted its size. */
  private body: Uint8Array | null = null;
  /** Asked before a body that did not arrive whole is buffered; true: allocate it whole. */
  reserveBody: ((size: number) => boolean) | null = null;

  /**
   * `limit`: the largest frame accepted. The owner may lower it between frames (a connection
   * does, to what is left of its message size limit).
   */
  constructor(
    public limit: number,
    private readonly onFrame: (flags: number, body: Uint8Array) => void,
  ) {}

  /** True while part of a frame has been received but not all of it. */
  get midFrame(): boolean {
    return this.headLen > 0 || this.bodyLen >= 0;
  }

  /** Bytes the frame in progress holds: its whole size once reserved, else what arrived. */
  get pending(): number {
    return this.body ? this.body.length : this.got;
  }

  /** Bytes the reserved body can still take (0 without one): they need no new memory. */
  get room(): number {
    return this.body ? this.body.length - this.got : 0;
  }

  /** Drops a partial frame (its owner is closing): nothing it sent stays referenced. */
  reset(): void {
    this.chunks = [];
    this.body = null;
    this.got = 0;
    this.bodyLen = -1;
    this.headLen = 0;
  }

  /** Consumes bytes; throws ZmtpProtocolError on malformed input. */
  feed(buf: Uint8Array): void {
    let pos = 0;
    const end = buf.length;
    while (pos < end) {
      if (this.bodyLen < 0) {
        // Fast path: a whole short header and body inside this chunk.
        if (this.headLen === 0 && end - pos >= 2) {
          const f = buf[pos];
          if ((f & FLAG_LONG) === 0) {
            if (f & ~(FLAG_MORE | FLAG_COMMAND)) {
              throw new ZmtpProtocolError("reserved frame flags");
            }
            const size = buf[pos + 1];
            if (size > this.limit) this.tooLarge(size);
            if (end - pos - 2 >= size) {
              this.onFrame(f, buf.slice(pos + 2, pos + 2 + size));
              pos += 2 + size;
              continue;
            }
          }
        }
        this.head[this.headLen++] = buf[pos++];
        const f = this.head[0];
        if (this.headLen === 1) {
          if (f & ~(FLAG_MORE | FLAG_LONG | FLAG_COMMAND)) {
            throw new ZmtpProtocolError("reserved frame flags");
          }
          continue;
        }
        const need = (f & FLAG_LONG) ? 9 : 2;
        if (this.headLen < need) continue;
        let size: number;
        if (need === 2) {
          size = this.head[1];
        } else {
          const h = this.head;
          const hi = ((h[1] << 24) >>> 0) + (h[2] << 16) + (h[3] << 8) + h[4];
          const lo = ((h[5] << 24) >>> 0) + (h[6] << 16) + (h[7] << 8) + h[8];
          // Compare the high word first: 2^62 must be refused without float rounding tricks.
          if (hi >= 0x200000) throw new ZmtpProtocolError("frame size exceeds 2^53");
          size = hi * 0x100000000 + lo;
        }
        if (size > this.limit) this.tooLarge(size);
        this.flags = f & ~FLAG_LONG;
        this.headLen = 0;
        if (size === 0) {
          this.onFrame(f & ~FLAG_LONG, new Uint8Array(0));
          continue;
        }
        this.bodyLen = size;
        this.got = 0;
        this.chunks = [];
      } else {
        const take = Math.min(this.bodyLen - this.got, end - pos);
        if (take === this.bodyLen) {
          // Whole body in this chunk.
          const body = buf.slice(pos, pos + take);
          pos += take;
          this.bodyLen = -1;
          this.got = 0;
          this.onFrame(this.flags, body);
          continue;
        }
        if (this.got === 0 && this.reserveBody?.(this.bodyLen)) {
          this.body = wholeBody(this.bodyLen);
        }
        if (this.body) this.body.set(buf.subarray(pos, pos + take), this.got);
        else this.chunks.push(buf.slice(pos, pos + take));
        this.got += take;
        pos += take;
        if (this.got === this.bodyLen) {
          let body = this.body;
          if (!body) {
            body = new Uint8Array(this.bodyLen);
            let o = 0;
            for (const c of this.chunks) {
              body.set(c, o);
              o += c.length;
            }
          }
          this.chunks = [];
          this.body = null;
          this.got = 0;
          this.bodyLen = -1;
          this.onFrame(this.flags, body);
        }
      }
    }
  }

  private tooLarge(size: number): never {
    throw new ZmtpLimitError(`frame of ${size} bytes exceeds the limit of ${this.limit} bytes`);
  }
}
