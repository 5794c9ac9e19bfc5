/** Garbage for the tests that feed it to peers: random bytes from a seed, so failures reproduce. */

/**
 * A xorshift generator of bytes started at `seed` (0 counts as 1: xorshift stays at 0 from
 * there); each call takes the next `n` bytes.
 */
export function seededBytes(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}
