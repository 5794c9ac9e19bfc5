/**
 * The pieces of the wasm binary format that the rewrites of glue.wasm (shared_memory.ts,
 * line_trap.ts) and the debugger's hook filter read and write.
 */

/** The opcodes the rewrites and the hook filter use (WebAssembly core spec, binary format). */
export const op = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  globalGet: 0x23,
  load: 0x28,
  i64Load: 0x29,
  f64Load: 0x2b,
  load8u: 0x2d,
  store: 0x36,
  const: 0x41,
  f64Const: 0x44,
  eqz: 0x45,
  eq: 0x46,
  ne: 0x47,
  ltS: 0x48,
  geU: 0x4f,
  i64Ne: 0x52,
  f64Eq: 0x61,
  f64Ne: 0x62,
  f64Lt: 0x63,
  f64Gt: 0x64,
  f64Le: 0x65,
  f64Ge: 0x66,
  add: 0x6a,
  sub: 0x6b,
  and: 0x71,
  or: 0x72,
  xor: 0x73,
  shl: 0x74,
  shrS: 0x75,
  shrU: 0x76,
  f64ConvertI64S: 0xb9,
  /** The prefix of i64.trunc_sat_f64_s (0xfc 0x06). */
  prefixFc: 0xfc,
  /** The empty block type. */
  void: 0x40,
} as const;

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
