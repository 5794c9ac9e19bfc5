/**
 * The kernel's side of its transport: every message it sends is made here, in its session,
 * with its text as the client takes it (KernelOptions.byteExact); and IOPub's hold, which
 * the execution queue sets while cells wait and the stdin broker lifts before a prompt.
 */
import { newMessage, replyType } from "../protocol/jupyter/messages.ts";
import type { Header, JsonObject, Message } from "../protocol/jupyter/wire.ts";
import { encodeText, escapeDeep } from "../byte_string.ts";
import type { KernelTransport } from "./kernel_options.ts";
import type { ClientRequest } from "./request.ts";

export class Outbox {
  readonly #transport: KernelTransport;
  readonly #session: string;
  readonly #byteExact: boolean;
  #iopubHeld = false;

  constructor(transport: KernelTransport, session: string, byteExact: boolean) {
    this.#transport = transport;
    this.#session = session;
    this.#byteExact = byteExact;
  }

  /** Broadcasts a message on IOPub. */
  publish(type: string, content: JsonObject, parent?: Header, buffers: Uint8Array[] = []): void {
    this.#transport.publish(
      newMessage(type, this.#text(content), this.#session, parent, {}, buffers),
    );
  }

  /** Sends the reply to `req`. */
  reply(req: ClientRequest, content: JsonObject, metadata: JsonObject = {}): void {
    this.#transport.send(
      req.channel,
      req.identities,
      newMessage(
        replyType(req.message.header.msg_type),
        this.#text(content),
        this.#session,
        req.message.header,
        metadata,
      ),
    );
  }

  /** A request of the kernel's own (input_request), for `sendStdin`. */
  request(type: string, content: JsonObject, parent: Header): Message {
    return newMessage(type, this.#text(content), this.#session, parent);
  }

  /** Sends `message` to the client with these identities on stdin. */
  sendStdin(identities: Uint8Array[], message: Message): void {
    this.#transport.send("stdin", identities, message);
  }

  /** True if the client with these identities is connected on stdin. */
  stdinAvailable(identities: Uint8Array[]): boolean {
    return this.#transport.stdinAvailable(identities);
  }

  /** Content as its client takes text: see KernelOptions.byteExact. */
  #text(content: JsonObject): JsonObject {
    return this.#byteExact ? content : escapeDeep(content);
  }

  /**
   * A message's buffers: the raw bytes for an in-process client (`raw`, of a stream), or
   * over the wire the exact bytes of `text` when it goes out escaped.
   */
  exactBytes(text: string, raw?: Uint8Array): Uint8Array[] {
    if (this.#byteExact) return raw ? [raw] : [];
    return text.isWellFormed() ? [] : [encodeText(text)];
  }

  /** True while IOPub's writes are held. */
  get iopubHeld(): boolean {
    return this.#iopubHeld;
  }

  /** Holds IOPub's writes (true) until released (false): KernelTransport.holdIopub. */
  holdIopub(on: boolean): void {
    if (this.#iopubHeld === on) return;
    this.#iopubHeld = on;
    this.#transport.holdIopub?.(on);
  }
}
