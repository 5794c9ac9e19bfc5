/**
 * KernelClient: the client side of Jupyter messaging over ZMTP, used by the CLI
 * (`--connect`, `kernel stop|status|restart|connect`). Shell and stdin are DEALER sockets
 * with the session as identity (as jupyter_client does), control a DEALER, iopub a SUB.
 */
import {
  decode,
  encode,
  type ExecuteRequestContent,
  type JsonObject,
  type Message,
  newMessage,
  Signer,
} from "../protocol/jupyter/mod.ts";
import { DealerSocket, SubSocket } from "../protocol/zmtp/mod.ts";
import { LlmspellError } from "../errors.ts";
import { type ConnectionInfo, endpointOf } from "../kernel/connection.ts";

/** Handlers for what an execution produces. */
export interface ExecuteHandlers {
  /** Every IOPub message of this execution, in order. */
  onIopub?(msg: Message): void;
  /** input_request: return the line, or null for end of input. */
  onInput?(prompt: string, password: boolean): Promise<string | null>;
}

type Waiter = (m: Message) => void;

export class KernelClient {
  readonly session = crypto.randomUUID();
  readonly #signer: Signer;
  readonly #shell: DealerSocket;
  readonly #control: DealerSocket;
  readonly #stdin: DealerSocket;
  readonly #iopub: SubSocket;
  readonly #replies = new Map<string, Waiter>();
  readonly #iopubWaiters = new Map<string, Waiter>();
  readonly #inputHandlers = new Map<string, ExecuteHandlers>();
  #anyIopub: (() => void) | undefined;
  #closed = false;

  private constructor(info: ConnectionInfo) {
    this.#signer = new Signer(info.key, info.signature_scheme);
    this.#shell = new DealerSocket({ identity: this.session });
    this.#control = new DealerSocket();
    this.#stdin = new DealerSocket({ identity: this.session });
    this.#iopub = new SubSocket({ highWaterMark: 1_000_000 });
  }

  /** Connects to the kernel of `info` and waits until it answers kernel_info (IOPub included). */
  static async connect(info: ConnectionInfo, timeoutMs = 10_000): Promise<KernelClient> {
    const c = new KernelClient(info);
    c.#iopub.subscribe("");
    await c.#shell.connect(endpointOf(info, "shell"));
    await c.#control.connect(endpointOf(info, "control"));
    await c.#stdin.connect(endpointOf(info, "stdin"));
    await c.#iopub.connect(endpointOf(info, "iopub"));
    c.#read(c.#shell);
    c.#read(c.#control);
    c.#readStdin();
    c.#readIopub();
    try {
      await c.#handshake(timeoutMs);
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  /** kernel_info until a reply and an IOPub message arrive (the SUB is then subscribed). */
  async #handshake(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const sawIopub = new Promise<boolean>((resolve) => {
        this.#anyIopub = () => resolve(true);
      });
      try {
        await this.request(
          "shell",
          "kernel_info_request",
          {},
          Math.min(1000, deadline - Date.now()),
        );
        const ok = await Promise.race([sawIopub, delay(300).then(() => false)]);
        if (ok) return;
      } catch {
        // Not answered yet: try again.
      } finally {
        this.#anyIopub = undefined;
      }
    }
    throw new LlmspellError({
      code: "kernel_unreachable",
      message: `the kernel did not answer within ${timeoutMs / 1000} s`,
      hint: "check that it runs (`llmspell kernel status`) and that the connection file is current",
    });
  }

  async #read(socket: DealerSocket): Promise<void> {
    try {
      for await (const frames of socket) {
        const d = decode(frames, this.#signer);
        if (!d.ok) continue;
        const pid = (d.message.parent_header as { msg_id?: string }).msg_id;
        if (pid === undefined) continue;
        const w = this.#replies.get(pid);
        if (w) {
          this.#replies.delete(pid);
          w(d.message);
        }
      }
    } catch {
      // Closed.
    }
  }

  async #readIopub(): Promise<void> {
    try {
      for await (const frames of this.#iopub) {
        const d = decode(frames, this.#signer);
        if (!d.ok) continue;
        this.#anyIopub?.();
        const pid = (d.message.parent_header as { msg_id?: string }).msg_id;
        if (pid !== undefined) this.#iopubWaiters.get(pid)?.(d.message);
      }
    } catch {
      // Closed.
    }
  }

  async #readStdin(): Promise<void> {
    try {
      for await (const frames of this.#stdin) {
        const d = decode(frames, this.#signer);
        if (!d.ok || d.message.header.msg_type !== "input_request") continue;
        const pid = (d.message.parent_header as { msg_id?: string }).msg_id ?? "";
        const h = this.#inputHandlers.get(pid);
        const c = d.message.content;
        const value = h?.onInput
          ? await h.onInput(String(c.prompt ?? ""), c.password === true)
          : null;
        const reply = newMessage(
          "input_reply",
          value === null ? { value: "", llmspell_eof: true } : { value },
          this.session,
          d.message.header,
        );
        await this.#stdin.send(encode(reply, this.#signer));
      }
    } catch {
      // Closed.
    }
  }

  /** Sends a request and resolves with its reply. */
  async request(
    channel: "shell" | "control",
    msgType: string,
    content: JsonObject,
    timeoutMs = 10_000,
  ): Promise<Message> {
    const msg = newMessage(msgType, content, this.session);
    const reply = new Promise<Message>((resolve) => this.#replies.set(msg.header.msg_id, resolve));
    await (channel === "shell" ? this.#shell : this.#control).send(encode(msg, this.#signer));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#replies.delete(msg.header.msg_id);
        reject(
          new LlmspellError({
            code: "kernel_timeout",
            message: `no ${msgType.replace("_request", "_reply")} within ${timeoutMs / 1000} s`,
            hint: "the kernel may be busy or gone; see `llmspell kernel status`",
          }),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs code; IOPub messages of the execution go to `handlers.onIopub` as they arrive.
   * Resolves with the execute_reply once the kernel is idle again.
   */
  async execute(content: ExecuteRequestContent, handlers: ExecuteHandlers = {}): Promise<Message> {
    const msg = newMessage("execute_request", content, this.session);
    const id = msg.header.msg_id;
    let idle!: () => void;
    const idleSeen = new Promise<void>((r) => (idle = r));
    this.#iopubWaiters.set(id, (m) => {
      handlers.onIopub?.(m);
      if (m.header.msg_type === "status" && m.content.execution_state === "idle") idle();
    });
    this.#inputHandlers.set(id, handlers);
    const reply = new Promise<Message>((resolve) => this.#replies.set(id, resolve));
    try {
      await this.#shell.send(encode(msg, this.#signer));
      const r = await reply;
      await idleSeen;
      return r;
    } finally {
      this.#iopubWaiters.delete(id);
      this.#inputHandlers.delete(id);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#shell, this.#control, this.#stdin, this.#iopub].map((s) => s.close()));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
