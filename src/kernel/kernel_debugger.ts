/**
 * The kernel's side of the debugger: DAP over Jupyter's control channel. A `debug_request`
 * carries a DAP request, its `debug_reply` the DAP response, and the session's events go
 * out on IOPub as `debug_event`. Requests go to the kernel's one DebugSession (debug/session/),
 * the one `llmspell dap --attach` (through this channel) and every other client share; each
 * Jupyter session is one client of it (its own breakpoints).
 *
 * JupyterLab's own requests are served here too: debugInfo (how it names cells' files),
 * dumpCell (writes a cell's code to that file) and copyToGlobals; inspectVariables and
 * richInspectVariables (a variable's value as the mime bundle display() shows) go to the
 * worker's debugger like DAP requests. While a client is attached every cell runs under its dumped file's path as
 * its chunk name (cellChunkName), so breakpoints JupyterLab sets on that path hit, as with
 * ipykernel.
 *
 * Only a kernel whose engine runs with the debugger (config `debug.enabled`) serves them;
 * otherwise, and for commands the session does not know, the reply is an error at once.
 */
import type { Engine } from "../engine/host/handle.ts";
import type { JsonObject } from "../protocol/jupyter/wire.ts";
import { DapError, DebugSession, SESSION_CAPABILITIES } from "../debug/session/session.ts";
import { murmur2 } from "./murmur2.ts";

/** The sink id of IOPub: every event goes there once. */
const IOPUB = "iopub";

/** debugInfo's hashSeed (ipykernel's value: any fixed number does). */
export const HASH_SEED = 3339675911;
export const CELL_SUFFIX = ".lua";

export class KernelDebugger {
  readonly #session = new DebugSession();
  readonly #engine: () => Engine;
  readonly #publish: (content: JsonObject) => void;
  /** The engine the session drives, once a client came. */
  #driving: Engine | undefined;
  #ready: Promise<void> | undefined;
  readonly #attached = new Set<string>();
  #seq = 1;
  /** The directory of dumped cells (made at the first need; removed by dispose). */
  #cellDir: string | undefined;
  readonly #dumped = new Set<string>();

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

  /** Where a cell of `code` is dumped: JupyterLab's DebuggerConfig.getCodeId. */
  cellPath(code: string): string {
    this.#cellDir ??= Deno.makeTempDirSync({ prefix: "llmspell_cells_" });
    return `${this.#cellDir}/${murmur2(code, HASH_SEED)}${CELL_SUFFIX}`;
  }

  /** Writes a cell's code to its path (once per content); the path. */
  #dump(code: string): string {
    const p = this.cellPath(code);
    if (!this.#dumped.has(p)) {
      Deno.writeTextFileSync(p, code);
      this.#dumped.add(p);
    }
    return p;
  }

  /**
   * The chunk name a cell of `code` runs under: its dumped file while a debugger client is
   * attached (so breakpoints on that path hit, and frames show it), otherwise none (the
   * kernel's In[N]).
   */
  cellChunkName(code: string): string | undefined {
    if (this.#attached.size === 0) return undefined;
    return "@" + this.#dump(code);
  }

  /** Removes the dumped cells (kernel shutdown). */
  dispose(): void {
    if (this.#cellDir) {
      try {
        Deno.removeSync(this.#cellDir, { recursive: true });
      } catch { /* already gone */ }
    }
  }

  /** JupyterLab's debugInfo: how cells are named, the breakpoints, whether stopped. */
  #debugInfo(): JsonObject {
    const prefix = this.cellPath("").replace(/[^/]*$/, "");
    return {
      isStarted: this.#attached.size > 0,
      hashMethod: "Murmur2",
      hashSeed: HASH_SEED,
      tmpFilePrefix: prefix,
      tmpFileSuffix: CELL_SUFFIX,
      breakpoints: this.#session.breakpointsBySource() as unknown as JsonObject[],
      stoppedThreads: this.#session.stopped ? [1] : [],
      richRendering: true,
      exceptionPaths: [],
      copyToGlobals: true,
    };
  }

  /**
   * copyToGlobals: a stopped frame's variable copied to a global (Lua's frame-local
   * assignment, evaluated in that frame, reaches the globals through _ENV).
   */
  async #copyToGlobals(owner: string, args: Record<string, unknown>): Promise<JsonObject> {
    const src = String(args.srcVariableName ?? "");
    const dst = String(args.dstVariableName ?? "");
    const ident = /^[A-Za-z_][A-Za-z0-9_]*$/;
    if (!ident.test(src) || !ident.test(dst)) {
      throw new DapError("copyToGlobals: the variable names must be Lua names");
    }
    await this.#session.request(owner, "evaluate", {
      expression: `(function(v) _ENV[${JSON.stringify(dst)}] = v end)(${src})`,
      context: "repl",
      ...(typeof args.srcFrameId === "number" ? { frameId: args.srcFrameId } : {}),
    });
    return {};
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
      // The session starts driving the engine now; only what reaches the worker waits for
      // that: the rest is answered while a cell runs or waits for input.
      const driving = this.#follow();
      driving.catch(() => {});
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
        case "debugInfo":
          return reply(this.#debugInfo());
        case "dumpCell":
          return reply({ sourcePath: this.#dump(String(args.code ?? "")) });
        case "copyToGlobals":
          await driving;
          return reply(await this.#copyToGlobals(owner, args));
        case "modules":
          // Lua has no module list a debugger could use; JupyterLab asks, an empty one does.
          return reply({ modules: [], totalModules: 0 });
      }
      await driving;
      return reply(await this.#session.request(owner, command, args));
    } catch (e) {
      return reply(undefined, e instanceof DapError || e instanceof Error ? e.message : String(e));
    }
  }
}
