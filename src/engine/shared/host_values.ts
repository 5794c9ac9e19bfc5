/**
 * Lua values outside Lua: the tree a host function sees, and the compact binary encoding
 * that carries them across the host-call channel (src/engine/shared/host_channel.ts) and is
 * stored as it is by State (src/store/state.ts). The worker writes and reads the same
 * encoding straight from the Lua stack (src/engine/worker/lua_values.ts), so a value stored and
 * read back never passes through JS objects on the way.
 *
 * Strings are bytes (Lua strings may hold any byte, 0-255), integers and floats stay
 * distinct (an integer is an int64, a BigInt here), and tables are either arrays (keys
 * exactly 1..n) or maps (any other keys). Metatables are not part of a value.
 *
 * Encoding: one tag byte, then
 *   nil, false, true: nothing
 *   integer: 8 bytes, little-endian two's complement
 *   float: 8 bytes, little-endian IEEE 754
 *   string: length (unsigned LEB128), the bytes
 *   array: count (LEB128), the items
 *   map: count (LEB128), key then value for each entry
 * A sequence of values (a call's arguments, its results) is a count, then the values.
 *
 * @module
 */

/** A Lua value that can leave Lua. */
export type LuaValue =
  | null
  | boolean
  | bigint
  | number
  | Uint8Array
  | LuaValue[]
  | Map<LuaValue, LuaValue>;

export const Tag = {
  nil: 0,
  false: 1,
  true: 2,
  integer: 3,
  float: 4,
  string: 5,
  array: 6,
  map: 7,
} as const;

const encoder = new TextEncoder();

/** A Lua string from text (UTF-8). */
export function luaString(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Appends encoded values; grows its buffer as needed. */
export class ValueWriter {
  #buf: Uint8Array<ArrayBuffer>;
  #view: DataView;
  length = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
    this.#view = new DataView(this.#buf.buffer);
  }

  #room(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.length + n));
    bigger.set(this.#buf.subarray(0, this.length));
    this.#buf = bigger;
    this.#view = new DataView(bigger.buffer);
  }

  byte(b: number): void {
    this.#room(1);
    this.#buf[this.length++] = b;
  }

  uleb(n: number): void {
    this.#room(10);
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      this.#buf[this.length++] = b;
    } while (n > 0);
  }

  raw(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  integer(n: bigint): void {
    this.byte(Tag.integer);
    this.#room(8);
    this.#view.setBigInt64(this.length, BigInt.asIntN(64, n), true);
    this.length += 8;
  }

  float(n: number): void {
    this.byte(Tag.float);
    this.#room(8);
    this.#view.setFloat64(this.length, n, true);
    this.length += 8;
  }

  string(bytes: Uint8Array): void {
    this.byte(Tag.string);
    this.uleb(bytes.length);
    this.raw(bytes);
  }

  value(v: LuaValue): void {
    if (v === null) this.byte(Tag.nil);
    else if (typeof v === "boolean") this.byte(v ? Tag.true : Tag.false);
    else if (typeof v === "bigint") this.integer(v);
    else if (typeof v === "number") this.float(v);
    else if (v instanceof Uint8Array) this.string(v);
    else if (Array.isArray(v)) {
      this.byte(Tag.array);
      this.uleb(v.length);
      for (const item of v) this.value(item);
    } else {
      this.byte(Tag.map);
      this.uleb(v.size);
      for (const [k, item] of v) {
        this.value(k);
        this.value(item);
      }
    }
  }

  /** The bytes written so far (a view: copy it to keep it past further writes). */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.#buf.subarray(0, this.length);
  }
}

/** The encoding of one value. */
export function encodeValue(v: LuaValue): Uint8Array {
  const w = new ValueWriter();
  w.value(v);
  return w.bytes().slice();
}

/** The encoding of a sequence of values. */
export function encodeValues(values: readonly LuaValue[]): Uint8Array {
  const w = new ValueWriter();
  w.uleb(values.length);
  for (const v of values) w.value(v);
  return w.bytes().slice();
}

/** Thrown for bytes that are not a valid encoding. */
export class BadEncoding extends Error {}

/** Reads encoded values from bytes. */
export class ValueReader {
  readonly bytes: Uint8Array;
  #view: DataView;
  pos: number;

  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  #need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new BadEncoding("truncated value");
  }

  uleb(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      this.#need(1);
      const b = this.bytes[this.pos++];
      n += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return n;
      scale *= 128;
      if (scale > 2 ** 53) throw new BadEncoding("length too large");
    }
  }

  value(depth = 0): LuaValue {
    if (depth > MAX_DEPTH) throw new BadEncoding("value nested too deeply");
    this.#need(1);
    const tag = this.bytes[this.pos++];
    switch (tag) {
      case Tag.nil:
        return null;
      case Tag.false:
        return false;
      case Tag.true:
        return true;
      case Tag.integer: {
        this.#need(8);
        const n = this.#view.getBigInt64(this.pos, true);
        this.pos += 8;
        return n;
      }
      case Tag.float: {
        this.#need(8);
        const n = this.#view.getFloat64(this.pos, true);
        this.pos += 8;
        return n;
      }
      case Tag.string: {
        const n = this.uleb();
        this.#need(n);
        const s = this.bytes.slice(this.pos, this.pos + n);
        this.pos += n;
        return s;
      }
      case Tag.array: {
        const n = this.uleb();
        const a: LuaValue[] = [];
        for (let i = 0; i < n; i++) a.push(this.value(depth + 1));
        return a;
      }
      case Tag.map: {
        const n = this.uleb();
        const m = new Map<LuaValue, LuaValue>();
        for (let i = 0; i < n; i++) {
          const k = this.value(depth + 1);
          m.set(k, this.value(depth + 1));
        }
        return m;
      }
    }
    throw new BadEncoding(`unknown value tag ${tag}`);
  }

  /** Moves past one value; returns where it started. */
  skip(depth = 0): number {
    const start = this.pos;
    if (depth > MAX_DEPTH) throw new BadEncoding("value nested too deeply");
    this.#need(1);
    const tag = this.bytes[this.pos++];
    if (tag === Tag.integer || tag === Tag.float) {
      this.#need(8);
      this.pos += 8;
    } else if (tag === Tag.string) {
      const n = this.uleb();
      this.#need(n);
      this.pos += n;
    } else if (tag === Tag.array || tag === Tag.map) {
      const n = this.uleb() * (tag === Tag.map ? 2 : 1);
      for (let i = 0; i < n; i++) this.skip(depth + 1);
    } else if (tag > Tag.true) throw new BadEncoding(`unknown value tag ${tag}`);
    return start;
  }
}

/** Deepest nesting of tables in a value (Lua's C stack and ours stay small). */
export const MAX_DEPTH = 100;

/** Decodes one value that fills `bytes`. */
export function decodeValue(bytes: Uint8Array): LuaValue {
  const r = new ValueReader(bytes);
  const v = r.value();
  if (r.pos !== bytes.length) throw new BadEncoding("trailing bytes after a value");
  return v;
}

/** A sequence of encoded values (a call's arguments), each decoded or sliced on demand. */
export class EncodedValues {
  readonly #bytes: Uint8Array;
  readonly #starts: number[] = [];
  readonly #end: number;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    const r = new ValueReader(bytes);
    const n = r.uleb();
    for (let i = 0; i < n; i++) this.#starts.push(r.skip());
    this.#end = r.pos;
  }

  get length(): number {
    return this.#starts.length;
  }

  /** The encoding of value `i` (nil past the end). */
  raw(i: number): Uint8Array {
    if (i >= this.#starts.length) return NIL;
    const end = i + 1 < this.#starts.length ? this.#starts[i + 1] : this.#end;
    return this.#bytes.subarray(this.#starts[i], end);
  }

  value(i: number): LuaValue {
    if (i >= this.#starts.length) return null;
    const at = this.#starts[i];
    const tag = this.#bytes[at];
    // Most arguments are nil or a short string (a scope, a key): read those without a
    // reader, which costs a DataView each.
    if (tag === Tag.nil) return null;
    if (tag === Tag.string && this.#bytes[at + 1] < 0x80) {
      return this.#bytes.slice(at + 2, at + 2 + this.#bytes[at + 1]);
    }
    return new ValueReader(this.#bytes, at).value();
  }
}

/** The encoding of nil. */
export const NIL: Uint8Array = new Uint8Array([Tag.nil]);

/** The Lua type name of a value. */
export function luaType(v: LuaValue): string {
  if (v === null) return "nil";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "bigint" || typeof v === "number") return "number";
  if (v instanceof Uint8Array) return "string";
  return "table";
}
