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
  return renderer.finish(performance.now() - started);
}
