/**
 * The top-N table of a profile: per frame (by label), its self time (the samples where it
 * is the leaf) and total time (those where it is anywhere on the stack, once per stack
 * for a recursive function), as shares of the whole.
 */
import type { ProfileData } from "../engine/shared/protocol.ts";
import { stackWeights } from "./stacks.ts";

export interface TopRow {
  frame: string;
  self_ms: number;
  self_pct: number;
  total_ms: number;
  total_pct: number;
}

export interface TopTable {
  /** The wall time the samples cover, and how many samples were taken. */
  total_ms: number;
  samples: number;
  rows: TopRow[];
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The `n` frames with the most self time (then total time). */
export function topFrames(data: ProfileData, n: number): TopTable {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  for (const { stack, weight } of stackWeights(data).values()) {
    all += weight;
    const leaf = stack[stack.length - 1];
    self.set(leaf, (self.get(leaf) ?? 0) + weight);
    for (const label of new Set(stack)) total.set(label, (total.get(label) ?? 0) + weight);
  }
  const pct = (us: number) => (all > 0 ? round((100 * us) / all, 1) : 0);
  const rows = [...total.keys()].map((frame) => {
    const s = self.get(frame) ?? 0;
    const t = total.get(frame) ?? 0;
    return {
      frame,
      self_ms: round(s / 1000, 1),
      self_pct: pct(s),
      total_ms: round(t / 1000, 1),
      total_pct: pct(t),
    };
  });
  rows.sort((a, b) => b.self_ms - a.self_ms || b.total_ms - a.total_ms);
  return { total_ms: round(all / 1000, 1), samples: data.sampleCount, rows: rows.slice(0, n) };
}

/** The table as text, for stderr. */
export function formatTop(t: TopTable): string {
  const lines = [
    `${"self %".padStart(7)} ${"total %".padStart(7)} ${"self ms".padStart(9)} ${
      "total ms".padStart(9)
    }  frame`,
  ];
  for (const r of t.rows) {
    lines.push(
      `${r.self_pct.toFixed(1).padStart(7)} ${r.total_pct.toFixed(1).padStart(7)} ${
        r.self_ms.toFixed(1).padStart(9)
      } ${r.total_ms.toFixed(1).padStart(9)}  ${r.frame}`,
    );
  }
  return lines.join("\n") + "\n";
}
