/**
 * The in-process transport: a Kernel inside the CLI process, spoken to
 * with the same Jupyter messages and the same client API as a kernel over ZMTP, minus the
 * sockets and the signing. The REPL uses it in embedded mode, so a REPL behaves the same
 * embedded and with `--connect`.
 * See docs/decisions/0019-embedded-runs-through-in-process-kernel.md.
 */
import { Kernel } from "../kernel/kernel.ts";
import type { KernelOptions, KernelTransport } from "../kernel/kernel_options.ts";
// The message and wire modules only: an in-process kernel never signs.
import { type ExecuteRequestContent, newMessage } from "../protocol/jupyter/messages.ts";
import type { JsonObject, Message } from "../protocol/jupyter/wire.ts";
import { type ExecuteHandlers, MessageRouter } from "./router.ts";

/** What a front end needs from a kernel, whichever transport carries the messages. */
export interface KernelConnection {
  request(channel: "shell" | "control", msgType: string, content: JsonObject): Promise<Message>;
  execute(content: ExecuteRequestContent, handlers?: ExecuteHandlers): Promise<Message>;
  /**
   * Every IOPub message, whichever request it belongs to (the debugger's debug_event);
   * returns the unsubscribe function.
   */
  onIopub(fn: (m: Message) => void): () => void;
  close(): Promise<void>;
}

const encoder = new TextEncoder();

export class InProcessClient implements KernelConnection {
  readonly session = crypto.randomUUID();
  readonly kernel: Kernel;
  readonly #identities = [encoder.encode(this.session)];
  readonly #router = new MessageRouter();
  readonly #iopubListeners = new Set<(m: Message) => void>();
  #closed = false;

  private constructor(options: KernelOptions) {
    const transport: KernelTransport = {
      send: (_channel, _identities, message) => this.#onReply(message),
      publish: (message) => {
        for (const fn of this.#iopubListeners) fn(message);
        this.#router.iopub(message);
      },
      stdinAvailable: () => true,
    };
    this.kernel = new Kernel(transport, options);
  }

  /**
   * Starts a kernel in this process; resolves once it can run code, or at once with
   * `awaitEngine: false` (a batch run: its cell waits in the engine instead, and an engine
   * that fails to start fails that cell).
   */
  static async start(options: KernelOptions, awaitEngine = true): Promise<InProcessClient> {
    const c = new InProcessClient(options);
    if (awaitEngine) await c.kernel.ready();
    return c;
  }

  #onReply(message: Message): void {
    if (message.header.msg_type !== "input_request") {
      this.#router.reply(message);
      return;
    }
    this.#router.answerInput(message).then((content) => {
      const reply = newMessage("input_reply", content, this.session, message.header);
      this.kernel.receive("stdin", this.#identities, reply);
    });
  }

  request(channel: "shell" | "control", msgType: string, content: JsonObject): Promise<Message> {
    const msg = newMessage(msgType, content, this.session);
    const reply = this.#router.awaitReply(msg.header.msg_id);
    this.kernel.receive(channel, this.#identities, msg);
    return reply;
  }

  execute(content: ExecuteRequestContent, handlers: ExecuteHandlers = {}): Promise<Message> {
    const msg = newMessage("execute_request", content, this.session);
    return this.#router.execute(
      msg,
      handlers,
      () => this.kernel.receive("shell", this.#identities, msg),
    );
  }

  onIopub(fn: (m: Message) => void): () => void {
    this.#iopubListeners.add(fn);
    return () => this.#iopubListeners.delete(fn);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.kernel.close();
  }
}
