/**
 * A profile's files and table: `PREFIX.folded`, `PREFIX.svg` and
 * `PREFIX.speedscope.json`, and the top-N table. What `llmspell profile`, `run --profile`
 * and the REPL's `.profile` do with the profile a kernel's execute_reply brings.
 */
import type { ProfileData } from "../engine/shared/protocol.ts";
import { VERSION } from "../version.ts";
import { flameGraphSvg } from "./flamegraph.ts";
import { speedscopeFile } from "./speedscope.ts";
import { foldedStacks, stackWeights } from "./stacks.ts";
import { formatTop, topFrames, type TopTable } from "./top.ts";

/** What a run's profile is asked for with. */
export interface ProfileOptions {
  /** The files' common prefix (a path, relative to the working directory). */
  out: string;
  /** Samples a second (undefined: the engine's default). */
  rateHz?: number;
  /** Rows of the table. */
  top: number;
}

/** The table, and the files written. */
export interface ProfileReport extends TopTable {
  files: { folded: string; svg: string; speedscope: string };
}

/** The flame graph of a profile (also a notebook cell's, src/kernel/). */
export function profileSvg(data: ProfileData, title: string): string {
  return flameGraphSvg([...stackWeights(data).values()], title);
}

/** Writes the three files of `data` (profile `name`, e.g. the script) and makes the table. */
export async function writeProfile(
  data: ProfileData,
  name: string,
  options: { out: string; top: number },
): Promise<ProfileReport> {
  const files = {
    folded: `${options.out}.folded`,
    svg: `${options.out}.svg`,
    speedscope: `${options.out}.speedscope.json`,
  };
  await Deno.writeTextFile(files.folded, foldedStacks(data));
  await Deno.writeTextFile(files.svg, profileSvg(data, `${name}: wall time`));
  const speedscope = speedscopeFile(data, name, `llmspell ${VERSION}`);
  await Deno.writeTextFile(files.speedscope, JSON.stringify(speedscope));
  return { ...topFrames(data, options.top), files };
}

/** The summary line and the table, for stderr. */
export function formatReport(r: ProfileReport): string {
  return `profile: ${r.total_ms.toFixed(1)} ms in ${r.samples} samples; wrote ${r.files.folded}, ` +
    `${r.files.svg}, ${r.files.speedscope}\n` + formatTop(r);
}
