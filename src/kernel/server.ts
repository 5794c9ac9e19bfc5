/**
 * The ZMTP transport of a kernel: shell and control ROUTER, stdin ROUTER, iopub PUB and
 * heartbeat REP, bound on the connection's ports. Every message is checked (HMAC,
 * replay, shape) before the Kernel sees it; refused messages are logged and dropped.
 *
 * What a peer without the key can hold is bounded (README "What a kernel guarantees"): a
 * connection count per port that evicts instead of refusing, ZMTP heartbeats that drop silent
 * peers, one byte budget for everything unauthenticated peers have sent, a message size
 * limit, and a subscription limit on IOPub. A peer is authenticated once it sent a correctly
 * signed message; heartbeat and IOPub peers never sign, so they are judged by idleness only.
 */
import { decode, encode, type Message, ReplayGuard, Signer } from "../protocol/jupyter/mod.ts";
import {
  ByteBudget,
  PubSocket,
  RepSocket,
  RouterSocket,
  type SocketOptions,
  type ZmtpSocket,
} from "../protocol/zmtp/mod.ts";
import { keyOf } from "../protocol/zmtp/socket_api.ts";
import {
  type ChannelName,
  CHANNELS,
  type ConnectionInfo,
  endpointOf,
} from "../protocol/jupyter/connection.ts";
import { Kernel } from "./kernel.ts";
import { type Logger, loggerOf } from "../telemetry/log.ts";
import type { KernelOptions, KernelTransport } from "./kernel_options.ts";
import type { Channel, ClientRequest } from "./request.ts";

/** Limits on peers, from the `[kernel]` configuration (schema.ts says what each means). */
export interface TransportLimits {
  /** ZMTP PING interval; a peer silent for 3 is dropped. 0: no heartbeats. */
  heartbeatIntervalMs: number;
  /** Most connections per port (lowered to fit the open-file limit). */
  maxConnections: number;
  /** Largest message accepted. */
  maxMessageBytes: number;
  /** Budget of everything not-yet-authenticated peers have sent and is still buffered. */
  maxUnauthenticatedBytes: number;
}

export interface ServerOptions extends Omit<KernelOptions, "connectInfo"> {
  /** Where to bind; ports 0 are picked (tcp: by the system; ipc: 1..5). */
  connection: ConnectionInfo;
  /** First port when ports are 0 (tcp). 0: any free ports. */
  portBase?: number;
  limits: TransportLimits;
  logger: Logger;
}

/** Refused messages and dropped peers are logged, at most this many lines per second each. */
const WARN_LINES_PER_S = 20;
/** IOPub: prefixes one subscriber may hold, and their total bytes (clients use one or two). */
export const IOPUB_MAX_SUBSCRIPTIONS = 100;
export const IOPUB_MAX_SUBSCRIPTION_BYTES = 16 * 1024;
/** File descriptors kept free of peers, for the kernel's own files, pipes and sockets. */
const RESERVED_FDS = 100;

/** Passes at most `perSecond` lines a second on; says how many it held back. */
export class LineLimiter {
  #window = 0;
  #count = 0;

  constructor(
    private readonly out: (line: string) => void,
    private readonly perSecond: number,
    private readonly what: string,
  ) {}

  line(text: string): void {
    const now = Math.floor(Date.now() / 1000);
    if (now !== this.#window) {
      if (this.#count > this.perSecond) {
        this.out(`kernel: ${this.#count - this.perSecond} more ${this.what} (not logged)`);
      }
      this.#window = now;
      this.#count = 0;
    }
    if (++this.#count <= this.perSecond) this.out(text);
  }
}

/** The soft open-file limit (Linux /proc), or null when unknown. */
function openFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(Deno.readTextFileSync("/proc/self/limits"));
    return m && m[1] !== "unlimited" ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Socket options every kernel socket shares: limits, heartbeats, the budget, logging. */
function socketOptions(limits: TransportLimits, log: Logger): SocketOptions {
  const peerLog = new LineLimiter(
    (m) => log.warn(`kernel: ${m}`),
    WARN_LINES_PER_S,
    "peers dropped",
  );
  const ivl = limits.heartbeatIntervalMs;
  const files = openFileLimit();
  let maxPeers = limits.maxConnections;
  if (files !== null && 5 * maxPeers > files - RESERVED_FDS) {
    maxPeers = Math.max(1, Math.floor((files - RESERVED_FDS) / 5));
    log.info(
      `kernel.max_connections lowered to ${maxPeers} per port: the open-file limit is ${files}`,
    );
  }
  return {
    logger: loggerOf({ debug: (m) => log.debug(m), warn: (m) => peerLog.line(m) }),
    maxPeers,
    maxFrameSize: limits.maxMessageBytes,
    maxMessageSize: limits.maxMessageBytes,
    budget: new ByteBudget(limits.maxUnauthenticatedBytes),
    heartbeatIvlMs: ivl,
    heartbeatTimeoutMs: 3 * ivl,
    handshakeTimeoutMs: ivl > 0 ? 3 * ivl : undefined,
  };
}

export class KernelServer implements KernelTransport {
  readonly kernel: Kernel;
  readonly connection: ConnectionInfo;
  readonly #signer: Signer;
  readonly #guard = new ReplayGuard();
  readonly #log: Logger;
  readonly #shell: RouterSocket;
  readonly #control: RouterSocket;
  readonly #stdin: RouterSocket;
  readonly #iopub: PubSocket;
  readonly #hb: RepSocket;
  readonly #stdinPeers = new Set<string>();
  readonly #loops: Promise<void>[] = [];
  readonly #dropLog: LineLimiter;
  #dropped = 0;
  #closing: Promise<void> | undefined;
  #lastRequest = Date.now();

  private constructor(opts: ServerOptions, connection: ConnectionInfo, signer: Signer, sockets: {
    shell: RouterSocket;
    control: RouterSocket;
    stdin: RouterSocket;
    iopub: PubSocket;
    hb: RepSocket;
  }) {
    this.connection = connection;
    this.#signer = signer;
    this.#log = opts.logger;
    this.#dropLog = new LineLimiter((m) => this.#log.warn(m), WARN_LINES_PER_S, "messages dropped");
    this.#shell = sockets.shell;
    this.#control = sockets.control;
    this.#stdin = sockets.stdin;
    this.#iopub = sockets.iopub;
    this.#hb = sockets.hb;
    this.kernel = new Kernel(this, {
      ...opts,
      clients: () => this.clients,
      connectInfo: {
        shell_port: connection.shell_port,
        iopub_port: connection.iopub_port,
        stdin_port: connection.stdin_port,
        control_port: connection.control_port,
        hb_port: connection.hb_port,
      },
    });
  }

  /** Binds the five sockets and starts serving. */
  static async start(opts: ServerOptions): Promise<KernelServer> {
    const signer = await Signer.forScheme(opts.connection.key, opts.connection.signature_scheme);
    const common = socketOptions(opts.limits, opts.logger);
    const shell = new RouterSocket(common);
    const control = new RouterSocket(common);
    const stdin = new RouterSocket(common);
    // Output must reach every client: a deep queue per subscriber.
    const iopub = new PubSocket({
      ...common,
      highWaterMark: 1_000_000,
      maxSubscriptions: IOPUB_MAX_SUBSCRIPTIONS,
      maxSubscriptionBytes: IOPUB_MAX_SUBSCRIPTION_BYTES,
    });
    const hb = new RepSocket(common);
    const sockets: Record<ChannelName, ZmtpSocket> = { shell, iopub, stdin, control, hb };
    const info: ConnectionInfo = { ...opts.connection };
    try {
      for (const [i, ch] of CHANNELS.entries()) {
        const key = `${ch}_port` as const;
        if (info[key] === 0) {
          if (info.transport === "ipc") info[key] = i + 1;
          else if (opts.portBase) info[key] = opts.portBase + i;
        }
        const bound = await sockets[ch].bind(endpointOf(info, ch));
        if (bound.port !== undefined) info[key] = bound.port;
      }
    } catch (e) {
      await Promise.all(Object.values(sockets).map((s) => s.close()));
      throw e;
    }
    const server = new KernelServer(opts, info, signer, { shell, control, stdin, iopub, hb });
    server.#serve();
    return server;
  }

  /** Number of clients connected on shell. */
  get clients(): number {
    return this.#shell.peerCount;
  }

  /** Seconds since the last valid request. */
  idleSeconds(): number {
    return (Date.now() - this.#lastRequest) / 1000;
  }

  /** Messages refused so far (bad signature, replay, malformed). */
  get dropped(): number {
    return this.#dropped;
  }

  #serve(): void {
    this.#loops.push(this.#read("shell", this.#shell));
    this.#loops.push(this.#read("control", this.#control));
    this.#loops.push(this.#read("stdin", this.#stdin));
    this.#loops.push((async () => {
      try {
        // As in #read: no `for await`, which would keep the last ping referenced.
        while (true) await this.#hb.send(await this.#hb.recv());
      } catch (e) {
        if (!this.#hb.closed) this.#log.warn(`kernel: heartbeat stopped: ${e}`);
      }
    })());
    this.#stdin.onPeer((ev) => {
      if (ev.type === "connect") this.#stdinPeers.add(keyOf(ev.peer.identity));
      else if (ev.type === "disconnect") {
        this.#stdinPeers.delete(keyOf(ev.peer.identity));
        this.kernel.stdinGone([ev.peer.identity]);
      }
    });
    this.#shell.onPeer((ev) => {
      if (ev.type === "disconnect") this.kernel.clientGone([ev.peer.identity]);
    });
  }

  async #read(channel: Channel, socket: RouterSocket): Promise<void> {
    // recv() and a separate handler, not `for await`: the iteration keeps the last message
    // referenced while it waits for the next one, so a peer's 30 MB message stayed in memory
    // until its channel's next message (measured: control and stdin are quiet for hours).
    try {
      while (true) this.#handle(channel, socket, await socket.recv());
    } catch (e) {
      if (!socket.closed) this.#log.warn(`kernel: ${channel} stopped: ${e}`);
    }
  }

  #handle(channel: Channel, socket: RouterSocket, frames: Uint8Array[]): void {
    const d = decode(frames, this.#signer, this.#guard);
    if (!d.ok) {
      this.#drop(channel, d.reason, d.detail);
      return;
    }
    // Signed by a key holder: this peer no longer counts as unauthenticated.
    socket.trust(frames[0]);
    this.#lastRequest = Date.now();
    this.kernel.receive(channel, d.identities, d.message);
  }

  #drop(channel: string, reason: string, detail: string): void {
    this.#dropped++;
    this.#dropLog.line(
      `kernel: dropped a message on ${channel}: ${reason.replace("_", " ")} (${detail})`,
    );
  }

  // ---- KernelTransport ----

  send(channel: Channel, identities: Uint8Array[], message: Message): void {
    const socket = channel === "control"
      ? this.#control
      : channel === "stdin"
      ? this.#stdin
      : this.#shell;
    if (socket.closed) return;
    socket.send(encode(message, this.#signer, identities)).catch((e) => {
      this.#log.debug(`kernel: reply on ${channel} not sent: ${e}`);
    });
  }

  holdIopub(on: boolean): void {
    this.#iopub.hold(on);
  }

  publish(message: Message): void {
    if (this.#iopub.closed) return;
    // Topics as ipykernel sends them: a subscriber that wants only output can subscribe
    // to "stream." and the PUB socket then filters the rest out before sending.
    const type = message.header.msg_type;
    const topic = type === "stream"
      ? `stream.${message.content.name}`
      : `kernel.${this.kernel.kernelId}.${type}`;
    this.#iopub.send([topic, ...encode(message, this.#signer)]).catch(() => {});
  }

  stdinAvailable(identities: Uint8Array[]): boolean {
    return identities.length > 0 && this.#stdinPeers.has(keyOf(identities[identities.length - 1]));
  }

  /** IOPub peers that have subscribed. */
  get subscribers(): number {
    return this.#iopub.subscribers;
  }

  /**
   * Resolves once `n` peers have subscribed to IOPub, or when none has come for `quietMs`,
   * or after `ms`: a new kernel image (reexec.ts) waits for its clients' SUB sockets to
   * reconnect (they retry every 100 ms), so that they see its "starting". Some never come
   * back: the client of the cell that wedged often leaves with its error reply.
   */
  async waitForSubscribers(n: number, ms: number, quietMs = 1000): Promise<void> {
    const deadline = Date.now() + ms;
    let seen = this.#iopub.subscribers;
    let changed = Date.now();
    while (seen < n && Date.now() < deadline && Date.now() - changed < quietMs) {
      await new Promise((r) => setTimeout(r, 10));
      if (this.#iopub.subscribers !== seen) {
        seen = this.#iopub.subscribers;
        changed = Date.now();
      }
    }
  }

  /**
   * Ends the sockets without stopping the kernel, for a process image that replaces this one
   * (reexec.ts), and returns the requests the kernel held for it (Kernel.takeHeld). Each
   * connection writes what is queued for it, then ends (Connection.endWrites), and what its
   * peer sent until it closed is read and held too (at most `ms`): closing at once would have
   * thrown away a request that came after the last read.
   */
  async handOver(ms: number): Promise<ClientRequest[]> {
    const sockets = [this.#shell, this.#control, this.#stdin, this.#iopub, this.#hb];
    await Promise.all(sockets.map((s) => s.drain(ms)));
    await Promise.all(sockets.map((s) => s.close()));
    await Promise.allSettled(this.#loops);
    return this.kernel.takeHeld();
  }

  /**
   * Hands the requests a previous image held (handOver) to the kernel, in the order they
   * came, once their clients are back (at most `ms`): a reply is routed to the identity the
   * request came with, which a reconnecting client announces again (jupyter_client and
   * KernelClient use their session). A client that did not come back, or had a generated
   * routing id (which no reconnection brings back), has left: its requests are dropped, as a
   * departed client's queued cells are.
   */
  async resume(requests: ClientRequest[], ms: number): Promise<void> {
    const socketOf = (r: ClientRequest) => r.channel === "control" ? this.#control : this.#shell;
    const back = (r: ClientRequest) => socketOf(r).routable(r.identities[0]);
    const awaited = requests.filter((r) => r.identities[0]?.[0] !== 0 && !back(r));
    if (awaited.length > 0) {
      let arrived!: () => void;
      const all = new Promise<void>((resolve) => (arrived = resolve));
      const check = () => awaited.every(back) && arrived();
      const off = [this.#shell, this.#control].map((s) => s.onPeer(check));
      const timer = setTimeout(arrived, ms);
      await all;
      clearTimeout(timer);
      for (const f of off) f();
    }
    for (const r of requests) {
      if (back(r)) this.kernel.receive(r.channel, r.identities, r.message);
      else {
        this.#log.info(
          `kernel: dropped a held ${r.message.header.msg_type}: its client did not come back`,
        );
      }
    }
  }

  /** Stops the kernel and closes every socket (ipc paths are removed). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.kernel.close();
      // Let the last replies and IOPub messages go out.
      await new Promise((r) => setTimeout(r, 20));
      await Promise.all(
        [this.#shell, this.#control, this.#stdin, this.#iopub, this.#hb].map((s) => s.close()),
      );
      await Promise.allSettled(this.#loops);
    })();
    return this.#closing;
  }
}
