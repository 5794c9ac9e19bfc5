/**
 * The flame graph writer: an SVG from folded stacks (stacks.ts), laid out as Brendan
 * Gregg's flamegraph.pl lays it out with its defaults (1200 px wide, 16 px frames, frames
 * under 0.1 px left out), so that the two draw the same frames from the same input
 * (tests/profile/flamegraph_test.ts compares them). Stacks are merged in sorted order:
 * the x axis is the alphabet, not time; a frame's width is its share of the total.
 * Without flamegraph.pl's script: each frame's `<title>` is its tooltip, and the picture
 * is the same in a browser, a notebook's output or an image viewer.
 */
import { byCodePoint } from "./stacks.ts";

const IMAGE_WIDTH = 1200;
const FRAME_HEIGHT = 16;
const FONT_SIZE = 12;
const FONT_WIDTH = 0.59;
const MIN_WIDTH = 0.1;
const XPAD = 10;
const YPAD1 = FONT_SIZE * 4;
const YPAD2 = FONT_SIZE * 2 + 10;
const FRAME_PAD = 1;

/** A frame of the graph: `func` at `depth` (0: the root, "all") over [start, end). */
export interface FlameFrame {
  func: string;
  depth: number;
  start: number;
  end: number;
}

/**
 * The frames of the graph, as flamegraph.pl's `flow` merges them: stacks in sorted order,
 * a frame running on while the next stack shares it. The root is `""` at depth 0.
 */
export function flameFrames(stacks: { stack: string[]; weight: number }[]): {
  frames: FlameFrame[];
  total: number;
} {
  const lines = stacks.map((s) => ({ key: `${s.stack.join(";")} ${s.weight}`, ...s }));
  lines.sort((a, b) => byCodePoint(a.key, b.key));
  const frames: FlameFrame[] = [];
  const open = new Map<string, number>();
  let last: string[] = [];
  let time = 0;
  const flow = (next: string[]) => {
    let same = 0;
    while (same < last.length && same < next.length && last[same] === next[same]) same++;
    for (let i = last.length - 1; i >= same; i--) {
      const k = `${last[i]};${i}`;
      frames.push({ func: last[i], depth: i, start: open.get(k) ?? 0, end: time });
      open.delete(k);
    }
    for (let i = same; i < next.length; i++) open.set(`${next[i]};${i}`, time);
    last = next;
  };
  for (const { stack, weight } of lines) {
    flow(["", ...stack]);
    time += weight;
  }
  flow([]);
  return { frames, total: time };
}

/** XML text: `&`, `<`, `>` and `"` escaped. */
function xml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** 1234567 → "1,234,567". */
function commas(n: string): string {
  return n.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * A colour per name that stays the same across graphs (flamegraph.pl's `--hash` idea):
 * warm for Lua and C, cool for time waiting on the host.
 */
function color(func: string): string {
  let h = 2166136261;
  for (let i = 0; i < func.length; i++) h = Math.imul(h ^ func.charCodeAt(i), 16777619);
  const v1 = ((h >>> 0) % 1000) / 1000;
  const v2 = ((h >>> 10) % 1000) / 1000;
  if (func.startsWith("[host]")) {
    const r = 80 + Math.floor(60 * v1);
    return `rgb(${r},${r},${190 + Math.floor(55 * v2)})`;
  }
  const v3 = ((h >>> 20) % 1000) / 1000;
  return `rgb(${205 + Math.floor(50 * v3)},${Math.floor(230 * v1)},${Math.floor(55 * v2)})`;
}

/** The SVG of the flame graph of `stacks` (weights in `unit`s), titled `title`. */
export function flameGraphSvg(
  stacks: { stack: string[]; weight: number }[],
  title: string,
  unit = "us",
): string {
  const { frames, total } = flameFrames(stacks);
  const perTime = total > 0 ? (IMAGE_WIDTH - 2 * XPAD) / total : 0;
  const minTime = perTime > 0 ? MIN_WIDTH / perTime : 0;
  const shown = frames.filter((f) => f.end - f.start >= minTime);
  const depthMax = shown.reduce((m, f) => Math.max(m, f.depth), 0);
  const height = depthMax * FRAME_HEIGHT + YPAD1 + YPAD2;
  const out: string[] = [
    `<?xml version="1.0" standalone="no"?>`,
    `<svg version="1.1" width="${IMAGE_WIDTH}" height="${height}" viewBox="0 0 ${IMAGE_WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<rect x="0" y="0" width="${IMAGE_WIDTH}" height="${height}" fill="#f4f4ec" />`,
    `<text text-anchor="middle" x="${IMAGE_WIDTH / 2}" y="${FONT_SIZE * 2}" font-size="${
      FONT_SIZE + 5
    }" font-family="Verdana" fill="rgb(0,0,0)">${xml(title)}</text>`,
  ];
  for (const f of shown) {
    const end = f.func === "" && f.depth === 0 ? total : f.end;
    const x1 = Number((XPAD + f.start * perTime).toFixed(1));
    const x2 = Number((XPAD + end * perTime).toFixed(1));
    const y1 = height - YPAD2 - (f.depth + 1) * FRAME_HEIGHT + FRAME_PAD;
    const y2 = height - YPAD2 - f.depth * FRAME_HEIGHT;
    const amount = (end - f.start).toFixed(0);
    const pct = total > 0 ? ((100 * Number(amount)) / total).toFixed(2) : "0.00";
    const root = f.func === "" && f.depth === 0;
    const info = root
      ? `all (${commas(amount)} ${unit}, 100%)`
      : `${xml(f.func)} (${commas(amount)} ${unit}, ${pct}%)`;
    const name = root ? "all" : f.func;
    const chars = Math.floor((x2 - x1) / (FONT_SIZE * FONT_WIDTH));
    let text = "";
    // Room for one character and two dots, as flamegraph.pl has it.
    if (chars >= 3) text = chars < name.length ? name.slice(0, chars - 2) + ".." : name;
    out.push(
      `<g class="func_g">`,
      `<title>${info}</title><rect x="${x1.toFixed(1)}" y="${y1}" width="${
        (x2 - x1).toFixed(1)
      }" height="${y2 - y1}" fill="${color(name)}" rx="2" ry="2" />`,
      `<text text-anchor="start" x="${(x1 + 3).toFixed(2)}" y="${
        3 + (y1 + y2) / 2
      }" font-size="${FONT_SIZE}" font-family="Verdana" fill="rgb(0,0,0)">${xml(text)}</text>`,
      `</g>`,
    );
  }
  out.push("</svg>", "");
  return out.join("\n");
}
