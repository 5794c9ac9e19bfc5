/**
 * Lines that carry code, read from a Lua 5.4 binary chunk (`string.dump` of a compiled
 * file). Every nested function's line table is in the dump, so this answers "which lines
 * can a breakpoint stop on" for a whole file without running it.
 *
 * Format (lundump.c, Lua 5.4): header, then a function: source, linedefined,
 * lastlinedefined, numparams, is_vararg, maxstacksize, code, constants, upvalues,
 * protos, debug info (lineinfo deltas, absolute line info, locals, upvalue names).
 */

const OP_VARARGPREP = 81;
const ABSLINEINFO = -0x80;

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array, readonly sizeT: number) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new Error("truncated chunk");
    return this.b[this.pos++];
  }
  /** lundump's loadSize: 7 bits per byte, most significant first, last byte has 0x80. */
  size(): number {
    let x = 0;
    for (;;) {
      const c = this.byte();
      x = x * 128 + (c & 0x7f);
      if (c & 0x80) return x;
    }
  }
  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.b.length) throw new Error("truncated chunk");
  }
  string(): void {
    const n = this.size();
    if (n > 0) this.skip(n - 1);
  }
}

/** Collects the code lines of the dumped chunk (all nested functions) into `lines`. */
export function codeLines(dump: Uint8Array): Set<number> {
  if (dump[0] !== 0x1b || dump[4] !== 0x54) throw new Error("not a Lua 5.4 chunk");
  // "\x1bLua", version, format, LUAC_DATA (6), sizeof Instruction, lua_Integer, lua_Number,
  // LUAC_INT, LUAC_NUM, then the number of upvalues of the main function.
  const r = new Reader(dump, 4);
  r.skip(4 + 1 + 1 + 6);
  const instr = r.byte();
  const intSize = r.byte();
  const numSize = r.byte();
  if (instr !== 4) throw new Error("unexpected instruction size");
  r.skip(intSize + numSize + 1);
  const lines = new Set<number>();
  loadFunction(r, lines, intSize, numSize);
  return lines;
}

function loadFunction(r: Reader, lines: Set<number>, intSize: number, numSize: number): void {
  r.string(); // source
  const linedefined = r.size();
  r.size(); // lastlinedefined
  r.byte(); // numparams
  const isVararg = r.byte();
  r.byte(); // maxstacksize
  const ncode = r.size();
  const codeAt = r.pos;
  r.skip(ncode * 4);
  const nk = r.size();
  for (let i = 0; i < nk; i++) {
    const t = r.byte();
    if (t === 0x13) r.skip(numSize); // float
    else if (t === 0x03) r.skip(intSize); // integer
    else if (t === 0x04 || t === 0x14) r.string();
    // nil, false, true: no payload
  }
  const nup = r.size();
  r.skip(nup * 3);
  const np = r.size();
  for (let i = 0; i < np; i++) loadFunction(r, lines, intSize, numSize);
  const nli = r.size();
  const deltas = new Int8Array(r.b.buffer, r.b.byteOffset + r.pos, nli);
  r.skip(nli);
  const nabs = r.size();
  const abs = new Map<number, number>();
  for (let i = 0; i < nabs; i++) {
    const pc = r.size();
    abs.set(pc, r.size());
  }
  const nloc = r.size();
  for (let i = 0; i < nloc; i++) {
    r.string();
    r.size();
    r.size();
  }
  const nupn = r.size();
  for (let i = 0; i < nupn; i++) r.string();

  let line = linedefined;
  const own = new Map<number, number>(); // line -> instructions on it
  for (let pc = 0; pc < nli; pc++) {
    if (deltas[pc] === ABSLINEINFO) line = abs.get(pc) ?? line;
    else line += deltas[pc];
    own.set(line, (own.get(line) ?? 0) + 1);
  }
  // A vararg function's first instruction (VARARGPREP) runs before hooks start: its line
  // never gets a line event unless other code shares it.
  if (isVararg && nli > 0 && ncode > 0) {
    const op = r.b[codeAt] & 0x7f;
    if (op === OP_VARARGPREP) {
      const first = deltas[0] === ABSLINEINFO ? abs.get(0) ?? linedefined : linedefined + deltas[0];
      const n = own.get(first) ?? 0;
      if (n <= 1) own.delete(first);
    }
  }
  for (const l of own.keys()) lines.add(l);
}

/** The first code line at or after `line`, or undefined. */
export function nextCodeLine(lines: Set<number>, line: number): number | undefined {
  let best: number | undefined;
  for (const l of lines) if (l >= line && (best === undefined || l < best)) best = l;
  return best;
}
