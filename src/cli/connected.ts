/**
 * One cell on a kernel connection, in-process (embedded `run`/`exec`) or remote
 * (`--connect`, remote_run.ts): its IOPub messages are turned into the events of a run and
 * printed by the same renderer. Nothing here loads the ZMTP client.
 */
import type { LuaErrorInfo } from "../engine/protocol.ts";
import type { KernelConnection } from "../client/in_process.ts";
import type { Message } from "../protocol/jupyter/mod.ts";
import type { CliContext } from "./context.ts";
import { decodeBytes } from "../byte_string.ts";
import { type ScriptEvent, type ScriptInput, ScriptRenderer } from "./script.ts";

const encoder = new TextEncoder();

/** An IOPub message as a renderer event. */
export function iopubEvent(m: Message): ScriptEvent {
  const c = m.content;
  switch (m.header.msg_type) {
    case "stream":
      return {
        type: "stream",
        name: c.name === "stderr" ? "stderr" : "stdout",
        // An in-process kernel attaches the raw bytes: output that is not UTF-8 survives.
        data: m.buffers[0] ?? encoder.encode(String(c.text ?? "")),
      };
    case "execute_result": {
      const data = (c.data ?? {}) as Record<string, unknown>;
      const meta = (c.metadata ?? {}) as { llmspell?: { types?: unknown } };
      const types = Array.isArray(meta.llmspell?.types) ? meta.llmspell.types.map(String) : [];
      // One text/plain for all values: split it back only when the types say how many. A
      // kernel that had to escape bytes that are not UTF-8 attaches the exact text (kernel.ts).
      const text = m.buffers[0] ? decodeBytes(m.buffers[0]) : String(data["text/plain"] ?? "");
      const parts = text.split("\t");
      const json = data["application/json"];
      const ev: ScriptEvent = parts.length === types.length
        ? { type: "result", values: parts, types }
        : { type: "result", values: [text] };
      return Array.isArray(json) ? { ...ev, json } : ev;
    }
    case "display_data":
      return { type: "display", data: (c.data ?? {}) as Record<string, unknown> };
    case "error": {
      const error = errorInfo(c);
      // The exact bytes of a message the kernel had to escape (kernel.ts).
      if (m.buffers[0]) error.message = decodeBytes(m.buffers[0]);
      return { type: "error", error };
    }
  }
  return { type: "other" };
}

export function errorInfo(c: Record<string, unknown>): LuaErrorInfo {
  const kinds = ["syntax", "runtime", "interrupted", "timeout", "memory"];
  const kind = typeof c.kind === "string" && kinds.includes(c.kind) ? c.kind : "runtime";
  return {
    kind: kind as LuaErrorInfo["kind"],
    message: String(c.evalue ?? c.ename ?? "error"),
    traceback: Array.isArray(c.lua_traceback) ? c.lua_traceback.map(String) : [],
    isObject: false,
  };
}

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
