/**
 * Writes a tiny llama-architecture GGUF model with random weights, for the tests of the local
 * provider: no weights ship anywhere, so the tests make their own. The text it writes is
 * gibberish; what it proves is the path (load, stream, usage, grammar, interrupt).
 *
 * GGUF v3 (ggml's docs/gguf.md): "GGUF", version, tensor count, metadata count, the metadata
 * (key, type, value), the tensor infos (name, dims innermost first, type, offset into the data),
 * padding to `general.alignment` (32), then the tensor data, each tensor aligned.
 *
 * @module
 */

const enum T {
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
}

type Value =
  | { t: T.U32 | T.I32 | T.F32; v: number }
  | { t: T.BOOL; v: boolean }
  | { t: T.STRING; v: string }
  | { t: T.ARRAY; of: T.I32 | T.F32 | T.STRING; v: (number | string)[] };

class Bytes {
  #buf = new Uint8Array(1 << 16);
  #view = new DataView(this.#buf.buffer);
  length = 0;
  #room(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.#room(4);
    this.#view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.#room(4);
    this.#view.setInt32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.#room(8);
    this.#view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  f32(v: number): void {
    this.#room(4);
    this.#view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  raw(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.raw(b);
  }
  pad(align: number): void {
    const n = (align - (this.length % align)) % align;
    this.raw(new Uint8Array(n));
  }
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

function scalar(out: Bytes, t: T, v: number | string | boolean): void {
  if (t === T.U32) out.u32(v as number);
  else if (t === T.I32) out.i32(v as number);
  else if (t === T.F32) out.f32(v as number);
  else if (t === T.BOOL) out.raw(new Uint8Array([v ? 1 : 0]));
  else out.str(v as string);
}

/** A small deterministic generator (mulberry32), so a seed gives the same model every time. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** SentencePiece's token types, as llama.cpp reads them. */
const NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;

/**
 * A SentencePiece ("llama") vocabulary: unk, bos, eos, the 256 byte tokens (so that any text
 * can be written), printable ASCII, and a few words.
 */
function vocabulary(extra: string[]): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types = [UNKNOWN, CONTROL, CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(BYTE);
  }
  const words = ["▁"];
  for (let c = 33; c < 127; c++) words.push(String.fromCharCode(c));
  for (
    const w of ["the", "a", "is", "of", "and", "to", "in", "it", "Lua", "model", "hello", "world"]
  ) words.push("▁" + w);
  words.push(...extra);
  for (const w of words) {
    tokens.push(w);
    types.push(NORMAL);
  }
  // Longer pieces score higher, so the tokenizer merges into them.
  const scores = tokens.map((t, i) => types[i] === NORMAL ? -1000 + t.length : 0);
  return { tokens, scores, types };
}

export interface TinyModelOptions {
  seed?: number;
  embedding?: number;
  layers?: number;
  heads?: number;
  feedForward?: number;
  contextLength?: number;
  /**
   * A piece of text the model then writes whenever it may: it becomes one token, every
   * embedding gets a large constant first component and only this token's output row reads it.
   * With node-llama-cpp's function-call prefix (`||call:`), the model calls a function at once.
   */
  favour?: string;
}

/** The bytes of a tiny llama model: 2 layers, 64 wide, ~380 tokens, F32, ~0.5 MB. */
export function tinyLlamaGguf(opts: TinyModelOptions = {}): Uint8Array {
  const nEmbd = opts.embedding ?? 64;
  const nLayer = opts.layers ?? 2;
  const nHead = opts.heads ?? 4;
  const nFf = opts.feedForward ?? 128;
  const nCtx = opts.contextLength ?? 4096;
  const rand = random(opts.seed ?? 1);
  const vocab = vocabulary(opts.favour ? [opts.favour] : []);
  const favoured = opts.favour ? vocab.tokens.indexOf(opts.favour) : -1;
  const nVocab = vocab.tokens.length;

  const meta: [string, Value][] = [
    ["general.architecture", { t: T.STRING, v: "llama" }],
    ["general.name", { t: T.STRING, v: "llmspell tiny random llama" }],
    ["general.alignment", { t: T.U32, v: 32 }],
    ["llama.context_length", { t: T.U32, v: nCtx }],
    ["llama.embedding_length", { t: T.U32, v: nEmbd }],
    ["llama.block_count", { t: T.U32, v: nLayer }],
    ["llama.feed_forward_length", { t: T.U32, v: nFf }],
    ["llama.attention.head_count", { t: T.U32, v: nHead }],
    ["llama.attention.head_count_kv", { t: T.U32, v: nHead }],
    ["llama.rope.dimension_count", { t: T.U32, v: nEmbd / nHead }],
    ["llama.attention.layer_norm_rms_epsilon", { t: T.F32, v: 1e-5 }],
    ["llama.vocab_size", { t: T.U32, v: nVocab }],
    ["tokenizer.ggml.model", { t: T.STRING, v: "llama" }],
    ["tokenizer.ggml.tokens", { t: T.ARRAY, of: T.STRING, v: vocab.tokens }],
    ["tokenizer.ggml.scores", { t: T.ARRAY, of: T.F32, v: vocab.scores }],
    ["tokenizer.ggml.token_type", { t: T.ARRAY, of: T.I32, v: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { t: T.U32, v: 0 }],
    ["tokenizer.ggml.bos_token_id", { t: T.U32, v: 1 }],
    ["tokenizer.ggml.eos_token_id", { t: T.U32, v: 2 }],
    ["tokenizer.ggml.add_bos_token", { t: T.BOOL, v: true }],
    ["tokenizer.ggml.add_eos_token", { t: T.BOOL, v: false }],
  ];

  const tensors: { name: string; dims: number[] }[] = [
    { name: "token_embd.weight", dims: [nEmbd, nVocab] },
    { name: "output_norm.weight", dims: [nEmbd] },
    { name: "output.weight", dims: [nEmbd, nVocab] },
  ];
  for (let i = 0; i < nLayer; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [nEmbd] },
      { name: `blk.${i}.attn_q.weight`, dims: [nEmbd, nEmbd] },
      { name: `blk.${i}.attn_k.weight`, dims: [nEmbd, nEmbd] },
      { name: `blk.${i}.attn_v.weight`, dims: [nEmbd, nEmbd] },
      { name: `blk.${i}.attn_output.weight`, dims: [nEmbd, nEmbd] },
      { name: `blk.${i}.ffn_norm.weight`, dims: [nEmbd] },
      { name: `blk.${i}.ffn_gate.weight`, dims: [nEmbd, nFf] },
      { name: `blk.${i}.ffn_up.weight`, dims: [nEmbd, nFf] },
      { name: `blk.${i}.ffn_down.weight`, dims: [nFf, nEmbd] },
    );
  }

  const out = new Bytes();
  out.raw(new TextEncoder().encode("GGUF"));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(meta.length);
  for (const [key, value] of meta) {
    out.str(key);
    out.u32(value.t);
    if (value.t === T.ARRAY) {
      out.u32(value.of);
      out.u64(value.v.length);
      for (const x of value.v) scalar(out, value.of, x);
    } else {
      scalar(out, value.t, value.v);
    }
  }
  let offset = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    out.str(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(0); // GGML_TYPE_F32
    out.u64(offset);
    const size = t.dims.reduce((a, b) => a * b, 1) * 4;
    sizes.push(size);
    offset += Math.ceil(size / 32) * 32;
  }
  out.pad(32);
  for (const [i, t] of tensors.entries()) {
    const norm = t.name.endsWith("norm.weight");
    const n = sizes[i] / 4;
    const data = new Float32Array(n);
    // Norm weights at 1; the rest small and centred, as an initialised model's are.
    for (let j = 0; j < n; j++) data[j] = norm ? 1 : (rand() * 2 - 1) * 0.1;
    if (favoured >= 0 && t.name === "token_embd.weight") {
      for (let tok = 0; tok < nVocab; tok++) data[tok * nEmbd] = 4;
    }
    if (favoured >= 0 && t.name === "output.weight") {
      for (let tok = 0; tok < nVocab; tok++) data[tok * nEmbd] = tok === favoured ? 3 : 0;
    }
    out.raw(new Uint8Array(data.buffer));
    out.pad(32);
  }
  return out.bytes();
}

/** Writes the tiny model into `dir` and returns its path. */
export async function writeTinyModel(
  dir: string,
  opts: TinyModelOptions = {},
  name = "tiny-llama",
): Promise<string> {
  const path = `${dir}/${name}.gguf`;
  await Deno.writeFile(path, tinyLlamaGguf(opts));
  return path;
}
