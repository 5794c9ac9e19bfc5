/**
 * One DAP client connection of `llmspell dap` (stdio or a TCP socket): reads framed requests,
 * answers `initialize` and hands the rest to the backend that `launch` or `attach` made (a
 * program on an engine of this process, or a running kernel). Requests are served one at a
 * time, in order, except that `launch` answers only once `configurationDone` has started the
 * program (the client sets its breakpoints in between, after the `initialized` event).
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { frame, readMessages } from "./framing.ts";
import { DapError, SESSION_CAPABILITIES } from "./session.ts";

/** Sends an event to the client. */
export type Emit = (event: string, body?: unknown) => void;

/** What `launch` or `attach` connected the client to. */
export interface Backend {
  /** A request of the session (breakpoints, stepping, inspection…); throws DapError. */
  request(command: string, args: Record<string, unknown>): Promise<unknown>;
  /** After configurationDone: a launched program starts. */
  start(): Promise<void>;
  restart(args: Record<string, unknown>): Promise<void>;
  terminate(): Promise<void>;
  /** The client leaves; `terminateDebuggee` ends a launched program. */
  disconnect(terminateDebuggee: boolean | undefined): Promise<void>;
}

export interface BackendFactory {
  launch(args: Record<string, unknown>, emit: Emit): Promise<Backend>;
  attach(args: Record<string, unknown>, emit: Emit): Promise<Backend>;
}

export const ADAPTER_CAPABILITIES: DP.Capabilities = {
  ...SESSION_CAPABILITIES,
  supportsRestartRequest: true,
  supportsTerminateRequest: true,
  supportTerminateDebuggee: true,
};

export class DapConnection {
  readonly #write: (bytes: Uint8Array) => Promise<void>;
  readonly #factory: BackendFactory;
  #seq = 1;
  #backend: Backend | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** The launch request, answered once configurationDone started the program. */
  #pendingLaunch: DP.Request | undefined;
  #writing: Promise<void> = Promise.resolve();
  #ended = false;

  constructor(write: (bytes: Uint8Array) => Promise<void>, factory: BackendFactory) {
    this.#write = write;
    this.#factory = factory;
  }

  #send(message: Record<string, unknown>): void {
    if (this.#ended) return;
    const bytes = frame({ seq: this.#seq++, ...message });
    this.#writing = this.#writing.then(() => this.#write(bytes)).catch(() => {
      this.#ended = true;
    });
  }

  readonly emit: Emit = (event, body) => this.#send({ type: "event", event, body });

  #respond(req: DP.Request, body?: unknown, error?: string): void {
    this.#send({
      type: "response",
      request_seq: req.seq,
      command: req.command,
      success: error === undefined,
      ...(error === undefined ? { body: body ?? {} } : { message: error }),
    });
  }

  /** Serves the client until its stream ends or it disconnects. */
  async serve(input: ReadableStream<Uint8Array>): Promise<void> {
    for await (const m of readMessages(input)) {
      if (m instanceof Error) {
        this.emit("output", { category: "stderr", output: m.message + "\n" });
        continue;
      }
      const req = m as DP.Request;
      if (req?.type !== "request" || typeof req.command !== "string") {
        this.emit("output", { category: "stderr", output: "not a DAP request\n" });
        continue;
      }
      this.#chain = this.#chain.then(() => this.#handle(req));
      if (req.command === "disconnect") {
        // Answered before the loop ends: leaving it cancels the input, which closes a socket.
        await this.#chain;
        break;
      }
    }
    await this.#chain;
    if (!this.#ended) await this.#backend?.disconnect(undefined).catch(() => {});
    await this.#writing;
  }

  async #handle(req: DP.Request): Promise<void> {
    const args = (req.arguments ?? {}) as Record<string, unknown>;
    try {
      switch (req.command) {
        case "initialize":
          this.#respond(req, ADAPTER_CAPABILITIES);
          return;
        case "launch":
        case "attach": {
          if (this.#backend) throw new DapError(`${req.command}: already started`);
          this.#backend = req.command === "launch"
            ? await this.#factory.launch(args, this.emit)
            : await this.#factory.attach(args, this.emit);
          if (req.command === "launch") this.#pendingLaunch = req;
          else this.#respond(req);
          this.emit("initialized");
          return;
        }
        case "disconnect": {
          const b = this.#backend;
          if (b) await b.disconnect(args.terminateDebuggee as boolean | undefined);
          this.#respond(req);
          this.#ended = true;
          await this.#writing;
          return;
        }
      }
      const b = this.#backend;
      if (!b) throw new DapError(`${req.command}: launch or attach first`);
      switch (req.command) {
        case "configurationDone": {
          await b.request("configurationDone", args);
          this.#respond(req);
          const launch = this.#pendingLaunch;
          this.#pendingLaunch = undefined;
          if (launch) {
            await b.start();
            this.#respond(launch);
          }
          return;
        }
        case "restart":
          await b.restart(args);
          this.#respond(req);
          return;
        case "terminate":
          await b.terminate();
          this.#respond(req);
          return;
      }
      this.#respond(req, await b.request(req.command, args));
    } catch (e) {
      this.#respond(req, undefined, e instanceof Error ? e.message : String(e));
    }
  }
}
