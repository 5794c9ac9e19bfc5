/**
 * `llmspell dap`, `attach`: the client joins the debug session of a running `llmspell kernel`
 * (kernel/kernel_debugger.ts) through Jupyter's control channel: each DAP request goes as a
 * `debug_request`, and the session's `debug_event`s and the kernel's output (IOPub `stream`,
 * whoever's cell wrote it) come back as events.
 */
import { KernelClient } from "../client/client.ts";
import { resolvePaths } from "../config/paths.ts";
import type { Backend, Emit } from "../debug/session/adapter.ts";
import { DapError } from "../debug/session/session.ts";
import { resolveAddress } from "../kernel/registry.ts";
import type { JsonObject } from "../protocol/jupyter/wire.ts";

/** How long a debug_request may take (a stackTrace of a deep stack, a big table). */
const REQUEST_TIMEOUT_MS = 60_000;

export async function attachBackend(
  raw: Record<string, unknown>,
  emit: Emit,
  cwd: string,
  env: Record<string, string>,
): Promise<Backend> {
  if (typeof raw.kernel !== "string" || raw.kernel === "") {
    throw new DapError(
      "attach: missing argument kernel (a kernel id, a connection file, or host:port)",
    );
  }
  let client: KernelClient;
  try {
    const { info } = await resolveAddress(resolvePaths(env, cwd).runtimeDir, raw.kernel, cwd);
    client = await KernelClient.connect(info);
  } catch (e) {
    throw new DapError(`attach: ${e instanceof Error ? e.message : e}`);
  }
  let seq = 1;
  /** Breakpoint ids this client set: the kernel's events about them are its own echo. */
  const mine = new Set<number>();
  const stopListening = client.onIopub((m) => {
    const c = m.content as JsonObject;
    if (m.header.msg_type === "debug_event") {
      const event = String(c.event ?? "");
      const body = c.body as { reason?: string; breakpoint?: { id?: number } } | undefined;
      if (
        event === "breakpoint" && body?.reason !== "removed" && mine.has(body?.breakpoint?.id ?? -1)
      ) {
        return;
      }
      emit(event, c.body);
    } else if (m.header.msg_type === "stream") {
      emit("output", { category: c.name === "stderr" ? "stderr" : "stdout", output: c.text });
    }
  });

  const request = async (command: string, args: Record<string, unknown>): Promise<unknown> => {
    const reply = await client.request("control", "debug_request", {
      type: "request",
      seq: seq++,
      command,
      arguments: args as JsonObject,
    }, REQUEST_TIMEOUT_MS);
    const r = reply.content as { success?: boolean; message?: string; body?: unknown };
    if (r.success !== true) throw new DapError(r.message ?? `${command} failed`);
    const body = (r.body ?? {}) as { breakpoints?: { id?: number }[] };
    if (command === "setBreakpoints" || command === "setFunctionBreakpoints") {
      for (const b of body.breakpoints ?? []) if (b.id !== undefined) mine.add(b.id);
    }
    return body;
  };

  await request("attach", {});
  const leave = async () => {
    stopListening();
    await request("disconnect", {}).catch(() => {});
    await client.close();
  };
  return {
    request,
    async start() {},
    restart() {
      return Promise.reject(new DapError("restart: not for an attached kernel (restart it)"));
    },
    async terminate() {
      await leave();
      emit("terminated");
    },
    // The kernel runs on: an attached client never ends it.
    disconnect: leave,
  };
}
