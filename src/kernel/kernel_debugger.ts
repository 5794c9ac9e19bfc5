/**
 * The kernel's side of the debugger: DAP over Jupyter's control channel. A `debug_request`
 * carries a DAP request, its `debug_reply` the DAP response, and the session's events go
 * out on IOPub as `debug_event`. Requests go to the kernel's one DebugSession (debug/session/),
 * the one `llmspell dap --attach` (through this channel) and every other client share; each
 * Jupyter session is one client of it (its own breakpoints).
 *
 * Only a kernel whose engine runs with the debugger (config `debug.enabled`) serves them;
 * otherwise, and for commands the session does not know, the reply is an error at once.
 */
import type { Engine } from "../engine/handle.ts";
import type { JsonObject } from "../protocol/jupyter/wire.ts";
import { DapError, DebugSession, SESSION_CAPABILITIES } from "../debug/session/session.ts";

/** The sink id of IOPub: every event goes there once. */
const IOPUB = "iopub";

export const DEBUG_DISABLED = "debugging is disabled in this kernel's configuration " +
  "(debug.enabled = false)";

export class KernelDebugger {
  readonly #session = new DebugSession();
  readonly #engine: () => Engine;
  readonly #publish: (content: JsonObject) => void;
  /** The engine the session drives, once a client came. */
  #driving: Engine | undefined;
  #ready: Promise<void> | undefined;
  readonly #attached = new Set<string>();
  #seq = 1;

  constructor(opts: { engine: () => Engine; publish: (content: JsonObject) => void }) {
    this.#engine = opts.engine;
    this.#publish = opts.publish;
  }

  /** The session drives the kernel's engine now (at the first request, after a restart). */
  #follow(): Promise<void> {
    const engine = this.#engine();
    if (engine !== this.#driving) {
      if (!this.#driving) {
        this.#session.addClient(IOPUB, {
          event: (event, body) =>
            this.#publish({ seq: this.#seq++, type: "event", event, body: body ?? {} }),
        });
      }
      this.#driving = engine;
      this.#ready = this.#session.setRuntime(engine.debug);
    }
    return this.#ready!;
  }

  /** The kernel's engine was replaced (restart): breakpoints move to the new one. */
  engineReplaced(): void {
    if (this.#driving) void this.#follow();
  }

  /**
   * The DAP response to `request` from the Jupyter session `owner`, in a debug_reply's
   * content (never throws).
   */
  async handle(owner: string, request: JsonObject): Promise<JsonObject> {
    const command = typeof request.command === "string" ? request.command : "";
    const reply = (body: unknown, message?: string): JsonObject => ({
      type: "response",
      seq: this.#seq++,
      request_seq: typeof request.seq === "number" ? request.seq : 0,
      command,
      success: message === undefined,
      ...(message === undefined ? { body: (body ?? {}) as JsonObject } : { message }),
    });
    const args = (request.arguments ?? {}) as Record<string, unknown>;
    try {
      await this.#follow();
      switch (command) {
        case "initialize":
          return reply({ ...SESSION_CAPABILITIES });
        case "attach":
          this.#attached.add(owner);
          this.#session.announceTo(IOPUB);
          return reply({});
        case "disconnect":
          this.#attached.delete(owner);
          await this.#session.removeOwner(owner, this.#attached.size === 0);
          return reply({});
      }
      return reply(await this.#session.request(owner, command, args));
    } catch (e) {
      return reply(undefined, e instanceof DapError || e instanceof Error ? e.message : String(e));
    }
  }
}
