/**
 * The pieces of the wasm binary format that the rewrites of glue.wasm (shared_memory.ts,
 * line_trap.ts) and the debugger's hook filter read and write.
 */

/** An unsigned LEB128. */
export function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** A signed LEB128 (i32.const operands). */
export function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** An unsigned LEB128 at `pos`: the value and the offset after it. */
export function readUleb(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const byte = b[pos++];
    v += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [v, pos];
    shift += 7;
  }
}

/** A name: its UTF-8 length and bytes. */
export function name(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
}

/** A section: id, size, contents. */
export function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

export interface Section {
  id: number;
  /** Offset of the section's contents and their length. */
  start: number;
  size: number;
  /** Offset of the section's id byte. */
  head: number;
}

/** The sections of a module, in order. */
export function readSections(wasm: Uint8Array): Section[] {
  if (wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) {
    throw new Error("not a wasm module");
  }
  const out: Section[] = [];
  let pos = 8;
  while (pos < wasm.length) {
    const head = pos;
    const id = wasm[pos];
    const [size, start] = readUleb(wasm, pos + 1);
    out.push({ id, start, size, head });
    pos = start + size;
  }
  if (pos !== wasm.length) throw new Error("wasm module is truncated");
  return out;
}

/** The byte arrays one after the other. */
export function concat(parts: ArrayLike<number>[]): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return bytes;
}
