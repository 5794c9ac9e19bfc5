/**
 * A tar writer and reader that stream, for `llmspell backup` (backup_archive.ts): members go
 * out and come in a chunk at a time, so memory does not grow with their size.
 *
 * Written: POSIX ustar headers (regular files, names under 100 bytes: a backup's are at most
 * 77), sizes past ustar's 8 GiB in GNU tar's base-256 form; two zero blocks at the end. Read:
 * ustar, GNU and pax archives, as GNU tar writes them: directory entries skipped, pax (`x`) and
 * GNU long-name (`L`) records applied to the next member, global (`g`) records skipped. Each
 * header's checksum is checked. Why not an npm package: docs/decisions/0031.
 *
 * @module
 */

/** What is not a tar archive (or not one a backup could be). */
export class TarFormatError extends Error {}

/** An archive that ends in the middle of a member or header: cut off. */
export class TruncatedError extends TarFormatError {}

export const BLOCK = 512;
/** The unit of every read and write here. */
export const CHUNK = 256 << 10;
/** Largest size an 11-digit octal field holds. */
const MAX_OCTAL = 0o77777777777;

const enc = new TextEncoder();
const dec = new TextDecoder();

function octal(into: Uint8Array, at: number, width: number, n: number): void {
  into.set(enc.encode(n.toString(8).padStart(width - 1, "0") + "\0"), at);
}

/** A ustar header of a regular file. */
export function fileHeader(name: string, size: number, mtime: Date, mode = 0o600): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const nameBytes = enc.encode(name);
  if (nameBytes.length > 100) {
    throw new TarFormatError(`tar: the name ${name} is longer than 100 bytes`);
  }
  h.set(nameBytes, 0);
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  if (size <= MAX_OCTAL) octal(h, 124, 12, size);
  else {
    // GNU base-256: the first byte's high bit set, the size big-endian in the rest.
    h[124] = 0x80;
    for (let i = 135, n = size; i > 124; i--, n = Math.floor(n / 256)) h[i] = n % 256;
  }
  octal(h, 136, 12, Math.floor(mtime.getTime() / 1000));
  h.fill(0x20, 148, 156);
  h[156] = 0x30; // "0": a regular file
  h.set(enc.encode("ustar\0" + "00"), 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  return h;
}

/** The zero bytes after `size` bytes of data, up to the end of its last block. */
export function padding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - size % BLOCK) % BLOCK);
}

/** What ends an archive: two zero blocks. */
export const END = new Uint8Array(BLOCK * 2);

/** Reads `f` a chunk at a time, handing out exactly the bytes asked for. */
class Reader {
  #f: Deno.FsFile;
  #buf = new Uint8Array(0);
  #at = 0;
  constructor(f: Deno.FsFile) {
    this.#f = f;
  }

  /** Up to `n` bytes (fewer only at the end of the file), each call a new buffer or a view of one. */
  async read(n: number): Promise<Uint8Array> {
    if (this.#at === this.#buf.length) {
      const buf = new Uint8Array(CHUNK);
      const got = await this.#f.read(buf);
      if (got === null) return new Uint8Array(0);
      this.#buf = buf.subarray(0, got);
      this.#at = 0;
    }
    const out = this.#buf.subarray(this.#at, Math.min(this.#at + n, this.#buf.length));
    this.#at += out.length;
    return out;
  }

  /** Exactly `n` bytes, or fewer at the end of the file. */
  async exactly(n: number): Promise<Uint8Array> {
    const first = await this.read(n);
    if (first.length === n || first.length === 0) return first.slice();
    const out = new Uint8Array(n);
    out.set(first);
    let at = first.length;
    while (at < n) {
      const more = await this.read(n - at);
      if (more.length === 0) return out.subarray(0, at);
      out.set(more, at);
      at += more.length;
    }
    return out;
  }

  /** Skips `n` bytes; false when the file ended first. */
  async skip(n: number): Promise<boolean> {
    for (let left = n; left > 0;) {
      const got = await this.read(Math.min(left, CHUNK));
      if (got.length === 0) return false;
      left -= got.length;
    }
    return true;
  }
}

function text(h: Uint8Array, at: number, width: number): string {
  const field = h.subarray(at, at + width);
  const end = field.indexOf(0);
  return dec.decode(end < 0 ? field : field.subarray(0, end));
}

function number(h: Uint8Array, at: number, width: number): number {
  if (h[at] & 0x80) {
    let n = h[at] & 0x7f;
    for (let i = at + 1; i < at + width; i++) n = n * 256 + h[i];
    return n;
  }
  const s = text(h, at, width).trim();
  if (!/^[0-7]*$/.test(s)) throw new TarFormatError("not a tar header (a number field)");
  return s === "" ? 0 : parseInt(s, 8);
}

function checksumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return number(h, 148, 8) === sum;
}

/** A pax extended header's records (`LEN key=value\n`). */
function paxRecords(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const s = dec.decode(data);
  for (let at = 0; at < s.length;) {
    const space = s.indexOf(" ", at);
    const len = parseInt(s.slice(at, space), 10);
    if (!(len > 0)) break;
    // The length counts bytes; pax keys of ours are ASCII, values may not be: read by bytes.
    const record = dec.decode(enc.encode(s.slice(at)).subarray(0, len));
    const kv = record.slice(record.indexOf(" ") + 1, -1);
    const eq = kv.indexOf("=");
    out.set(kv.slice(0, eq), kv.slice(eq + 1));
    at += record.length;
  }
  return out;
}

/** A regular file member as it is read: its name, size, and its data as chunks. */
export interface TarEntry {
  name: string;
  size: number;
  /** Its data, a chunk at a time; throws `TruncatedError` when the archive ends inside it. */
  data(): AsyncGenerator<Uint8Array>;
}

/** Largest pax or long-name record read (they hold names and numbers). */
const MAX_META = 1 << 20;

/**
 * The regular file members of the tar archive open in `f`, in order; each must be read (or
 * not: what is left of it is skipped) before the next. Ends at the end blocks or the file's
 * end; throws on a header that is not one (its checksum wrong: damaged, or not a tar).
 */
export async function* readTar(f: Deno.FsFile): AsyncGenerator<TarEntry> {
  const r = new Reader(f);
  let pax = new Map<string, string>();
  let longName: string | undefined;
  for (;;) {
    const h = await r.exactly(BLOCK);
    if (h.length < BLOCK) {
      if (h.length === 0) return;
      throw new TruncatedError("the archive ends inside a header");
    }
    if (h.every((b) => b === 0)) return;
    if (!checksumOk(h)) throw new TarFormatError("a damaged tar header (its checksum differs)");
    const type = String.fromCharCode(h[156] || 0x30);
    let size = number(h, 124, 12);
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      if (size > MAX_META) {
        throw new TarFormatError("a tar extended header larger than any of a backup");
      }
      const data = await r.exactly(size);
      if (data.length < size || !await r.skip(padding(size).length)) {
        throw new TruncatedError("the archive ends inside an extended header");
      }
      if (type === "x") pax = paxRecords(data);
      if (type === "L") longName = text(data, 0, data.length);
      continue;
    }
    const prefix = text(h, 345, 155);
    let name = longName ?? pax.get("path") ??
      (prefix && text(h, 257, 6) === "ustar" ? `${prefix}/` : "") + text(h, 0, 100);
    if (pax.has("size")) size = Number(pax.get("size"));
    pax = new Map();
    longName = undefined;
    const skipped = padding(size).length;
    if (type !== "0" && type !== "7") {
      // A directory, a link, a device: nothing a backup holds.
      if (!await r.skip(size + skipped)) {
        throw new TruncatedError("the archive ends inside a member");
      }
      continue;
    }
    name = name.replace(/^\.\//, "");
    let left = size;
    let done = false;
    yield {
      name,
      size,
      async *data() {
        while (left > 0) {
          const c = await r.read(Math.min(left, CHUNK));
          if (c.length === 0) throw new TruncatedError(`the archive ends inside ${name}`);
          left -= c.length;
          yield c;
        }
        done = true;
      },
    };
    if (!done && !await r.skip(left)) throw new TruncatedError(`the archive ends inside ${name}`);
    if (!await r.skip(skipped)) throw new TruncatedError(`the archive ends after ${name}`);
  }
}
