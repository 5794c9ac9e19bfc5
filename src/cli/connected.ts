/**
 * One cell on a kernel connection, in-process (embedded `run`/`exec`) or remote
 * (`--connect`, remote_run.ts): its IOPub messages are turned into the events of a run and
 * printed by the same renderer. Nothing here loads the ZMTP client.
 */
import type { KernelConnection } from "../client/in_process.ts";
import type { CliContext } from "./context.ts";
import { decodeBytes } from "../byte_string.ts";
import { iopubEvent, ScriptRenderer } from "../frontend/cell.ts";
import type { ScriptInput } from "./script.ts";

const encoder = new TextEncoder();

/** Reads one line of this process's stdin (for the kernel's input_request). */
async function readLine(): Promise<string | null> {
  const buf = new Uint8Array(1);
  const bytes: number[] = [];
  for (;;) {
    const n = await Deno.stdin.read(buf);
    if (n === null || n === 0) return bytes.length > 0 ? decodeBytes(new Uint8Array(bytes)) : null;
    if (buf[0] === 10) return decodeBytes(new Uint8Array(bytes));
    bytes.push(buf[0]);
  }
}

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
      return await readLine();
    },
  });
  if (typeof reply.content.exit_code === "number") {
    renderer.feed({ type: "exit", code: reply.content.exit_code });
  }
  return renderer.finish(performance.now() - started);
}
