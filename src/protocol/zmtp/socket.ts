/**
 * The socket layer shared by every socket type: bind/connect, reconnection with backoff,
 * fair-queued receive, peer events and close.
 */

import { LlmspellError } from "../../errors.ts";
import { type Logger, SILENT_LOGGER } from "../../telemetry/log.ts";
import { Connection, type ConnectionConfig, type ConnectionHooks } from "./connection.ts";
import { type Endpoint, formatEndpoint, parseEndpoint } from "./endpoint.ts";
import { Deque } from "./queue.ts";
import {
  type BoundEndpoint,
  closedError,
  type Frame,
  type Incoming,
  type PeerEvent,
  type PeerInfo,
  type SocketOptions,
} from "./socket_api.ts";
import { type SocketType, utf8 } from "./wire.ts";

const EMPTY = new Uint8Array(0);

interface Bound {
  listener: Deno.Listener;
  loop: Promise<void>;
  path?: string;
}

/** Base class of every socket type; not exported from mod.ts. */
export abstract class ZmtpSocket implements AsyncIterable<Uint8Array[]> {
  /** This socket's type, as sent in READY. */
  abstract readonly type: SocketType;

  /** Per-peer queue limit, in messages. */
  protected readonly hwm: number;
  /** Debug logger (silent by default). */
  protected readonly logger: Logger;
  /** Ready connections, in attach order (round-robin for sends). */
  protected peers: Connection[] = [];
  private readonly options: SocketOptions;
  private readonly all = new Set<Connection>();
  private readonly bound: Bound[] = [];
  private readonly connectors: Promise<void>[] = [];
  private readonly ring = new Deque<Connection>();
  private readonly recvWaiters = new Deque<(m: Incoming | null) => void>();
  private writeWaiters: (() => void)[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly listeners = new Set<(e: PeerEvent) => void>();
  private closing = false;
  /** drain() is under way: no new peers; called when a connection or a queued message goes. */
  private drained: (() => void) | null = null;
  private closeDone: Promise<void> | null = null;
  private cfgCache: ConnectionConfig | null = null;
  private readonly hooks: ConnectionHooks;

  /** Creates an unbound, unconnected socket. */
  constructor(options: SocketOptions = {}) {
    this.options = options;
    this.hwm = Math.max(1, options.highWaterMark ?? 1000);
    this.logger = options.logger ?? SILENT_LOGGER;
    if (options.onPeer) this.listeners.add(options.onPeer);
    this.hooks = {
      ready: (c) => this.onConnReady(c),
      message: (c, f) => this.onMessage(c, f),
      command: (c, n, d) => this.onCommand(c, n, d),
      writable: () => {
        if (this.writeWaiters.length > 0) this.wakeWriters();
      },
      closed: (c, reason, wasReady) => this.onConnClosed(c, reason, wasReady),
    };
  }

  /** Number of peers that completed the handshake and are still connected. */
  get peerCount(): number {
    return this.peers.length;
  }

  /** Open connections, including ones still in the handshake. */
  get connectionCount(): number {
    return this.all.size;
  }

  /** True after `close()` was called. */
  get closed(): boolean {
    return this.closing;
  }

  /** Adds a peer event listener; returns a function that removes it. */
  onPeer(listener: (event: PeerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Binds to `tcp://HOST:PORT` or `ipc://PATH` and accepts peers. Port 0 or `*` picks a free
   * port; the returned endpoint carries it.
   */
  async bind(endpoint: string): Promise<BoundEndpoint> {
    this.assertOpen();
    const ep = parseEndpoint(endpoint);
    let listener: Deno.Listener;
    let result: BoundEndpoint;
    try {
      if (ep.transport === "tcp") {
        listener = Deno.listen({ hostname: ep.host, port: ep.port });
        const addr = listener.addr as Deno.NetAddr;
        result = { endpoint: formatEndpoint({ ...ep, port: addr.port }), port: addr.port };
      } else {
        await removeStaleIpc(ep.path);
        listener = Deno.listen({ transport: "unix", path: ep.path });
        result = { endpoint: formatEndpoint(ep) };
      }
    } catch (e) {
      throw new LlmspellError({
        code: "zmtp_bind",
        message: `cannot bind ${endpoint}: ${e instanceof Error ? e.message : String(e)}`,
        hint: "pick another port or path, or stop the process that holds it",
        cause: e,
      });
    }
    const b: Bound = {
      listener,
      loop: Promise.resolve(),
      path: ep.transport === "ipc" ? ep.path : undefined,
    };
    b.loop = this.acceptLoop(listener, result.endpoint);
    this.bound.push(b);
    return result;
  }

  /**
   * Connects to an endpoint. Returns once the endpoint is valid; the connection itself is made
   * in the background and re-made with exponential backoff whenever it fails or drops.
   * Watch `onPeer` "connect" events to know when a peer is there.
   */
  connect(endpoint: string): Promise<void> {
    this.assertOpen();
    const ep = parseEndpoint(endpoint);
    if (ep.transport === "tcp" && ep.port === 0) {
      return Promise.reject(
        new LlmspellError({
          code: "zmtp_endpoint",
          message: `cannot connect to ${endpoint}: port 0`,
          hint: "connect to the port the peer bound",
        }),
      );
    }
    this.connectors.push(this.connectLoop(ep, formatEndpoint(ep)));
    return Promise.resolve();
  }

  /** Receives the next message; throws `zmtp_closed` once the socket is closed. */
  async recv(): Promise<Uint8Array[]> {
    const m = await this.receive();
    if (m === null) throw closedError(this.type);
    return m;
  }

  /** Iterates over received messages until the socket is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array[]> {
    while (true) {
      const m = await this.receive();
      if (m === null) return;
      yield m;
    }
  }

  /** Sends a multipart message (type-specific routing; see each socket). */
  abstract send(frames: readonly Frame[]): Promise<void>;

  /**
   * Ends every connection without losing a message its peer sent, before `close()`: accepts
   * and connects no more peers, has each connection write what is queued for it and shut its
   * write side (Connection.endWrites; the peer sees the end and closes), and reads on until
   * every peer has closed and every message received was taken by `recv` (or `ms` passed).
   * A plain close would throw away what peers wrote after the last read.
   */
  async drain(ms: number): Promise<void> {
    this.assertOpen();
    let end!: () => void;
    const over = new Promise<void>((resolve) => (end = resolve));
    const timer = setTimeout(end, ms);
    const check = () => {
      if (this.all.size === 0 && this.ring.length === 0) end();
    };
    this.drained = check;
    this.stopAccepting();
    for (const c of [...this.all]) c.endWrites();
    check();
    await over;
    clearTimeout(timer);
  }

  /** Closes the listeners and wakes the reconnect waits (which then see the socket ending). */
  private stopAccepting(): void {
    for (const b of this.bound) {
      try {
        b.listener.close();
      } catch {
        // Already closed.
      }
    }
    for (const s of [...this.sleepers]) s();
  }

  /**
   * Closes listeners (the port or path is free when this resolves), all connections and
   * timers; pending and later receives end. Idempotent.
   */
  close(): Promise<void> {
    if (this.closeDone) return this.closeDone;
    this.closing = true;
    this.stopAccepting();
    for (const c of [...this.all]) c.close("socket closed");
    let w;
    while ((w = this.recvWaiters.shift())) w(null);
    this.wakeWriters();
    this.closeDone = (async () => {
      const conns = [...this.all];
      await Promise.all([
        ...this.bound.map((b) => b.loop),
        ...this.connectors,
        ...conns.map((c) => c.finished()),
      ]);
      for (const b of this.bound) {
        if (b.path) await Deno.remove(b.path).catch(() => {});
      }
    })();
    return this.closeDone;
  }

  // ---- for subclasses ----

  /** Takes the next message, fair-queued across peers; null when closed. */
  protected takeNext(): Promise<Incoming | null> {
    if (this.closing) return Promise.resolve(null);
    const c = this.ring.shift();
    if (c) {
      const frames = c.inbound.shift()!;
      if (c.inbound.length > 0) this.ring.push(c);
      if (this.options.budget) {
        c.inboundBytes -= frameBytes(frames);
        c.settleBudget();
      }
      if (c.inbound.length < this.hwm) c.resumeRead();
      this.drained?.();
      return Promise.resolve({ conn: c, frames });
    }
    return new Promise((resolve) => this.recvWaiters.push(resolve));
  }

  /** Hands a message to the receive side (a waiting receiver, or the peer's queue). */
  protected deliver(c: Connection, frames: Uint8Array[]): void {
    const w = this.recvWaiters.shift();
    if (w) {
      w({ conn: c, frames });
      return;
    }
    c.inbound.push(frames);
    // Charged to the budget when the connection settles after this read.
    if (this.options.budget) c.inboundBytes += frameBytes(frames);
    if (c.inbound.length === 1) this.ring.push(c);
    // Per-peer receive high-water mark: stop reading this peer; others carry on.
    if (c.inbound.length >= this.hwm) c.pauseRead();
  }

  /** Type-specific receive (default: the frames as they came). */
  protected async receive(): Promise<Uint8Array[] | null> {
    const m = await this.takeNext();
    return m === null ? null : m.frames;
  }

  /** Resolves when some connection's queue shrank, a peer arrived or left, or on close. */
  protected waitWritable(): Promise<void> {
    if (this.closing) return Promise.reject(closedError(this.type));
    return new Promise((resolve) => this.writeWaiters.push(resolve));
  }

  /** Throws if closed. */
  protected assertOpen(): void {
    if (this.closing) throw closedError(this.type);
  }

  /** Picks the next peer round-robin whose queue is below the high-water mark. */
  protected nextWritablePeer(): Connection | null {
    const n = this.peers.length;
    for (let i = 0; i < n; i++) {
      this.rr = (this.rr + 1) % n;
      const c = this.peers[this.rr];
      if (c.outLength < this.hwm) return c;
    }
    return null;
  }
  private rr = -1;

  /** Round-robin send that waits while no peer can take the message (DEALER, REQ). */
  protected async sendRoundRobin(frames: Uint8Array[]): Promise<Connection> {
    while (true) {
      this.assertOpen();
      const c = this.nextWritablePeer();
      if (c) {
        c.send(frames);
        return c;
      }
      await this.waitWritable();
    }
  }

  /** Handshake hook: return a refusal reason or null. */
  protected peerReady(_c: Connection): string | null {
    return null;
  }

  /** A peer left (after it was ready). */
  protected peerGone(_c: Connection): void {}

  /** A data message arrived. */
  protected abstract onMessage(c: Connection, frames: Uint8Array[]): void;

  /** A socket-level command arrived; false if unknown (the peer is then dropped). */
  protected onCommand(_c: Connection, _name: string, _data: Uint8Array): boolean {
    return false;
  }

  /** Identity a PeerInfo reports. */
  protected peerIdentity(c: Connection): Uint8Array {
    return c.peerIdentity;
  }

  /** Emits an event to listeners; a throwing listener is logged, never propagated. */
  protected emit(e: PeerEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.debug(`zmtp ${this.type}: onPeer listener threw: ${String(err)}`);
      }
    }
  }

  /** PeerInfo of a connection. */
  protected info(c: Connection): PeerInfo {
    return {
      id: c.id,
      identity: this.peerIdentity(c),
      socketType: c.peerType,
      endpoint: c.endpoint,
      remote: c.remote,
      zmtpMinor: c.peerMinor,
    };
  }

  // ---- internals ----

  /** Connection settings derived from the options, computed once. */
  private config(): ConnectionConfig {
    if (this.cfgCache) return this.cfgCache;
    const o = this.options;
    const ivl = Math.max(0, o.heartbeatIvlMs ?? 0);
    const id = o.identity ?? EMPTY;
    this.cfgCache = {
      socketType: this.type,
      identity: typeof id === "string" ? utf8(id) : id,
      maxFrameSize: o.maxFrameSize ?? 64 * 1024 * 1024,
      maxMessageSize: o.maxMessageSize ?? 256 * 1024 * 1024,
      highWaterMark: this.hwm,
      heartbeatIvlMs: ivl,
      heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? ivl * 3,
      handshakeTimeoutMs: o.handshakeTimeoutMs ?? 30_000,
      budget: o.budget ?? null,
      logger: this.logger,
    };
    return this.cfgCache;
  }

  /** Wraps a new transport connection and starts its handshake (or refuses it). */
  private attach(conn: Deno.Conn, endpoint: string, remote: string): Connection | null {
    if (this.closing || this.drained) {
      conn.close();
      return null;
    }
    const max = Math.max(1, this.options.maxPeers ?? 1000);
    if (this.all.size >= max) {
      // Never lock new peers out: make room by dropping the least valuable connection.
      const v = evictionVictim(this.all);
      v?.evict(
        `${max} connections on ${endpoint} (maxPeers) and ${remote} connected: this one was ` +
          (v.ready
            ? `${v.trusted ? "" : "unauthenticated and "}idle for ${Date.now() - v.lastRecv} ms`
            : "the oldest still in its handshake"),
      );
    }
    if (conn.localAddr.transport === "tcp") {
      try {
        (conn as Deno.TcpConn).setNoDelay(true);
      } catch {
        // Not fatal: latency only.
      }
    }
    const c = new Connection(conn, `${this.type} ${endpoint} ${remote}`, this.config(), this.hooks);
    c.endpoint = endpoint;
    c.remote = remote;
    this.all.add(c);
    c.start();
    return c;
  }

  /** A connection finished its handshake. */
  private onConnReady(c: Connection): string | null {
    const refusal = this.peerReady(c);
    if (refusal !== null) return refusal;
    this.peers.push(c);
    this.logger.debug(`zmtp ${c.label}: peer ready (${c.peerType}, ZMTP 3.${c.peerMinor})`);
    this.emit({ type: "connect", peer: this.info(c) });
    this.wakeWriters();
    return null;
  }

  /** A connection ended; forget it and tell listeners. */
  private onConnClosed(c: Connection, reason: string, wasReady: boolean): void {
    this.all.delete(c);
    this.logger.debug(`zmtp ${c.label}: disconnected: ${reason}`);
    if (wasReady) {
      const i = this.peers.indexOf(c);
      if (i >= 0) this.peers.splice(i, 1);
      this.peerGone(c);
      this.emit({ type: "disconnect", peer: this.info(c), reason });
    }
    if (this.writeWaiters.length > 0) this.wakeWriters();
    this.drained?.();
  }

  /** Lets senders blocked on a full queue look again. */
  private wakeWriters(): void {
    const ws = this.writeWaiters;
    this.writeWaiters = [];
    for (const w of ws) w();
  }

  /** Accepts peers on a bound endpoint until close. */
  private async acceptLoop(listener: Deno.Listener, endpoint: string): Promise<void> {
    while (!this.closing) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (this.closing || this.drained) return;
        // EMFILE and friends: log, back off briefly, keep serving.
        this.logger.debug(`zmtp ${this.type} ${endpoint}: accept failed: ${String(e)}`);
        if (e instanceof Deno.errors.BadResource) return;
        await this.sleep(100);
        continue;
      }
      const ra = conn.remoteAddr;
      const remote = ra.transport === "tcp" ? `${ra.hostname}:${ra.port}` : endpoint;
      this.attach(conn, endpoint, remote);
    }
  }

  /** Keeps one connection to `ep` alive, reconnecting with exponential backoff. */
  private async connectLoop(ep: Endpoint, endpoint: string): Promise<void> {
    const base = Math.max(1, this.options.reconnectIvlMs ?? 100);
    const max = Math.max(base, this.options.reconnectIvlMaxMs ?? 5000);
    let ivl = base;
    while (!this.closing && !this.drained) {
      let c: Connection | null = null;
      try {
        const conn = ep.transport === "tcp"
          ? await Deno.connect({ hostname: ep.host, port: ep.port })
          : await Deno.connect({ transport: "unix", path: ep.path });
        c = this.attach(conn, endpoint, endpoint);
      } catch (e) {
        this.logger.debug(`zmtp ${this.type} ${endpoint}: connect failed: ${String(e)}`);
      }
      if (c) {
        await c.finished();
        if (c.everReady) ivl = base;
      }
      if (this.closing || this.drained) return;
      await this.sleep(ivl);
      ivl = Math.min(ivl * 2, max);
    }
  }

  /** A delay that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

/** Bytes of a message's frames. */
function frameBytes(frames: Uint8Array[]): number {
  let n = 0;
  for (const f of frames) n += f.length;
  return n;
}

/**
 * The connection to drop when a socket is full: the oldest one still in its handshake, else
 * the untrusted peer idle longest, else the trusted peer idle longest. Honest peers finish
 * the handshake at once and answer PINGs, so they are rarely the ones chosen; peers that
 * proved themselves go last.
 */
function evictionVictim(all: Set<Connection>): Connection | null {
  let untrusted: Connection | null = null;
  let trusted: Connection | null = null;
  for (const c of all) {
    if (c.closed) continue;
    // A Set iterates in insertion order, so the first one in its handshake is the oldest.
    if (!c.ready) return c;
    if (c.trusted) {
      if (!trusted || c.lastRecv < trusted.lastRecv) trusted = c;
    } else if (!untrusted || c.lastRecv < untrusted.lastRecv) {
      untrusted = c;
    }
  }
  return untrusted ?? trusted;
}

async function removeStaleIpc(path: string): Promise<void> {
  // libzmq unlinks an existing path before binding; only do it for sockets, never files.
  try {
    const st = await Deno.lstat(path);
    if (st.isSocket) await Deno.remove(path);
  } catch {
    // Absent: nothing to do.
  }
}
