/**
 * The stdin channel: a cell's `io.read` / `input()` becomes an input_request to the client
 * that sent the cell, and its input_reply the line the engine waits for. One wait at a time
 * (one cell runs at a time).
 */
import type { Engine } from "../engine/host/handle.ts";
import type { Header } from "../protocol/jupyter/wire.ts";
import type { Logger } from "../telemetry/log.ts";
import type { Outbox } from "./outbox.ts";
import { type ClientRequest, str } from "./request.ts";

interface InputWait {
  msgId: string;
  client: string;
  resolve(value: string | null, error?: string): void;
}

export class StdinBroker {
  readonly #out: Outbox;
  readonly #log: Logger;
  #wait: InputWait | undefined;

  constructor(out: Outbox, log: Logger) {
    this.#out = out;
    this.#log = log;
  }

  /**
   * Asks the client of `req` for a line and gives it (or end of input, or why there is
   * none) to `engine`; resolves once the engine has its answer.
   */
  async ask(
    engine: Engine,
    req: ClientRequest,
    prompt: string,
    password: boolean,
    allowed: boolean,
  ): Promise<void> {
    if (!allowed) {
      engine.provideInput(null, "input is not available: this request does not allow stdin");
      return;
    }
    if (!this.#out.stdinAvailable(req.identities)) {
      engine.provideInput(null, "input is not available: the client is not connected on stdin");
      return;
    }
    const msg = this.#out.request("input_request", { prompt, password }, req.message.header);
    const answered = new Promise<void>((resolve) => {
      this.#wait = {
        msgId: msg.header.msg_id,
        client: req.client,
        resolve: (value, error) => {
          this.#wait = undefined;
          engine.provideInput(value, error);
          resolve();
        },
      };
    });
    // The output before the prompt must reach the client first.
    this.#out.holdIopub(false);
    this.#out.sendStdin(req.identities, msg);
    await answered;
  }

  /** An input_reply: the answer to the wait it replies to. */
  onReply(req: ClientRequest): void {
    const w = this.#wait;
    const parentId = (req.message.parent_header as Header).msg_id;
    if (!w || (parentId !== undefined && parentId !== w.msgId)) {
      this.#log.debug("kernel: input_reply without a pending input_request");
      return;
    }
    const c = req.message.content;
    if (c.llmspell_eof === true) w.resolve(null);
    else w.resolve(str(c.value));
  }

  /** A client left stdin: a wait for its input ends as end of input. */
  clientLeft(client: string): void {
    if (this.#wait && this.#wait.client === client) this.#wait.resolve(null);
  }

  /** Ends a wait for input, if any, as end of input (interrupt, restart, close). */
  end(): void {
    this.#wait?.resolve(null);
  }
}
