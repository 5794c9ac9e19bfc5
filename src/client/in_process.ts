/**
 * The in-process transport (ARCHITECTURE.md §2): a Kernel inside the CLI process, spoken to
 * with the same Jupyter messages and the same client API as a kernel over ZMTP, minus the
 * sockets and the signing. The REPL uses it in embedded mode, so a REPL behaves the same
 * embedded and with `--connect`.
 */
import { Kernel, type KernelOptions, type KernelTransport } from "../kernel/kernel.ts";
// Not protocol/jupyter/mod.ts: it re-exports the signer, whose node:crypto costs ~16 ms of
// start-up in every embedded run and exec (an in-process kernel never signs).
import { type ExecuteRequestContent, newMessage } from "../protocol/jupyter/messages.ts";
import type { JsonObject, Message } from "../protocol/jupyter/wire.ts";
import type { ExecuteHandlers } from "./client.ts";

/** What a front end needs from a kernel, whichever transport carries the messages. */
export interface KernelConnection {
  request(channel: "shell" | "control", msgType: string, content: JsonObject): Promise<Message>;
  execute(content: ExecuteRequestContent, handlers?: ExecuteHandlers): Promise<Message>;
  close(): Promise<void>;
}

const encoder = new TextEncoder();

export class InProcessClient implements KernelConnection {
  readonly session = crypto.randomUUID();
  readonly kernel: Kernel;
  readonly #identities = [encoder.encode(this.session)];
  readonly #replies = new Map<string, (m: Message) => void>();
  readonly #iopub = new Map<string, (m: Message) => void>();
  readonly #inputHandlers = new Map<string, ExecuteHandlers>();
  #closed = false;

  private constructor(options: KernelOptions) {
    const transport: KernelTransport = {
      send: (_channel, _identities, message) => this.#onReply(message),
      publish: (message) => this.#iopub.get(String(message.parent_header.msg_id ?? ""))?.(message),
      stdinAvailable: () => true,
    };
    this.kernel = new Kernel(transport, options);
  }

  /** Starts a kernel in this process; resolves once it can run code. */
  static async start(options: KernelOptions): Promise<InProcessClient> {
    const c = new InProcessClient(options);
    await c.kernel.ready();
    return c;
  }

  #onReply(message: Message): void {
    const parent = String(message.parent_header.msg_id ?? "");
    if (message.header.msg_type === "input_request") {
      const handlers = this.#inputHandlers.get(parent);
      const answer = handlers?.onInput
        ? handlers.onInput(String(message.content.prompt ?? ""), message.content.password === true)
        : Promise.resolve(null);
      answer.then((value) => {
        const content = value === null ? { value: "", llmspell_eof: true } : { value };
        const reply = newMessage("input_reply", content, this.session, message.header);
        this.kernel.receive("stdin", this.#identities, reply);
      });
      return;
    }
    const resolve = this.#replies.get(parent);
    this.#replies.delete(parent);
    resolve?.(message);
  }

  request(channel: "shell" | "control", msgType: string, content: JsonObject): Promise<Message> {
    const msg = newMessage(msgType, content, this.session);
    const reply = new Promise<Message>((r) => this.#replies.set(msg.header.msg_id, r));
    this.kernel.receive(channel, this.#identities, msg);
    return reply;
  }

  async execute(content: ExecuteRequestContent, handlers: ExecuteHandlers = {}): Promise<Message> {
    const msg = newMessage("execute_request", content, this.session);
    const id = msg.header.msg_id;
    let idle!: () => void;
    const idleSeen = new Promise<void>((r) => (idle = r));
    this.#iopub.set(id, (m) => {
      handlers.onIopub?.(m);
      if (m.header.msg_type === "status" && m.content.execution_state === "idle") idle();
    });
    this.#inputHandlers.set(id, handlers);
    const reply = new Promise<Message>((r) => this.#replies.set(id, r));
    try {
      this.kernel.receive("shell", this.#identities, msg);
      const r = await reply;
      await idleSeen;
      return r;
    } finally {
      this.#iopub.delete(id);
      this.#inputHandlers.delete(id);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.kernel.close();
  }
}
