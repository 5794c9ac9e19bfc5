/**
 * Lua strings are bytes; JavaScript strings are UTF-16. Between the two, llmspell carries a
 * Lua string as a JS string losslessly (Python's "surrogateescape", PEP 383): valid UTF-8
 * is decoded as usual, and every byte that is not part of a valid UTF-8 sequence becomes
 * the lone surrogate U+DC80..U+DCFF of its value (0x80..0xFF). Text decoded this way never
 * holds another lone surrogate, so `encodeText(decodeBytes(b))` is `b`, byte for byte: a
 * Latin-1 file, a hash or binary data cross the engine's protocol, the in-process kernel and
 * the CLI unchanged, and strings keep working where the code works on text (echo's
 * `"return " + code`, history, is_complete). The CLI writes such strings back as bytes
 * (encodeText); where a protocol needs real text (Jupyter messages over the wire,
 * `--output json|yaml`) they are shown with escapes (escapeText).
 *
 * Valid UTF-8 costs what it cost before: one decode and a scan for U+FFFD, or one
 * well-formedness check and an encode (docs/decisions/0020-byte-exact-strings.md). For either
 * thread (no Node.js module).
 */

/** Deno's non-fatal decoder is about twice as fast as its fatal one (docs/decisions/0020). */
const lax = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();
/** Lone surrogates that stand for a byte, and only those (the `u` flag skips valid pairs). */
const ESCAPED_BYTE = /[\udc80-\udcff]/gu;

/** The bytes as a string: UTF-8 decoded, any other byte as U+DC80 + (byte - 0x80). */
export function decodeBytes(bytes: Uint8Array): string {
  const s = lax.decode(bytes);
  // Without U+FFFD nothing was replaced; with one (replaced, or in the bytes), decode again.
  return s.includes("\ufffd") ? decodeMixed(bytes) : s;
}

/** The bytes of a string made by decodeBytes (any other string: its UTF-8). */
export function encodeText(s: string): Uint8Array<ArrayBuffer> {
  return s.isWellFormed() ? encoder.encode(s) : encodeMixed(s);
}

/**
 * The string as text for a protocol that needs valid Unicode: each byte that was not valid
 * UTF-8 as `\xNN` (lower-case hex), everything else unchanged, as Python's
 * "backslashreplace" decoding shows it.
 */
export function escapeText(s: string): string {
  if (s.isWellFormed()) return s;
  return s.replace(ESCAPED_BYTE, (c) => "\\x" + (c.charCodeAt(0) - 0xdc00).toString(16));
}

/**
 * A copy of `value` (strings, arrays, plain objects) with every string through escapeText;
 * `value` itself when no string needed it.
 */
export function escapeDeep<T>(value: T): T {
  if (typeof value === "string") return escapeText(value) as T;
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return value;
  // No Object.entries: a kernel runs this on every message, nearly always finding nothing.
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const e = escapeDeep(value[i]);
      if (e !== value[i]) (copy ??= [...value])[i] = e;
    }
    return (copy ?? value) as T;
  }
  const obj = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const k in obj) {
    const e = escapeDeep(obj[k]);
    if (e !== obj[k]) (copy ??= { ...obj })[k] = e;
  }
  return (copy ?? value) as T;
}

/**
 * Decodes a stream of chunks as decodeBytes decodes their concatenation: a UTF-8 sequence
 * cut at the end of a chunk waits for the next one.
 */
export class StreamDecoder {
  #pending: Uint8Array | undefined;

  decode(chunk: Uint8Array): string {
    let bytes = chunk;
    if (this.#pending) {
      bytes = new Uint8Array(this.#pending.length + chunk.length);
      bytes.set(this.#pending);
      bytes.set(chunk, this.#pending.length);
      this.#pending = undefined;
    }
    const cut = incompleteTail(bytes);
    if (cut < bytes.length) this.#pending = bytes.slice(cut);
    return decodeBytes(cut < bytes.length ? bytes.subarray(0, cut) : bytes);
  }

  /** What is left: a cut sequence that never completed, as escaped bytes. */
  end(): string {
    const rest = this.#pending;
    this.#pending = undefined;
    return rest ? decodeBytes(rest) : "";
  }
}

/**
 * Where a UTF-8 sequence begins that the end of `b` cuts short but that more bytes could
 * complete; `b.length` when there is none.
 */
function incompleteTail(b: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= b.length; back++) {
    const i = b.length - back;
    const lead = b[i];
    if (lead < 0x80) return b.length;
    if (lead < 0xc0) continue;
    const need = sequenceLength(lead);
    // A valid prefix: the bytes after the lead byte are continuation bytes.
    return need > back && validPrefix(b, i, b.length) ? i : b.length;
  }
  return b.length;
}

/** True when b[i..end) is the start of a valid sequence (lead byte's rules included). */
function validPrefix(b: Uint8Array, i: number, end: number): boolean {
  const lead = b[i];
  if (sequenceLength(lead) === 0) return false;
  for (let j = i + 1; j < end; j++) {
    const [lo, hi] = j === i + 1 ? secondRange(lead) : [0x80, 0xbf];
    if (b[j] < lo || b[j] > hi) return false;
  }
  return true;
}

/** The length of the sequence a lead byte starts (0: it starts none). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** The allowed range of the byte after a lead byte (no overlong form, no surrogate). */
function secondRange(lead: number): [number, number] {
  if (lead === 0xe0) return [0xa0, 0xbf];
  if (lead === 0xed) return [0x80, 0x9f];
  if (lead === 0xf0) return [0x90, 0xbf];
  if (lead === 0xf4) return [0x80, 0x8f];
  return [0x80, 0xbf];
}

/** The length of the valid UTF-8 sequence at b[i], or 0 when there is none. */
function validAt(b: Uint8Array, i: number): number {
  const n = sequenceLength(b[i]);
  if (n === 1) return 1;
  if (n === 0 || i + n > b.length) return 0;
  return validPrefix(b, i, i + n) ? n : 0;
}

/** The slow path of decodeBytes: valid runs decoded, other bytes escaped one by one. */
function decodeMixed(b: Uint8Array): string {
  const parts: string[] = [];
  let run = 0;
  let i = 0;
  while (i < b.length) {
    const n = validAt(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    if (run < i) parts.push(lax.decode(b.subarray(run, i)));
    parts.push(String.fromCharCode(0xdc00 + b[i]));
    run = ++i;
  }
  if (run < b.length) parts.push(lax.decode(b.subarray(run)));
  return parts.join("");
}

/** The slow path of encodeText: text as UTF-8, escaped bytes as themselves. */
function encodeMixed(s: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(s.length * 3);
  let n = 0;
  let run = 0;
  const flush = (end: number) => {
    if (run < end) n += encoder.encodeInto(s.slice(run, end), out.subarray(n)).written;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c >= 0xdc80 && c <= 0xdcff) {
      flush(i);
      out[n++] = c - 0xdc00;
      run = i + 1;
    }
  }
  flush(s.length);
  return out.slice(0, n);
}
