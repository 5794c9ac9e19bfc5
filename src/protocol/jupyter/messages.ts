/**
 * Building Jupyter messages: headers, replies and IOPub outputs parented to a request,
 * and the content types this project sends and reads.
 *
 * @module
 */

import { type Header, type JsonObject, type Message, PROTOCOL_VERSION } from "./wire.ts";

/** A new message id. */
export function newId(): string {
  return crypto.randomUUID();
}

/** A header for a new message of `msgType`. */
export function newHeader(msgType: string, session: string, username = "llmspell"): Header {
  return {
    msg_id: newId(),
    session,
    username,
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

/** A message with a fresh header; `parent` makes it a reply or output of that request. */
export function newMessage<C extends JsonObject>(
  msgType: string,
  content: C,
  session: string,
  parent?: Header,
  metadata: JsonObject = {},
  buffers: Uint8Array[] = [],
): Message<C> {
  return {
    header: newHeader(msgType, session),
    parent_header: parent ?? {},
    metadata,
    content,
    buffers,
  };
}

/** The reply type of a request type (`execute_request` → `execute_reply`). */
export function replyType(requestType: string): string {
  return requestType.endsWith("_request")
    ? requestType.slice(0, -"_request".length) + "_reply"
    : requestType + "_reply";
}

/** A MIME bundle: mimetype → data. */
export type MimeBundle = Record<string, unknown>;

/** `error` IOPub content and the error fields of a reply, with llmspell's additions. */
export interface ErrorContent extends JsonObject {
  ename: string;
  evalue: string;
  traceback: string[];
  /** llmspell: the engine's error kind (syntax, runtime, interrupted, timeout, memory). */
  kind?: string;
  /** llmspell: the Lua traceback lines without decoration. */
  lua_traceback?: string[];
}

/** How an execute_request asks llmspell to echo values (an llmspell addition). */
export type EchoMode = "none" | "chunk" | "last";

/** llmspell's additions to execute_request content. */
export interface LlmspellExecuteOptions extends JsonObject {
  /** Lua chunk name ("=name" or "@path"). */
  chunk_name?: string;
  echo?: EchoMode;
  /**
   * What the history stores for this cell instead of its code: the REPL's `.load FILE`
   * (IPython stores `%run FILE` the same way).
   */
  history_source?: string;
  /**
   * The directory of the script run as this cell (`run --connect`), as the client names it:
   * require searches it first during this cell only. A path on the kernel's machine.
   */
  script_dir?: string;
  /** Put the returned values as JSON in the execute_result too (application/json). */
  json_values?: boolean;
  /**
   * Profile the cell: its profile (src/engine/shared/protocol.ts ProfileData) comes back in the
   * execute_reply's `llmspell.profile`. `rate_hz`: samples a second (default 1000).
   */
  profile?: { rate_hz?: number };
  /** ARGS and arg for the chunk. */
  args?: {
    script: string;
    raw: string[];
    named: Record<string, string>;
    positional: string[];
  };
}

/** `execute_request` content. */
export interface ExecuteRequestContent extends JsonObject {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  user_expressions?: Record<string, string>;
  allow_stdin?: boolean;
  stop_on_error?: boolean;
  llmspell?: LlmspellExecuteOptions;
}
