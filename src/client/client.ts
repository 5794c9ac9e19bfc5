/**
 * KernelClient: the client side of Jupyter messaging over ZMTP, used by the CLI
 * (`--connect`, `kernel stop|status|restart|connect`). Shell, control and stdin are DEALER
 * sockets with the session as identity (as jupyter_client does: a kernel that replaces its
 * process answers the requests it held on the identity they came with), iopub a SUB.
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
import { type ConnectionInfo, endpointOf } from "../protocol/jupyter/connection.ts";
import { HeartbeatWatch } from "./heartbeat.ts";
import { type ExecuteHandlers, MessageRouter } from "./router.ts";

export type { ExecuteHandlers } from "./router.ts";

export class KernelClient {
  readonly session = crypto.randomUUID();
  readonly #signer: Signer;
  readonly #shell: DealerSocket;
  readonly #control: DealerSocket;
  readonly #stdin: DealerSocket;
  readonly #iopub: SubSocket;
  readonly #router = new MessageRouter();
  /** Requests (not executions) sent and not answered yet: see #resend. */
  readonly #unanswered = new Set<
    { socket: DealerSocket; frames: Uint8Array[]; written: boolean }
  >();
  readonly #info: ConnectionInfo;
  #watch: HeartbeatWatch | undefined;
  #anyIopub: (() => void) | undefined;
  readonly #iopubListeners = new Set<(m: Message) => void>();
  #closed = false;

  private constructor(info: ConnectionInfo, signer: Signer) {
    this.#info = info;
    this.#signer = signer;
    this.#shell = new DealerSocket({ identity: this.session });
    this.#control = new DealerSocket({ identity: this.session });
    this.#stdin = new DealerSocket({ identity: this.session });
    this.#iopub = new SubSocket({ highWaterMark: 1_000_000 });
  }

  /** Connects to the kernel of `info` and waits until it answers kernel_info (IOPub included). */
  static async connect(info: ConnectionInfo, timeoutMs = 10_000): Promise<KernelClient> {
    const c = new KernelClient(info, await Signer.forScheme(info.key, info.signature_scheme));
    c.#iopub.subscribe("");
    await c.#shell.connect(endpointOf(info, "shell"));
    await c.#control.connect(endpointOf(info, "control"));
    await c.#stdin.connect(endpointOf(info, "stdin"));
    await c.#iopub.connect(endpointOf(info, "iopub"));
    c.#read(c.#shell);
    c.#read(c.#control);
    for (const s of [c.#shell, c.#control]) {
      s.onPeer((ev) => ev.type === "disconnect" && c.#resend(s));
    }
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
        if (d.ok) this.#router.reply(d.message);
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
        this.#router.iopub(d.message);
        for (const fn of this.#iopubListeners) fn(d.message);
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
        const content = await this.#router.answerInput(d.message);
        const reply = newMessage("input_reply", content, this.session, d.message.header);
        await this.#stdin.send(encode(reply, this.#signer));
      }
    } catch {
      // Closed.
    }
  }

  /**
   * The connection of `socket` dropped: a request queued into it and not answered may never
   * have been written (a connection drops what it still queues when it closes, as when a
   * kernel that replaces its process ends it), so it goes again on the next connection.
   * Requests other than execute_request only: they change nothing, so a second reply (from a
   * kernel that did read the first copy, or its next process image: decision 0028) does no
   * harm; the first is taken.
   */
  #resend(socket: DealerSocket): void {
    for (const p of this.#unanswered) {
      if (p.socket !== socket || !p.written) continue;
      p.written = false;
      socket.send(p.frames).then(() => (p.written = true), () => {});
    }
  }

  /**
   * Every IOPub message, whichever request it belongs to (a debugger's debug_event, other
   * clients' output); returns the unsubscribe function.
   */
  onIopub(fn: (m: Message) => void): () => void {
    this.#iopubListeners.add(fn);
    return () => this.#iopubListeners.delete(fn);
  }

  /** Sends a request and resolves with its reply. */
  async request(
    channel: "shell" | "control",
    msgType: string,
    content: JsonObject,
    timeoutMs = 10_000,
  ): Promise<Message> {
    const msg = newMessage(msgType, content, this.session);
    const reply = this.#router.awaitReply(msg.header.msg_id);
    const socket = channel === "shell" ? this.#shell : this.#control;
    const frames = encode(msg, this.#signer);
    const pending = { socket, frames, written: false };
    this.#unanswered.add(pending);
    // The time limit covers the send too: it waits for a peer, which a dead kernel never is.
    const sent = socket.send(frames).then(() => {
      pending.written = true;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#router.forget(msg.header.msg_id);
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
      return await Promise.race([this.#router.guard(sent.then(() => reply)), timeout]);
    } finally {
      clearTimeout(timer);
      this.#unanswered.delete(pending);
    }
  }

  /**
   * Runs code; IOPub messages of the execution go to `handlers.onIopub` as they arrive.
   * Resolves with the execute_reply once the kernel is idle again.
   */
  execute(content: ExecuteRequestContent, handlers: ExecuteHandlers = {}): Promise<Message> {
    const msg = newMessage("execute_request", content, this.session);
    return this.#router.execute(msg, handlers, () => this.#shell.send(encode(msg, this.#signer)));
  }

  /**
   * Watches the kernel (heartbeat, and its process when `processAlive` is given, see
   * heartbeat.ts): once it is dead, every pending and later request fails with
   * `kernel_died`, and `onDied` is called with that error.
   */
  watch(opts: {
    processAlive?: () => boolean;
    pid?: number;
    onDied?: (reason: LlmspellError) => void;
  } = {}): void {
    this.#watch ??= HeartbeatWatch.start(this.#info, {
      processAlive: opts.processAlive,
      pid: opts.pid,
      onDead: (reason) => {
        this.#router.fail(reason);
        opts.onDied?.(reason);
      },
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#watch?.close();
    await Promise.all([this.#shell, this.#control, this.#stdin, this.#iopub].map((s) => s.close()));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
