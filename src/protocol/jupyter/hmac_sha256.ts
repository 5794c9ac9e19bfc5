/**
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) in TypeScript, for signing Jupyter messages without
 * node:crypto: the first Node.js module a process loads starts Deno's Node.js compatibility
 * layer, which would be most of a kernel's start-up (docs/decisions/0017-hmac-in-typescript.md).
 * WebCrypto has HMAC but only asynchronously, and every message is signed on the hot path.
 *
 * The key's inner and outer padded blocks are hashed once per key; a message then costs the
 * compression of its own bytes plus two blocks.
 */

// deno-fmt-ignore
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
// deno-fmt-ignore
const H0 = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
const BLOCK = 64;
const w = new Uint32Array(64);

/** SHA-256 compression of the 64-byte blocks of `b` from `off` to `end` into `h`. */
function compress(h: Uint32Array, b: Uint8Array, off: number, end: number): void {
  let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5], h6 = h[6], h7 = h[7];
  for (; off < end; off += BLOCK) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      w[i] = (b[j] << 24) | (b[j + 1] << 16) | (b[j + 2] << 8) | b[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15], y = w[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = h0, bb = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + bb) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + hh) | 0;
  }
  h[0] = h0, h[1] = h1, h[2] = h2, h[3] = h3, h[4] = h4, h[5] = h5, h[6] = h6, h[7] = h7;
}

/** A SHA-256 computation that starts from `state` after `done` bytes (whole blocks). */
class Sha256 {
  readonly #h: Uint32Array;
  readonly #buf = new Uint8Array(BLOCK * 2);
  #fill = 0;
  #length: number;

  constructor(state: ArrayLike<number> = H0, done = 0) {
    this.#h = Uint32Array.from(state);
    this.#length = done;
  }

  update(data: Uint8Array): void {
    this.#length += data.length;
    let off = 0;
    if (this.#fill > 0) {
      const take = Math.min(BLOCK - this.#fill, data.length);
      this.#buf.set(data.subarray(0, take), this.#fill);
      this.#fill += take;
      off = take;
      if (this.#fill < BLOCK) return;
      compress(this.#h, this.#buf, 0, BLOCK);
      this.#fill = 0;
    }
    const whole = off + Math.floor((data.length - off) / BLOCK) * BLOCK;
    compress(this.#h, data, off, whole);
    this.#buf.set(data.subarray(whole), 0);
    this.#fill = data.length - whole;
  }

  /** The state after the blocks so far (only meaningful on a block boundary). */
  get state(): Uint32Array {
    return this.#h;
  }

  digest(): Uint8Array {
    const buf = this.#buf;
    const n = this.#fill;
    buf[n] = 0x80;
    const end = n + 1 + 8 <= BLOCK ? BLOCK : BLOCK * 2;
    buf.fill(0, n + 1, end);
    const bits = this.#length * 8;
    const view = new DataView(buf.buffer);
    view.setUint32(end - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(end - 4, bits >>> 0);
    compress(this.#h, buf, 0, end);
    const out = new Uint8Array(32);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) ov.setUint32(i * 4, this.#h[i]);
    return out;
  }
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const s = new Sha256();
  s.update(data);
  return s.digest();
}

/** HMAC-SHA256 with one key, for many messages. */
export class HmacSha256 {
  readonly #inner: Uint32Array;
  readonly #outer: Uint32Array;

  constructor(key: Uint8Array) {
    const k = new Uint8Array(BLOCK);
    k.set(key.length > BLOCK ? sha256(key) : key);
    const pad = (x: number) => {
      const s = new Sha256();
      s.update(k.map((b) => b ^ x));
      return Uint32Array.from(s.state);
    };
    this.#inner = pad(0x36);
    this.#outer = pad(0x5c);
  }

  /** The MAC of the parts, one after the other. */
  mac(parts: readonly Uint8Array[]): Uint8Array {
    const inner = new Sha256(this.#inner, BLOCK);
    for (const p of parts) inner.update(p);
    const outer = new Sha256(this.#outer, BLOCK);
    outer.update(inner.digest());
    return outer.digest();
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}
