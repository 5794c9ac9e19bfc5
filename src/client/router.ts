/**
 * What a client keeps per request, whichever transport carries the messages (client.ts over
 * ZMTP, in_process.ts in this process): replies, IOPub messages and input requests are routed
 * to the request they answer by their parent msg_id, and an execution ends when both its
 * reply and its `idle` status have arrived. When the kernel dies, `fail` ends everything that
 * waits with the reason.
 */
import type { JsonObject, Message } from "../protocol/jupyter/wire.ts";

/** Handlers for what an execution produces. */
export interface ExecuteHandlers {
  /** Every IOPub message of this execution, in order. */
  onIopub?(msg: Message): void;
  /** input_request: return the line, or null for end of input. */
  onInput?(prompt: string, password: boolean): Promise<string | null>;
}

function parentId(message: Message): string {
  return String((message.parent_header as { msg_id?: string }).msg_id ?? "");
}

export class MessageRouter {
  readonly #replies = new Map<string, (m: Message) => void>();
  readonly #iopub = new Map<string, (m: Message) => void>();
  readonly #inputs = new Map<string, ExecuteHandlers>();
  /** What `guard`ed promises wait on, rejected by `fail`. */
  readonly #failers = new Set<(e: Error) => void>();
  #failure: Error | undefined;

  /** The reply to the request `id`; register before sending it. */
  awaitReply(id: string): Promise<Message> {
    return this.guard(new Promise<Message>((resolve) => this.#replies.set(id, resolve)));
  }

  /**
   * `p`, or a rejection with the reason once the connection has failed (`fail`). A guarded
   * promise nobody awaits any more (its request's send failed) is no unhandled rejection.
   */
  guard<T>(p: Promise<T>): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    let fail!: (e: Error) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    this.#failers.add(fail);
    const guarded = Promise.race([p, failed]).finally(() => this.#failers.delete(fail));
    guarded.catch(() => {});
    return guarded;
  }

  /** The kernel is gone: every pending and later request fails with `reason`. */
  fail(reason: Error): void {
    this.#failure ??= reason;
    for (const f of this.#failers) f(this.#failure);
    this.#failers.clear();
  }

  /** Stops waiting for the reply to `id` (a timeout). */
  forget(id: string): void {
    this.#replies.delete(id);
  }

  /** A shell or control reply arrived. */
  reply(message: Message): void {
    const id = parentId(message);
    const resolve = this.#replies.get(id);
    this.#replies.delete(id);
    resolve?.(message);
  }

  /** An IOPub message arrived. */
  iopub(message: Message): void {
    this.#iopub.get(parentId(message))?.(message);
  }

  /** The content of the input_reply to an input_request (end of input without a handler). */
  async answerInput(request: Message): Promise<JsonObject> {
    const h = this.#inputs.get(parentId(request));
    const c = request.content;
    const value = h?.onInput ? await h.onInput(String(c.prompt ?? ""), c.password === true) : null;
    return value === null ? { value: "", llmspell_eof: true } : { value };
  }

  /**
   * Runs the execute_request `msg`, which `send` transmits: its IOPub messages go to
   * `handlers.onIopub`; resolves with the execute_reply once the kernel is idle again.
   */
  async execute(
    msg: Message,
    handlers: ExecuteHandlers,
    send: () => void | Promise<void>,
  ): Promise<Message> {
    const id = msg.header.msg_id;
    let idle!: () => void;
    const idleSeen = new Promise<void>((r) => (idle = r));
    this.#iopub.set(id, (m) => {
      handlers.onIopub?.(m);
      if (m.header.msg_type === "status" && m.content.execution_state === "idle") idle();
    });
    this.#inputs.set(id, handlers);
    const reply = this.awaitReply(id);
    try {
      // A send waits for a peer, which a dead kernel never is again.
      await this.guard(Promise.resolve(send()));
      const r = await reply;
      await this.guard(idleSeen);
      return r;
    } finally {
      this.#iopub.delete(id);
      this.#inputs.delete(id);
    }
  }
}
