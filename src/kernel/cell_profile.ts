/**
 * Profiling a cell: `llmspell.profile` in an execute_request (the CLI's `profile` and
 * `run --profile`, the REPL's `.profile`) brings the profile back in the execute_reply;
 * a notebook cell whose first line is `%%profile` is profiled and its flame graph shown
 * as the cell's output (display_data, image/svg+xml, with the top frames as text/plain).
 */
import type { ProfileData } from "../engine/shared/protocol.ts";
import type { LlmspellExecuteOptions } from "../protocol/jupyter/messages.ts";
import type { JsonObject } from "../protocol/jupyter/wire.ts";

/** The magic line of a profiled notebook cell. */
const MAGIC = /^%%profile[ \t]*(?:\r?\n|$)/;
/** Rows of a cell's table. */
const CELL_TOP = 10;

/** How a cell asks to be profiled. */
export interface CellProfile {
  /** The cell's code to run: the magic line left empty, so line numbers stay the cell's. */
  code: string;
  /** Profiled: at `rateHz` samples a second (undefined: the engine's default). */
  profile?: { rateHz?: number };
  /** The magic asked: show the flame graph in the cell's output. */
  display: boolean;
}

export function cellProfile(code: string, ext: LlmspellExecuteOptions): CellProfile {
  const magic = MAGIC.exec(code);
  const asked = typeof ext.profile === "object" && ext.profile !== null;
  const rate = asked ? Number(ext.profile?.rate_hz) : NaN;
  // A rate that is not a number of samples a second leaves the engine's default.
  const profile = Number.isFinite(rate) && rate >= 1 ? { rateHz: rate } : {};
  if (!magic) return { code, profile: asked ? profile : undefined, display: false };
  return { code: "\n" + code.slice(magic[0].length), profile, display: true };
}

/** The display_data content of a cell's profile: its flame graph and its top frames. */
export async function profileDisplay(data: ProfileData, cell: string): Promise<JsonObject> {
  // Loaded at the first profiled cell only.
  const [{ profileSvg }, { formatTop, topFrames }] = await Promise.all([
    import("../profile/report.ts"),
    import("../profile/top.ts"),
  ]);
  const table = topFrames(data, CELL_TOP);
  return {
    data: {
      "image/svg+xml": profileSvg(data, `${cell}: wall time`),
      "text/plain": `profile: ${table.total_ms.toFixed(1)} ms in ${table.samples} samples\n` +
        formatTop(table),
    },
    metadata: {},
    transient: {},
  };
}
