/** The six socket types, with libzmq semantics. */

import type { Connection } from "./connection.ts";
import { ZmtpSocket } from "./socket.ts";
import {
  closedError,
  type Frame,
  keyOf,
  type SocketOptions,
  stateError,
  toFrames,
} from "./socket_api.ts";
import type { SocketType } from "./wire.ts";

const EMPTY = new Uint8Array(0);

/**
 * ROUTER: every received message is prefixed with the sender's routing id (its Identity, or a
 * generated 5-byte id); `send` routes on frame 0. Messages for unknown ids are dropped. A send
 * to a peer whose queue is full waits for that peer only (it never drops a routable message).
 * A peer announcing an identity already in use is refused, as libzmq does without handover.
 */
export class RouterSocket extends ZmtpSocket {
  /** Socket-Type announced in READY. */
  readonly type: SocketType = "ROUTER";
  private readonly routes = new Map<string, Connection>();
  private nextId = (Math.random() * 0x7fffffff) >>> 0;

  /** Sends `[routingId, ...frames]` to that peer; resolves once queued (or dropped). */
  async send(frames: readonly Frame[]): Promise<void> {
    this.assertOpen();
    const f = toFrames(frames);
    if (f.length < 2) {
      throw stateError(
        "ROUTER send needs a routing id and at least one frame",
        "send [routingId, ...frames], with the id taken from a received message",
      );
    }
    const c = this.routes.get(keyOf(f[0]));
    if (!c) {
      this.logger.debug(`zmtp ROUTER: dropping message for unknown routing id`);
      return;
    }
    while (c.outLength >= this.hwm && !c.closed) await this.waitWritable();
    if (!c.closed) c.send(f.slice(1));
  }

  /**
   * Marks the peer with this routing id trusted (its owner checked a message of it, e.g. its
   * signature): it leaves the budget and is evicted last. Unknown ids are ignored.
   */
  trust(routingId: Uint8Array): void {
    this.routes.get(keyOf(routingId))?.trust();
  }

  /** True if a peer with this routing id is connected (a send to it is not dropped). */
  routable(routingId: Uint8Array): boolean {
    return this.routes.has(keyOf(routingId));
  }

  /** Type-specific receive; see the class comment. */
  protected override async receive(): Promise<Uint8Array[] | null> {
    const m = await this.takeNext();
    if (m === null) return null;
    return [m.conn.routingId, ...m.frames];
  }

  /** Handshake hook: per-type peer setup; may refuse the peer. */
  protected override peerReady(c: Connection): string | null {
    let id = c.peerIdentity;
    if (id.length === 0) {
      // libzmq generates 5 bytes: a zero byte then a 32-bit counter.
      id = new Uint8Array(5);
      const n = this.nextId++ >>> 0;
      id[1] = n >>> 24;
      id[2] = (n >>> 16) & 0xff;
      id[3] = (n >>> 8) & 0xff;
      id[4] = n & 0xff;
    }
    const key = keyOf(id);
    if (this.routes.has(key)) return "duplicate identity";
    c.routingId = id;
    c.routingKey = key;
    this.routes.set(key, c);
    return null;
  }

  /** Forgets the routing id of a departed peer. */
  protected override peerGone(c: Connection): void {
    if (this.routes.get(c.routingKey) === c) this.routes.delete(c.routingKey);
  }

  /** Reports the routing id in peer events. */
  protected override peerIdentity(c: Connection): Uint8Array {
    return c.routingId.length > 0 ? c.routingId : c.peerIdentity;
  }

  /** Handles a data message from a peer. */
  protected onMessage(c: Connection, frames: Uint8Array[]): void {
    this.deliver(c, frames);
  }
}

/**
 * DEALER: fair-queued receive across peers; `send` goes round-robin to the next peer with
 * room, and waits while there is none (no peer yet, or every queue full).
 */
export class DealerSocket extends ZmtpSocket {
  /** Socket-Type announced in READY. */
  readonly type: SocketType = "DEALER";

  /** Sends to the next peer in turn; resolves once queued. */
  async send(frames: readonly Frame[]): Promise<void> {
    await this.sendRoundRobin(toFrames(frames));
  }

  /** Handles a data message from a peer. */
  protected onMessage(c: Connection, frames: Uint8Array[]): void {
    this.deliver(c, frames);
  }
}

/**
 * REQ: strict send/receive alternation. `send` adds the empty delimiter and picks a peer
 * round-robin; `recv` returns only that peer's reply, without the delimiter. Anything else is
 * dropped. Sending twice, or receiving before sending, throws `zmtp_state`.
 */
export class ReqSocket extends ZmtpSocket {
  /** Socket-Type announced in READY. */
  readonly type: SocketType = "REQ";
  private state: "idle" | "sending" | "waiting" | "receiving" = "idle";
  private current: Connection | null = null;
  private expecting = false;

  /** Sends a request; throws if the previous reply was not received yet. */
  async send(frames: readonly Frame[]): Promise<void> {
    this.assertOpen();
    if (this.state !== "idle") {
      throw stateError(
        "REQ socket: cannot send before the previous reply was received",
        "await recv() after each send()",
      );
    }
    const f = toFrames(frames);
    this.state = "sending";
    try {
      this.current = await this.sendRoundRobin([EMPTY, ...f]);
      this.expecting = true;
      this.state = "waiting";
    } catch (e) {
      this.state = "idle";
      throw e;
    }
  }

  /** Type-specific receive; see the class comment. */
  protected override async receive(): Promise<Uint8Array[] | null> {
    if (this.closed) return null;
    if (this.state !== "waiting") {
      throw stateError(
        "REQ socket: recv() without a request in flight",
        "send() a request first, and receive each reply once",
      );
    }
    this.state = "receiving";
    const m = await this.takeNext();
    this.state = "idle";
    this.current = null;
    return m === null ? null : m.frames;
  }

  /** Handles a data message from a peer. */
  protected onMessage(c: Connection, frames: Uint8Array[]): void {
    if (c !== this.current || !this.expecting || frames.length < 2 || frames[0].length !== 0) {
      this.logger.debug(`zmtp REQ ${c.label}: dropping unexpected message`);
      return;
    }
    this.expecting = false;
    this.deliver(c, frames.slice(1));
  }
}

/**
 * REP: receives a request (fair-queued), remembers its envelope (routing frames up to the
 * empty delimiter) and the peer, and `send` returns the reply there. Receiving twice, or
 * sending without a request, throws `zmtp_state`. Requests without a delimiter are dropped.
 */
export class RepSocket extends ZmtpSocket {
  /** Socket-Type announced in READY. */
  readonly type: SocketType = "REP";
  private pending: { conn: Connection; envelope: Uint8Array[] } | null = null;
  private receiving = false;

  /** Sends the reply to the last request's sender (dropped if it has left). */
  send(frames: readonly Frame[]): Promise<void> {
    if (this.closed) return Promise.reject(closedError(this.type));
    if (!this.pending) {
      return Promise.reject(stateError(
        "REP socket: send() without a request to answer",
        "recv() a request, then send() exactly one reply",
      ));
    }
    const f = toFrames(frames);
    const { conn, envelope } = this.pending;
    this.pending = null;
    if (!conn.closed) conn.send([...envelope, ...f]);
    return Promise.resolve();
  }

  /** Type-specific receive; see the class comment. */
  protected override async receive(): Promise<Uint8Array[] | null> {
    if (this.closed) return null;
    if (this.pending || this.receiving) {
      throw stateError(
        "REP socket: recv() before the previous request was answered",
        "send() one reply after each recv()",
      );
    }
    this.receiving = true;
    try {
      const m = await this.takeNext();
      if (m === null) return null;
      const d = m.frames.findIndex((f) => f.length === 0);
      this.pending = { conn: m.conn, envelope: m.frames.slice(0, d + 1) };
      return m.frames.slice(d + 1);
    } finally {
      this.receiving = false;
    }
  }

  /** Handles a data message from a peer. */
  protected onMessage(c: Connection, frames: Uint8Array[]): void {
    const d = frames.findIndex((f) => f.length === 0);
    if (d < 0) {
      this.logger.debug(`zmtp REP ${c.label}: dropping request without delimiter`);
      return;
    }
    this.deliver(c, frames);
  }
}

function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > b.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

/** Options of a PUB socket. */
export interface PubOptions extends SocketOptions {
  /** Most distinct prefixes one subscriber may hold; beyond, it is dropped. Default 1000. */
  maxSubscriptions?: number;
  /** Most bytes all of one subscriber's prefixes may total; beyond, dropped. Default 64 KiB. */
  maxSubscriptionBytes?: number;
}

/**
 * PUB: sends each message to every peer subscribed to a prefix of frame 0. A subscriber whose
 * queue is at the high-water mark misses the message; `send` never waits. Subscriptions come
 * as SUBSCRIBE/CANCEL commands (ZMTP 3.1) or as messages starting 0x01/0x00 (ZMTP 3.0).
 * A subscriber going over maxSubscriptions or maxSubscriptionBytes is dropped: every publish
 * scans its prefixes, and nobody needs thousands. Receiving is not supported.
 */
export class PubSocket extends ZmtpSocket {
  /** Socket-Type announced in READY. */
  readonly type: SocketType = "PUB";
  private droppedCount = 0;
  private readonly maxSubs: number;
  private readonly maxSubBytes: number;

  /** Creates an unbound PUB socket. */
  constructor(options: PubOptions = {}) {
    super(options);
    this.maxSubs = options.maxSubscriptions ?? 1000;
    this.maxSubBytes = options.maxSubscriptionBytes ?? 64 * 1024;
  }

  /** Peers that have subscribed to something. */
  get subscribers(): number {
    return this.peers.filter((c) => (c.subscriptions?.size ?? 0) > 0).length;
  }

  /** Messages not queued for some subscriber because its queue was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Publishes to matching subscribers; never blocks. */
  send(frames: readonly Frame[]): Promise<void> {
    if (this.closed) return Promise.reject(closedError(this.type));
    const f = toFrames(frames);
    const topic = f[0];
    for (const c of this.peers) {
      if (!matches(c.subscriptions, topic)) continue;
      if (c.outLength < this.hwm) c.send(f);
      else this.droppedCount++;
    }
    return Promise.resolve();
  }

  /**
   * Holds (true) or releases (false) the writes to every subscriber: messages published
   * while held reach each subscriber in one write at release, in order.
   */
  hold(on: boolean): void {
    for (const c of this.peers) c.hold(on);
  }

  /** Type-specific receive; see the class comment. */
  protected override receive(): Promise<Uint8Array[] | null> {
    return Promise.reject(stateError("PUB sockets cannot receive", "use a SUB socket"));
  }

  /** Handshake hook: per-type peer setup; may refuse the peer. */
  protected override peerReady(c: Connection): string | null {
    c.subscriptions = new Map();
    return null;
  }

  /** Handles SUBSCRIBE and CANCEL commands. */
  protected override onCommand(c: Connection, name: string, data: Uint8Array): boolean {
    if (name === "SUBSCRIBE") this.apply(c, data.slice(), true);
    else if (name === "CANCEL") this.apply(c, data.slice(), false);
    else return false;
    return true;
  }

  /** Handles a data message from a peer. */
  protected onMessage(c: Connection, frames: Uint8Array[]): void {
    const f = frames[0];
    if (frames.length === 1 && f.length >= 1 && (f[0] === 1 || f[0] === 0)) {
      this.apply(c, f.subarray(1), f[0] === 1);
    }
    // Other messages to a PUB are meaningless; libzmq drops them too.
  }

  /** Applies a subscription change from a peer and reports it. */
  private apply(c: Connection, prefix: Uint8Array, on: boolean): void {
    const subs = c.subscriptions!;
    const key = keyOf(prefix);
    const s = subs.get(key);
    if (on) {
      if (s) {
        s.count++;
      } else {
        if (subs.size >= this.maxSubs) {
          c.evict(`more than ${this.maxSubs} subscriptions (maxSubscriptions)`);
          return;
        }
        if (c.subscriptionBytes + prefix.length > this.maxSubBytes) {
          c.evict(`subscriptions of more than ${this.maxSubBytes} bytes (maxSubscriptionBytes)`);
          return;
        }
        subs.set(key, { prefix, count: 1 });
        c.subscriptionBytes += prefix.length;
      }
    } else {
      if (!s) return;
      if (--s.count === 0) {
        subs.delete(key);
        c.subscriptionBytes -= prefix.length;
      }
    }
    this.emit({ type: on ? "subscribe" : "unsubscribe", peer: this.info(c), topic: prefix });
  }
}

function matches(
  subs: Map<string, { prefix: Uint8Array; count: number }> | null,
  topic: Uint8Array,
): boolean {
  if (!subs || subs.size === 0) return false;
  if (subs.has("")) return true;
  for (const s of subs.values()) if (startsWith(topic, s.prefix)) return true;
  return false;
}

/**
 * SUB: receives messages whose frame 0 starts with a subscribed prefix. Subscriptions are sent
 * to every current and future publisher, as commands to ZMTP 3.1 peers and as 0x01/0x00
 * messages to ZMTP 3.0 peers, and are also applied locally. Sending is not supported.
 */
export class SubSocket extends ZmtpSocket {
  /** Socket-Type announced in READY. */
  readonly type: SocketType = "SUB";
  private readonly subs = new Map<string, { prefix: Uint8Array; count: number }>();

  /** Subscribes to messages starting with `prefix` ("" for all). Counted, like libzmq. */
  subscribe(prefix: Frame = ""): void {
    this.assertOpen();
    const p = toFrames([prefix])[0].slice();
    const key = keyOf(p);
    const s = this.subs.get(key);
    if (s) {
      s.count++;
      return;
    }
    this.subs.set(key, { prefix: p, count: 1 });
    for (const c of this.peers) sendSubscription(c, p, true);
  }

  /** Removes one subscription to `prefix`; the filter goes when its count reaches 0. */
  unsubscribe(prefix: Frame = ""): void {
    this.assertOpen();
    const p = toFrames([prefix])[0];
    const key = keyOf(p);
    const s = this.subs.get(key);
    if (!s) return;
    if (--s.count > 0) return;
    this.subs.delete(key);
    for (const c of this.peers) sendSubscription(c, p, false);
  }

  /** Not supported on SUB. */
  send(_frames: readonly Frame[]): Promise<void> {
    return Promise.reject(stateError("SUB sockets cannot send", "use subscribe()"));
  }

  /** Handshake hook: per-type peer setup; may refuse the peer. */
  protected override peerReady(c: Connection): string | null {
    for (const s of this.subs.values()) sendSubscription(c, s.prefix, true);
    return null;
  }

  /** Handles a data message from a peer. */
  protected onMessage(c: Connection, frames: Uint8Array[]): void {
    if (matches(this.subs, frames[0])) this.deliver(c, frames);
  }
}

function sendSubscription(c: Connection, prefix: Uint8Array, on: boolean): void {
  if (c.peerMinor >= 1) {
    c.sendCommand(on ? "SUBSCRIBE" : "CANCEL", prefix);
  } else {
    const m = new Uint8Array(1 + prefix.length);
    m[0] = on ? 1 : 0;
    m.set(prefix, 1);
    c.send([m]);
  }
}
