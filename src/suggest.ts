/**
 * "Did you mean …?" for unknown commands, flags, config keys and sections.
 *
 * Matching is case-insensitive. A candidate is suggested when its Damerau-Levenshtein
 * (optimal string alignment) distance to the input is at most `max(1, floor(len / 3))`,
 * where `len` is the input's length, so short inputs tolerate one typo and longer ones
 * proportionally more. Failing that, a candidate that starts with the input (at least two
 * characters) is suggested, which catches abbreviations such as `conf` → `config`.
 *
 * @module
 */

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of
 * two adjacent characters each cost 1. Swaps matter because `tiemout` is the most common
 * kind of typo and plain Levenshtein would charge it 2.
 */
export function damerauLevenshtein(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  // Three rolling rows are enough: the swap rule looks back two rows.
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prev2[j - 2] + 1);
      }
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

/**
 * The candidate the user most likely meant by `input`, or `undefined` when nothing is
 * close enough. Ties on distance prefer a candidate that starts with the input, then the
 * earlier candidate in the list (so callers can order candidates by importance).
 *
 * @example suggest("confg", ["config", "run"]) // "config"
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  if (needle.length === 0) return undefined;
  const threshold = Math.max(1, Math.floor(needle.length / 3));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const hay = candidate.toLowerCase();
    if (hay === needle) return candidate;
    const d = damerauLevenshtein(needle, hay);
    if (d > threshold) continue;
    // Half a point favours prefix matches without letting them beat a closer candidate.
    const score = d - (hay.startsWith(needle) ? 0.5 : 0);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  if (best !== undefined) return best;
  if (needle.length < 2) return undefined;
  // Abbreviations: the shortest candidate that extends the input.
  let prefix: string | undefined;
  for (const candidate of candidates) {
    if (!candidate.toLowerCase().startsWith(needle)) continue;
    if (prefix === undefined || candidate.length < prefix.length) prefix = candidate;
  }
  return prefix;
}
