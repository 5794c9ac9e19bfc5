/**
 * A profile as a speedscope file (https://www.speedscope.app/file-format-schema.json, the
 * schema of `npm:speedscope`): one evented profile in microseconds, its timeline in the
 * order the execution ran, so speedscope's "Time Order" view shows when each call ran
 * and its "Left Heavy" view the same totals as the flame graph.
 */
import type { ProfileData } from "../engine/shared/protocol.ts";

interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
}

interface SpeedscopeEvent {
  type: "O" | "C";
  frame: number;
  at: number;
}

/** The file's JSON: `name` names the profile (the script), `exporter` the program. */
export function speedscopeFile(data: ProfileData, name: string, exporter: string): unknown {
  // speedscope's frames: ours, once per (name, file, line).
  const frames: SpeedscopeFrame[] = [];
  const index = new Map<string, number>();
  const frameOf = data.frames.map((f) => {
    const key = `${f.name}\u0000${f.file}\u0000${f.line}`;
    let i = index.get(key);
    if (i === undefined) {
      const frame: SpeedscopeFrame = { name: f.name };
      if (f.file !== "[C]" && f.file !== "[host]") frame.file = f.file;
      if (f.line > 0) frame.line = f.line;
      i = frames.push(frame) - 1;
      index.set(key, i);
    }
    return i;
  });
  const stackOf = (node: number): number[] => {
    const stack: number[] = [];
    for (let n = node; n > 0; n = data.parents[n]) stack.push(frameOf[data.nodeFrames[n]]);
    return stack.reverse();
  };
  const events: SpeedscopeEvent[] = [];
  let open: number[] = [];
  let at = 0;
  const moveTo = (next: number[]) => {
    let same = 0;
    while (same < open.length && same < next.length && open[same] === next[same]) same++;
    for (let i = open.length - 1; i >= same; i--) events.push({ type: "C", frame: open[i], at });
    for (let i = same; i < next.length; i++) events.push({ type: "O", frame: next[i], at });
    open = next;
  };
  data.samples.forEach((node, i) => {
    moveTo(stackOf(node));
    at += data.weights[i];
  });
  moveTo([]);
  return {
    $schema: "https://www.speedscope.app/file-format-schema.json",
    shared: { frames },
    profiles: [{
      type: "evented",
      name,
      unit: "microseconds",
      startValue: 0,
      endValue: at,
      events,
    }],
    name,
    activeProfileIndex: 0,
    exporter,
  };
}
