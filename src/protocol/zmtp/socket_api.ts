/**
 * The vocabulary of the socket API: frames, options, what a socket tells of its peers, and the
 * errors of its operations. Shared by the socket layer (socket.ts) and the socket types
 * (sockets.ts).
 */

import { LlmspellError } from "../../errors.ts";
import type { Logger } from "../../telemetry/log.ts";
import type { ByteBudget } from "./budget.ts";
import type { Connection } from "./connection.ts";
import { utf8 } from "./wire.ts";

/** A message frame given to `send`: bytes, or a string sent as UTF-8. */
export type Frame = Uint8Array | string;

/** Options common to every socket type. */
export interface SocketOptions {
  /** Largest frame accepted from a peer; larger ones disconnect it. Default 64 MiB. */
  maxFrameSize?: number;
  /** Largest multipart message (sum of frames) accepted. Default 256 MiB. */
  maxMessageSize?: number;
  /**
   * Budget for what untrusted peers have sent and the socket has not consumed; may be shared
   * by several sockets (see budget.ts). A peer becomes trusted through `trust` (ROUTER).
   * Default: none (no accounting, every peer reads with large buffers).
   */
  budget?: ByteBudget;
  /** Per-peer queue length, in messages, for each direction. Default 1000. */
  highWaterMark?: number;
  /** Identity sent in READY (ROUTER peers use it as routing id). Default empty. */
  identity?: Uint8Array | string;
  /** Send PING when a connection has been idle this long; 0 disables. Default 0. */
  heartbeatIvlMs?: number;
  /** Drop a connection silent for this long (heartbeats on). Default 3 × heartbeatIvlMs. */
  heartbeatTimeoutMs?: number;
  /** Drop a connection that has not completed the handshake in time. Default 30 000. */
  handshakeTimeoutMs?: number;
  /** First reconnect delay for connected endpoints. Default 100. */
  reconnectIvlMs?: number;
  /** Reconnect delay doubles up to this. Default 5000. */
  reconnectIvlMaxMs?: number;
  /**
   * Most connections (handshaking or ready) on this socket. A new one beyond it is accepted
   * and an older one dropped: the oldest still in its handshake, else the untrusted peer idle
   * longest, else the trusted peer idle longest. Default 1000.
   */
  maxPeers?: number;
  /** Peer diagnostics (ConnectionConfig.logger); silent by default. */
  logger?: Logger;
  /** Shortcut for `onPeer(listener)`. */
  onPeer?: (event: PeerEvent) => void;
}

/** What the socket knows about a connected peer. */
export interface PeerInfo {
  /** Process-unique connection id. */
  readonly id: number;
  /** Routing id (ROUTER: the one used in frame 0) or the peer's announced Identity. */
  readonly identity: Uint8Array;
  /** The peer's Socket-Type. */
  readonly socketType: string;
  /** Our endpoint this connection belongs to. */
  readonly endpoint: string;
  /** Remote address (host:port or ipc path). */
  readonly remote: string;
  /** 0 for a ZMTP 3.0 peer, 1 for 3.1. */
  readonly zmtpMinor: number;
}

/** Peer lifecycle and subscription events. */
export type PeerEvent =
  | { type: "connect"; peer: PeerInfo }
  | { type: "disconnect"; peer: PeerInfo; reason: string }
  | { type: "subscribe" | "unsubscribe"; peer: PeerInfo; topic: Uint8Array };

/** Result of `bind`. */
export interface BoundEndpoint {
  /** The endpoint with the real port (after port 0 or `*`). */
  endpoint: string;
  /** The TCP port, if tcp. */
  port?: number;
}

/** Frames to bytes; strings become UTF-8. */
export function toFrames(frames: readonly Frame[]): Uint8Array[] {
  if (frames.length === 0) {
    throw new LlmspellError({
      code: "zmtp_empty_message",
      message: "a ZeroMQ message needs at least one frame",
      hint: "send [new Uint8Array(0)] for an empty message",
    });
  }
  const out = new Array<Uint8Array>(frames.length);
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    out[i] = typeof f === "string" ? utf8(f) : f;
  }
  return out;
}

/** Bytes to a Map key (latin1), for routing ids and topics. */
export function keyOf(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Error thrown by operations on a closed socket. */
export function closedError(type: string): LlmspellError {
  return new LlmspellError({
    code: "zmtp_closed",
    message: `the ${type} socket is closed`,
    hint: "create a new socket",
  });
}

/** Error thrown for an operation the socket type or its state forbids. */
export function stateError(message: string, hint: string): LlmspellError {
  return new LlmspellError({ code: "zmtp_state", message, hint });
}

/** A received message with the connection it came from. */
export interface Incoming {
  /** The connection it arrived on. */
  conn: Connection;
  /** The message frames. */
  frames: Uint8Array[];
}
