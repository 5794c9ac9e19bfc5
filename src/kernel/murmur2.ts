/**
 * 32-bit MurmurHash2 of a string's UTF-8 bytes: JupyterLab's debugger names a cell's source
 * file by it (`tmpFilePrefix + murmur2(code, hashSeed) + tmpFileSuffix`, debugInfo's
 * hashMethod "Murmur2"), so the kernel must hash exactly as @jupyterlab/debugger does.
 */
const M = 0x5bd1e995;

export function murmur2(text: string, seed: number): number {
  const data = new TextEncoder().encode(text);
  let len = data.length;
  let h = (seed ^ len) | 0;
  let i = 0;
  while (len >= 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
    i += 4;
    len -= 4;
  }
  switch (len) {
    case 3:
      h ^= data[i + 2] << 16;
      // falls through
    case 2:
      h ^= data[i + 1] << 8;
      // falls through
    case 1:
      h ^= data[i];
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h >>> 0;
}
