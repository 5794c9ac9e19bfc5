/**
 * One cell on a kernel connection, in-process (embedded `run`/`exec`) or remote
 * (`--connect`, remote_run.ts): its IOPub messages are turned into the events of a run and
 * printed by the same renderer. Nothing here loads the ZMTP client.
 */
import type { KernelConnection } from "../client/in_process.ts";
import type { CliContext } from "./context.ts";
import { LineReader } from "../frontend/line_reader.ts";
import { iopubEvent, ScriptRenderer } from "../frontend/cell.ts";
import type { ScriptInput } from "./script.ts";
import type { ProfileData } from "../engine/shared/protocol.ts";
import type { Message } from "../protocol/jupyter/wire.ts";
import { writeErr } from "../frontend/output.ts";
import { reportError } from "../frontend/print.ts";
import { ExitCode, LlmspellError } from "../errors.ts";

const encoder = new TextEncoder();

/** This process's stdin, for the kernel's input_requests (made at the first). */
let stdinLines: LineReader | undefined;

/**
 * Runs `input` as one cell on a kernel connection (in-process or remote) and renders what
 * comes back on IOPub; returns the exit code. `allowStdin`: the kernel asks this process for
 * io.read lines (a remote kernel cannot read our stdin itself).
 */
export async function runCell(
  conn: KernelConnection,
  ctx: CliContext,
  input: ScriptInput,
  started: number,
  allowStdin: boolean,
): Promise<number> {
  const renderer = new ScriptRenderer(ctx, input.echo);
  const reply = await conn.execute({
    code: input.code,
    silent: false,
    store_history: true,
    allow_stdin: allowStdin,
    stop_on_error: true,
    llmspell: {
      chunk_name: input.chunkName,
      echo: input.echo ? "chunk" : "none",
      args: input.args,
      // The document of --output json|yaml gives the values as JSON.
      json_values: ctx.output !== "text",
      ...(input.scriptDir !== undefined ? { script_dir: input.scriptDir } : {}),
      ...(input.profile ? { profile: profileAsked(input.profile.rateHz) } : {}),
    },
  }, {
    onIopub: (m) => renderer.feed(iopubEvent(m)),
    onInput: async (prompt) => {
      if (prompt) Deno.stdout.writeSync(encoder.encode(prompt));
      return await (stdinLines ??= new LineReader({ stripCr: false })).read();
    },
  });
  if (typeof reply.content.exit_code === "number") {
    renderer.feed({ type: "exit", code: reply.content.exit_code });
  }
  if (!input.profile) return renderer.finish(performance.now() - started);
  const report = await profileReport(reply, input);
  if (report instanceof LlmspellError) {
    const code = renderer.finish(performance.now() - started);
    const failed = reportError(report, ctx.colorErr);
    return code === ExitCode.ok ? failed : code;
  }
  renderer.attachProfile(report.table);
  const code = renderer.finish(performance.now() - started);
  if (ctx.output === "text") writeErr(report.text);
  return code;
}

/** `llmspell.profile` of the request: the rate, or none for the engine's default. */
function profileAsked(rateHz: number | undefined): { rate_hz?: number } {
  return rateHz === undefined ? {} : { rate_hz: rateHz };
}

/** Writes the profile the reply brought; its table, or an error line. */
async function profileReport(
  reply: Message,
  input: ScriptInput,
): Promise<{ table: unknown; text: string } | LlmspellError> {
  const ext = reply.content.llmspell as { profile?: ProfileData } | undefined;
  if (!ext?.profile) {
    return new LlmspellError({
      code: "no_profile",
      message: "the kernel sent no profile",
      hint: "profile on a kernel of this llmspell version, or without --connect",
    });
  }
  // Loaded only for a profiled run.
  const { writeProfile, formatReport } = await import("../profile/report.ts");
  const name = input.chunkName.replace(/^[@=]/, "");
  try {
    const table = await writeProfile(ext.profile, name, input.profile!);
    return { table, text: formatReport(table) };
  } catch (e) {
    return new LlmspellError({
      code: "profile_write",
      message: `cannot write the profile: ${e instanceof Error ? e.message : e}`,
      hint: "check that --out names a writable place",
    });
  }
}
