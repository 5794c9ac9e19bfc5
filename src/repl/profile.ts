/**
 * `.profile` in the REPL: the next input (`.profile` alone) or the code after it
 * (`.profile CODE`) runs profiled, and its profile is written as `profile.folded`,
 * `profile.svg` and `profile.speedscope.json` in the REPL's directory, with the top frames
 * on stderr (src/profile/report.ts, loaded at the first profiled input).
 */
import * as path from "../path.ts";
import type { ProfileData } from "../engine/shared/protocol.ts";
import type { JsonObject, Message } from "../protocol/jupyter/mod.ts";
import { paint, writeErr } from "../frontend/output.ts";

/** The files' prefix, in the REPL's working directory. */
const PREFIX = "profile";
const TOP = 15;

/** What an execute_request adds to be profiled (at the engine's default rate). */
export const PROFILE_EXTRA: JsonObject = { profile: {} };

/** Writes the profile a profiled input's reply brought, and prints its table. */
export async function reportProfile(reply: Message, cwd: string, colorErr: boolean): Promise<void> {
  const ext = reply.content.llmspell as { profile?: ProfileData } | undefined;
  if (!ext?.profile) {
    writeErr(`${paint(colorErr, "red", "error:")} the kernel sent no profile\n`);
    return;
  }
  const { writeProfile, formatReport } = await import("../profile/report.ts");
  try {
    const name = `In[${reply.content.execution_count}]`;
    const report = await writeProfile(ext.profile, name, {
      out: path.join(cwd, PREFIX),
      top: TOP,
    });
    writeErr(formatReport(report));
  } catch (e) {
    writeErr(
      `${paint(colorErr, "red", "error:")} cannot write the profile: ${
        e instanceof Error ? e.message : e
      }\n`,
    );
  }
}
