/**
 * A profile's stacks as text (protocol.ts ProfileData): frame labels, the stack of each
 * sample, and the folded format (`a;b;c weight`, one line per distinct stack) that
 * flamegraph.pl and the flame graph writer (flamegraph.ts) read. Weights are microseconds
 * of wall time (sampler.ts).
 */
import type { ProfileData, ProfileFrame } from "../engine/shared/protocol.ts";

/**
 * One line of text without the folded format's separators: `;` splits frames, a newline
 * ends the line, and flamegraph.pl turns `<>` into `()`.
 */
function clean(s: string): string {
  return s.replace(/[;\r\n]/g, " ").replace(/</g, "(").replace(/>/g, ")");
}

/** The last part of a chunk's name (a path), for labels that stay short. */
function baseName(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1);
}

/** `fib (fib.lua:3)`, `main chunk (fib.lua)`, `string.rep`, `[host] state.set`. */
export function frameLabel(f: ProfileFrame): string {
  if (f.file === "[C]" || f.file === "[host]") return clean(f.name);
  const where = f.line > 0 ? `${baseName(f.file)}:${f.line}` : baseName(f.file);
  return clean(`${f.name} (${where})`);
}

/** The labels of node `node`'s stack, outermost first (memoised in `cache`). */
export function nodeStack(
  data: ProfileData,
  node: number,
  cache: Map<number, string[]> = new Map(),
): string[] {
  const known = cache.get(node);
  if (known) return known;
  const parent = data.parents[node];
  const stack = parent <= 0 ? [] : [...nodeStack(data, parent, cache)];
  stack.push(frameLabel(data.frames[data.nodeFrames[node]]));
  cache.set(node, stack);
  return stack;
}

/** Each distinct stack with its total weight (µs). */
export function stackWeights(data: ProfileData): Map<string, { stack: string[]; weight: number }> {
  const cache = new Map<number, string[]>();
  const out = new Map<string, { stack: string[]; weight: number }>();
  data.samples.forEach((node, i) => {
    const stack = nodeStack(data, node, cache);
    const key = stack.join(";");
    const entry = out.get(key);
    if (entry) entry.weight += data.weights[i];
    else out.set(key, { stack, weight: data.weights[i] });
  });
  return out;
}

/** The folded stacks: `a;b;c weight` lines, sorted as flamegraph.pl sorts them. */
export function foldedStacks(data: ProfileData): string {
  const lines: string[] = [];
  for (const [key, { weight }] of stackWeights(data)) lines.push(`${key} ${weight}`);
  lines.sort(byCodePoint);
  return lines.length > 0 ? lines.join("\n") + "\n" : "";
}

/** Perl's `sort`: by code point, not by locale. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
