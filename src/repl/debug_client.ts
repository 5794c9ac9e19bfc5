/**
 * The REPL's `db:` commands as a client of its kernel's debug session, through Jupyter's
 * debug protocol: a DAP request goes as a `debug_request` on the control channel, its
 * response comes back as the `debug_reply`, and the session's events as `debug_event` on
 * IOPub. The same for an embedded kernel (in-process) and one over `--connect`, and the
 * same session a DAP client (`llmspell dap` attach) or JupyterLab uses.
 *
 * The REPL does not send `attach`: that is JupyterLab's, after which the kernel names cells
 * by their dumped files, and the REPL's cells keep their names `In[N]`.
 */
import type { KernelConnection } from "../client/in_process.ts";
import type { DebugTarget } from "../debug/console/target.ts";
import type { JsonObject } from "../protocol/jupyter/mod.ts";

export class KernelDebugClient implements DebugTarget {
  readonly #conn: KernelConnection;
  #seq = 1;
  /** Whether a request went (the kernel then holds this client's breakpoints). */
  #used = false;

  constructor(conn: KernelConnection) {
    this.#conn = conn;
  }

  async request<B = unknown>(command: string, args: Record<string, unknown> = {}): Promise<B> {
    this.#used = true;
    const reply = await this.#conn.request("control", "debug_request", {
      type: "request",
      seq: this.#seq++,
      command,
      arguments: args as JsonObject,
    });
    const r = reply.content as { success?: boolean; message?: string; body?: unknown };
    if (r.success !== true) throw new Error(r.message ?? `${command} failed`);
    return (r.body ?? {}) as B;
  }

  onEvent(fn: (event: string, body: unknown) => void): () => void {
    return this.#conn.onIopub((m) => {
      if (m.header.msg_type !== "debug_event") return;
      const c = m.content as JsonObject;
      fn(String(c.event ?? ""), c.body ?? {});
    });
  }

  /** Leaves the session: the kernel drops this client's breakpoints and exception filters. */
  async disconnect(): Promise<void> {
    if (!this.#used) return;
    await this.request("disconnect", {}).catch(() => {});
  }
}
