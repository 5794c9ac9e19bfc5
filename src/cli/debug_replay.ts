/**
 * `llmspell debug --replay ID`: a recorded session's executions as the program the debugger
 * runs, with every recorded outside call answered from the record as `session replay` does
 * (src/cli/session_replay.ts), so the run stops at breakpoints with the answers the session
 * got then; what diverged is reported when it ends.
 */
import * as path from "../path.ts";
import type { CliContext } from "./context.ts";
import type { ProgramStep, StepEnd } from "./debug_program.ts";
import type { EngineOptions } from "../engine/shared/protocol.ts";
import type { HostDispatcher } from "../engine/host/host_link.ts";
import { joinBytes, reportText, SessionReplay } from "./session_replay.ts";
import { resolveId, withStore } from "./session_store.ts";
import { LlmspellError } from "../errors.ts";

export interface ReplayProgram {
  steps: ProgramStep[];
  /** The first script file the session ran (absolute), where `break LINE` points. */
  source: string;
  onStep(index: number, end: StepEnd | undefined): void;
  hostFunctions(options: EngineOptions): HostDispatcher;
  /** What diverged from the record, as `session replay` prints it. */
  summary(): string;
}

export async function replayProgram(ctx: CliContext, id: string): Promise<ReplayProgram> {
  const { full, records } = withStore(ctx, (s) => {
    const full = resolveId(s, id);
    return { full, records: s.sessions.records(full) };
  });
  const replay = await SessionReplay.load(ctx, full, records, { live: false });
  if (!replay.steps.length) {
    throw new LlmspellError({
      code: "replay_empty",
      message: `session ${full} recorded no execution to replay`,
      hint: `llmspell session show ${full.slice(0, 8)} shows what it recorded`,
    });
  }
  const file = replay.steps.find((s) => s.chunkName.startsWith("@"));
  return {
    steps: replay.steps.map(({ code, chunkName, args, echo }) => ({ code, chunkName, args, echo })),
    source: file ? path.resolve(ctx.cwd, file.chunkName.slice(1)) : replay.steps[0].chunkName,
    onStep(i, end) {
      if (!end) return replay.begin(i);
      replay.end(i, {
        stdout: joinBytes(end.stdout),
        values: end.values,
        error: end.error?.message,
        exit: end.exit,
      });
    },
    hostFunctions: (options) => replay.functions(options),
    summary: () => `Replay of session ${full}: ${reportText(replay.report())}\n`,
  };
}
