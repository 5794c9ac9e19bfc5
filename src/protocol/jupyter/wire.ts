/**
 * The Jupyter wire format (messaging 5.3): a message is the routing identities, the
 * delimiter `<IDS|MSG>`, the HMAC signature (hex), then header, parent_header, metadata
 * and content as JSON frames, then any binary buffers.
 *
 * Decoding never throws: it returns the message or why it was refused (malformed, bad
 * signature, replayed signature), so a kernel can drop and log hostile input.
 *
 * @module
 */

import type { Signer } from "./sign.ts";

/** The frame that separates routing identities from the message. */
export const DELIMITER = "<IDS|MSG>";
/** The messaging protocol version this implementation speaks. */
export const PROTOCOL_VERSION = "5.3";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const DELIM_BYTES = encoder.encode(DELIMITER);

/** A message header. */
export interface Header {
  msg_id: string;
  session: string;
  username: string;
  /** ISO 8601 with a time zone. */
  date: string;
  msg_type: string;
  version: string;
  /** Subshell id and other additions of later protocol versions. */
  [key: string]: unknown;
}

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** A message, without its routing. */
export interface Message<C extends JsonObject = JsonObject> {
  header: Header;
  /** The request's header for replies and outputs; `{}` otherwise. */
  parent_header: Header | Record<string, never>;
  metadata: JsonObject;
  content: C;
  /** Binary buffers after the JSON frames. */
  buffers: Uint8Array[];
}

/** A message with the routing identities it came with (or goes to). */
export interface Routed {
  identities: Uint8Array[];
  message: Message;
}

/** Why a message was refused. */
export type Refusal = "malformed" | "bad_signature" | "replayed";

/** The result of `decode`. */
export type Decoded =
  | { ok: true; identities: Uint8Array[]; message: Message; signature: string }
  | { ok: false; reason: Refusal; detail: string };

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isDelimiter(f: Uint8Array): boolean {
  if (f.length !== DELIM_BYTES.length) return false;
  for (let i = 0; i < f.length; i++) if (f[i] !== DELIM_BYTES[i]) return false;
  return true;
}

/** Serialises a message to frames, signed with `signer`. */
export function encode(
  message: Message,
  signer: Signer,
  identities: Uint8Array[] = [],
): Uint8Array[] {
  const parts = [
    encoder.encode(JSON.stringify(message.header)),
    encoder.encode(JSON.stringify(message.parent_header)),
    encoder.encode(JSON.stringify(message.metadata)),
    encoder.encode(JSON.stringify(message.content)),
  ];
  const sig = encoder.encode(signer.sign(parts));
  return [...identities, DELIM_BYTES, sig, ...parts, ...message.buffers];
}

/** Bounded memory of signatures already seen, to refuse replayed messages. */
export class ReplayGuard {
  readonly #seen = new Set<string>();
  readonly #max: number;

  /** Remembers up to `max` signatures (the oldest are forgotten first). */
  constructor(max = 1 << 16) {
    this.#max = max;
  }

  /** True if `sig` was seen before; records it otherwise. */
  seen(sig: string): boolean {
    if (this.#seen.has(sig)) return true;
    this.#seen.add(sig);
    if (this.#seen.size > this.#max) {
      // Sets iterate in insertion order: drop the oldest tenth.
      let n = Math.ceil(this.#max / 10);
      for (const s of this.#seen) {
        this.#seen.delete(s);
        if (--n === 0) break;
      }
    }
    return false;
  }
}

function parseJson(f: Uint8Array, what: string): JsonObject | string {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(f));
  } catch (e) {
    return `${what} is not JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  return isObject(v) ? v : `${what} is not a JSON object`;
}

/**
 * Parses and verifies frames received on a ROUTER (identities first) or SUB socket.
 * With a key, the signature must match and must not have been seen by `guard` before.
 */
export function decode(frames: Uint8Array[], signer: Signer, guard?: ReplayGuard): Decoded {
  const d = frames.findIndex(isDelimiter);
  if (d < 0) return { ok: false, reason: "malformed", detail: "no <IDS|MSG> delimiter" };
  if (frames.length < d + 6) {
    return {
      ok: false,
      reason: "malformed",
      detail: `${frames.length - d - 1} frames after the delimiter, need 5`,
    };
  }
  const parts = frames.slice(d + 2, d + 6);
  let signature: string;
  try {
    signature = decoder.decode(frames[d + 1]);
  } catch {
    return { ok: false, reason: "bad_signature", detail: "signature is not text" };
  }
  if (signer.enabled) {
    if (!signer.verify(signature, parts)) {
      return {
        ok: false,
        reason: "bad_signature",
        detail: signature === "" ? "unsigned message" : "signature does not match",
      };
    }
    if (guard?.seen(signature)) {
      return { ok: false, reason: "replayed", detail: "signature seen before" };
    }
  }
  const header = parseJson(parts[0], "header");
  if (typeof header === "string") return { ok: false, reason: "malformed", detail: header };
  const parent = parseJson(parts[1], "parent_header");
  if (typeof parent === "string") return { ok: false, reason: "malformed", detail: parent };
  const metadata = parseJson(parts[2], "metadata");
  if (typeof metadata === "string") return { ok: false, reason: "malformed", detail: metadata };
  const content = parseJson(parts[3], "content");
  if (typeof content === "string") return { ok: false, reason: "malformed", detail: content };
  if (typeof header.msg_type !== "string" || header.msg_type === "") {
    return { ok: false, reason: "malformed", detail: "header.msg_type missing" };
  }
  if (typeof header.msg_id !== "string") {
    return { ok: false, reason: "malformed", detail: "header.msg_id missing" };
  }
  // Fill what older or sloppy clients leave out; replies copy the header as parent.
  if (typeof header.session !== "string") header.session = "";
  if (typeof header.username !== "string") header.username = "";
  if (typeof header.date !== "string") header.date = "";
  if (typeof header.version !== "string") header.version = PROTOCOL_VERSION;
  return {
    ok: true,
    identities: frames.slice(0, d),
    signature,
    message: {
      header: header as Header,
      parent_header: parent as Header,
      metadata,
      content,
      buffers: frames.slice(d + 6),
    },
  };
}
