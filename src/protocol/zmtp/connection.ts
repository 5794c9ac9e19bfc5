/**
 * One ZMTP connection: greeting, NULL handshake, frame I/O, heartbeats.
 *
 * A connection never throws into its socket: every failure (protocol violation, peer loss,
 * write error, timeout) ends in `close(reason)`, which is idempotent and reported once through
 * `hooks.closed`. Read and write loops catch everything, so peer loss never surfaces as an
 * unhandled promise rejection.
 */

import {
  checkSignature,
  COMPATIBLE,
  encodeCommandBody,
  encodeGreeting,
  encodeMetadata,
  FLAG_COMMAND,
  FLAG_MORE,
  FrameDecoder,
  GREETING_SIZE,
  headerSize,
  parseCommand,
  parseGreeting,
  parseMetadata,
  type SocketType,
  text,
  utf8,
  writeFrameHeader,
  ZmtpLimitError,
  ZmtpProtocolError,
} from "./wire.ts";
import type { BudgetHolder, ByteBudget } from "./budget.ts";
import { Deque } from "./queue.ts";
import { OutQueue } from "./out_queue.ts";
import type { Logger } from "../../telemetry/log.ts";

/** Settings a connection inherits from its socket. */
export interface ConnectionConfig {
  socketType: SocketType;
  identity: Uint8Array;
  maxFrameSize: number;
  maxMessageSize: number;
  highWaterMark: number;
  heartbeatIvlMs: number;
  heartbeatTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** Shared budget for what untrusted peers buffer; null: no accounting. */
  budget: ByteBudget | null;
  /**
   * Peer diagnostics: `debug` for errors and disconnects, `warn` for a peer dropped for going
   * over a limit (size, budget, count, eviction). Peers control how often `warn` is called:
   * rate-limit it when it reaches a file.
   */
  logger: Logger;
}

/** Callbacks into the owning socket. */
export interface ConnectionHooks {
  /** Handshake done; return a reason string to refuse the peer (sent as ERROR). */
  ready(c: Connection): string | null;
  message(c: Connection, frames: Uint8Array[]): void;
  /** Socket-level commands (SUBSCRIBE, CANCEL); return false if unknown. */
  command(c: Connection, name: string, data: Uint8Array): boolean;
  /** The outgoing queue shrank; blocked senders may retry. */
  writable(c: Connection): void;
  closed(c: Connection, reason: string, wasReady: boolean): void;
}

const READ_SIZE = 256 * 1024;
const EMPTY = new Uint8Array(0);
/**
 * Frames per multipart message; far above any real protocol, bounds what empty frames (which
 * maxMessageSize does not see) cost.
 */
export const MAX_FRAMES = 4096;

let nextConnectionId = 1;

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A live ZMTP connection to one peer. */
export class Connection implements BudgetHolder {
  /** Process-unique id, stable for the connection's life. */
  readonly id = nextConnectionId++;
  /** Peer's Socket-Type from READY. */
  peerType = "";
  /** Peer's Identity from READY (empty if none). */
  peerIdentity: Uint8Array = EMPTY;
  /** Negotiated minor version: 0 for a ZMTP 3.0 peer, 1 for 3.1 and later. */
  peerMinor = 1;
  /** Messages received and not yet taken by the socket (fair queueing happens above). */
  readonly inbound = new Deque<Uint8Array[]>();
  /** ROUTER map key of `routingId` (owned by the socket). */
  routingKey = "";
  /** ROUTER routing id assigned to this peer. */
  routingId: Uint8Array = EMPTY;
  /** PUB: this subscriber's prefixes with their counts. */
  subscriptions: Map<string, { prefix: Uint8Array; count: number }> | null = null;
  /** Endpoint this connection came from (bound or connected). */
  endpoint = "";
  /** Remote address, for logs and PeerInfo. */
  remote = "";
  /** True once the handshake completed at least once (resets reconnect backoff). */
  everReady = false;
  /** PUB: total bytes of this subscriber's prefixes. */
  subscriptionBytes = 0;
  /** Bytes of the messages in `inbound` (maintained by the socket). */
  inboundBytes = 0;
  /** Bytes charged to the budget (maintained by the budget). */
  charged = 0;
  /**
   * Set by the socket's owner once the peer proved who it is (a kernel: a correctly signed
   * message). Trusted peers no longer draw on the budget and are evicted last.
   */
  trusted = false;
  /** When bytes last arrived from the peer (ms since the epoch). */
  lastRecv = Date.now();

  private state: "greeting" | "handshake" | "ready" | "closed" = "greeting";
  private greetBuf = new Uint8Array(GREETING_SIZE);
  private greetLen = 0;
  private readonly decoder: FrameDecoder;
  private current: Uint8Array[] = [];
  private currentBytes = 0;
  private readonly outQ = new OutQueue();
  private writerRun: Promise<void> | null = null;
  /** While held, sends are queued and written together when released (see hold). */
  private held = false;
  private closeAfterFlush: string | null = null;
  /** endWrites was called: nothing more is queued; the write side shuts once flushed. */
  private writesEnded = false;
  private paused = false;
  private resume: (() => void) | null = null;
  private readDone: Promise<void> | null = null;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private refuseTimer: ReturnType<typeof setTimeout> | undefined;

  /** Wraps a transport connection; call `start()` to begin the handshake. */
  constructor(
    private readonly conn: Deno.Conn,
    readonly label: string,
    private readonly cfg: ConnectionConfig,
    private readonly hooks: ConnectionHooks,
  ) {
    this.decoder = new FrameDecoder(
      Math.min(cfg.maxFrameSize, cfg.maxMessageSize),
      (f, b) => this.onFrame(f, b),
    );
    if (cfg.budget) this.decoder.reserveBody = (size) => this.reserveBody(size);
  }

  /** True once READY was exchanged and until close. */
  get ready(): boolean {
    return this.state === "ready";
  }

  /** True after close. */
  get closed(): boolean {
    return this.state === "closed";
  }

  /** Data messages queued for writing. */
  get outLength(): number {
    return this.outQ.messages;
  }

  /** Sends greeting and READY at once (NULL needs no round trip) and starts reading. */
  start(): void {
    const props: Record<string, Uint8Array> = { "Socket-Type": utf8(this.cfg.socketType) };
    const t = this.cfg.socketType;
    if (t === "ROUTER" || t === "DEALER" || t === "REQ") props["Identity"] = this.cfg.identity;
    const ready = encodeCommandBody("READY", encodeMetadata(props));
    const readyFrame = new Uint8Array(headerSize(ready.length) + ready.length);
    readyFrame.set(ready, writeFrameHeader(readyFrame, 0, FLAG_COMMAND, ready.length));
    this.outQ.pushRaw([encodeGreeting(false), readyFrame]);
    this.queued();
    if (this.cfg.handshakeTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(
        () => this.close("handshake timeout"),
        this.cfg.handshakeTimeoutMs,
      );
    }
    this.readDone = this.readLoop();
  }

  /** Queues a data message. The frames are not copied: do not mutate them afterwards. */
  send(frames: Uint8Array[]): void {
    if (this.state === "closed" || this.writesEnded) return;
    this.outQ.pushData(frames);
    this.queued();
  }

  /** Queues a command frame; commands bypass the high-water mark. */
  sendCommand(name: string, data?: Uint8Array): void {
    if (this.state === "closed" || this.writesEnded) return;
    this.outQ.pushCommand(encodeCommandBody(name, data));
    this.queued();
  }

  /** Stops reading from the peer (TCP backpressure) until `resumeRead`. */
  pauseRead(): void {
    this.paused = true;
  }

  /** Resumes reading after `pauseRead`. */
  resumeRead(): void {
    this.paused = false;
    const r = this.resume;
    this.resume = null;
    r?.();
  }

  /** Sends ERROR with `reason`, then closes once it is written. */
  refuse(reason: string): void {
    if (this.state === "closed") return;
    const r = utf8(reason).subarray(0, 255);
    const data = new Uint8Array(1 + r.length);
    data[0] = r.length;
    data.set(r, 1);
    this.cfg.logger.debug(`zmtp ${this.label}: refusing peer: ${reason}`);
    this.sendCommand("ERROR", data);
    this.closeAfterFlush = `refused: ${reason}`;
    this.paused = true;
    // Never wait forever on a peer that does not read its ERROR.
    clearTimeout(this.refuseTimer);
    this.refuseTimer = setTimeout(() => this.close(`refused: ${reason}`), 1000);
  }

  /**
   * Ends this side of the stream without losing what the peer sends: what is queued is
   * written (a hold is lifted), then the write side is shut (shutdown(2)); nothing more is
   * sent, PONGs and PINGs included. ZMTP has no goodbye: the peer sees the end of the stream
   * and closes, and until then whatever it sent is read and delivered as usual. The
   * connection closes when the peer has closed (or when its owner closes it).
   */
  endWrites(): void {
    if (this.state === "closed" || this.writesEnded) return;
    this.writesEnded = true;
    clearInterval(this.heartbeatTimer);
    this.held = false;
    if (this.outQ.length > 0) this.startWriter();
    else if (!this.writerRun) this.shutWrites();
  }

  private shutWrites(): void {
    this.conn.closeWrite().catch((e) => this.close(`shutdown failed: ${errText(e)}`));
  }

  /** Marks the peer trusted: its buffered bytes leave the budget, its reads may grow. */
  trust(): void {
    if (this.trusted) return;
    this.trusted = true;
    this.cfg.budget?.settle(this, 0);
  }

  /** Closes the connection for going over a limit, with a warning line. */
  evict(reason: string): void {
    if (this.state === "closed") return;
    this.cfg.logger.warn(`zmtp ${this.label}: dropped: ${reason}`);
    this.close(`dropped: ${reason}`);
  }

  /** Recomputes this connection's charge after the socket took a message from `inbound`. */
  settleBudget(): void {
    if (this.cfg.budget && !this.trusted && this.state !== "closed") {
      this.cfg.budget.settle(this, this.bufferedBytes());
    }
  }

  /** Closes the connection; idempotent. */
  close(reason: string): void {
    if (this.state === "closed") return;
    const wasReady = this.state === "ready";
    this.state = "closed";
    this.cfg.budget?.settle(this, 0);
    // The socket may keep this object a while (queued messages): not what the peer sent.
    this.decoder.reset();
    this.current = [];
    this.currentBytes = 0;
    clearTimeout(this.handshakeTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.refuseTimer);
    try {
      this.conn.close();
    } catch {
      // Already closed by the runtime.
    }
    this.outQ.clear();
    this.resumeRead();
    this.hooks.closed(this, reason, wasReady);
  }

  /** Resolves when the read and write loops have finished (after close). */
  async finished(): Promise<void> {
    await this.readDone;
    while (this.writerRun) await this.writerRun;
  }

  /**
   * Holds this peer's writes: what is sent meanwhile goes out in one write on release. A
   * PUB socket under a backlog uses it (sockets.ts PubSocket.hold): one write per message
   * and subscriber is most of a busy kernel's time.
   */
  hold(on: boolean): void {
    this.held = on;
    if (!on && this.outQ.length > 0) this.startWriter();
  }

  /** Something was queued: schedules the writer (unless held). */
  private queued(): void {
    if (!this.held) this.startWriter();
  }

  private startWriter(): void {
    if (!this.writerRun) {
      this.writerRun = (async () => {
        // Yield once so a synchronous burst of sends goes out in one write.
        await null;
        await this.writeLoop();
      })();
    }
  }

  /**
   * An untrusted peer's large frame is charged whole before a byte of it is kept (and then
   * allocated once): one bigger than the whole budget is refused at its header.
   */
  private reserveBody(size: number): boolean {
    const budget = this.cfg.budget!;
    if (this.trusted) return false;
    if (size > budget.limit) {
      throw new ZmtpLimitError(
        `frame of ${size} bytes from an unauthenticated peer exceeds the budget of ` +
          `${budget.limit} bytes for them`,
      );
    }
    const want = this.currentBytes + this.inboundBytes + size;
    if (!budget.settle(this, Math.max(want, this.charged))) {
      throw new ZmtpLimitError(
        `would hold ${want} bytes unauthenticated; the budget of ${budget.limit} bytes is ` +
          "exhausted",
      );
    }
    return true;
  }

  /** What this peer sent that is still buffered here: partial frame and message, queue. */
  private bufferedBytes(): number {
    return this.decoder.pending + this.currentBytes + this.inboundBytes;
  }

  /** Reads until close, honouring pauseRead; never rejects. */
  private async readLoop(): Promise<void> {
    // Start small and grow while reads fill the buffer: idle or chatty peers cost 2 KiB,
    // bulk transfers get 256 KiB reads. Under a budget only trusted peers grow theirs: a
    // thousand untrusted peers would otherwise hold 256 MiB of read buffers.
    let buf = new Uint8Array(2 * 1024);
    const budget = this.cfg.budget;
    try {
      while (this.state !== "closed") {
        if (this.paused) {
          await new Promise<void>((r) => (this.resume = r));
          continue;
        }
        const n = await this.conn.read(buf);
        if (n === null) {
          this.close(this.decoder.midFrame ? "peer closed mid-frame" : "peer closed");
          break;
        }
        this.lastRecv = Date.now();
        if (this.state === "greeting") {
          this.onGreetingBytes(buf.subarray(0, n));
        } else if (!this.closed) {
          // Charge the worst case (every byte read is kept) before the decoder copies it.
          // Bytes that go into an already reserved body need no more.
          const untrusted = budget !== null && !this.trusted;
          const want = this.bufferedBytes() + Math.max(0, n - this.decoder.room);
          if (untrusted && !budget.settle(this, want)) {
            this.evict(
              `would hold ${want} bytes unauthenticated; the budget of ${budget.limit} bytes ` +
                "is exhausted",
            );
            break;
          }
          this.decoder.feed(buf.subarray(0, n));
          if (untrusted && !this.trusted) this.settleBudget();
        }
        // The decoder copied what it keeps, so the buffer can be replaced freely.
        if (
          n === buf.length && buf.length < READ_SIZE && (budget === null || this.trusted)
        ) buf = new Uint8Array(Math.min(READ_SIZE, buf.length * 4));
      }
    } catch (e) {
      if (e instanceof ZmtpLimitError) {
        // Within a multipart message the decoder's limit is what is left of the message's.
        this.evict(
          this.currentBytes > 0
            ? `message of more than ${this.cfg.maxMessageSize} bytes (the limit): ${e.message}`
            : e.message,
        );
      } else if (e instanceof ZmtpProtocolError) {
        this.close(`protocol error: ${e.message}`);
      } else {
        this.close(`read failed${this.decoder.midFrame ? " mid-frame" : ""}: ${errText(e)}`);
      }
    }
  }

  /** Accumulates the 64-byte greeting, validating the signature as soon as it arrives. */
  private onGreetingBytes(chunk: Uint8Array): void {
    const take = Math.min(GREETING_SIZE - this.greetLen, chunk.length);
    this.greetBuf.set(chunk.subarray(0, take), this.greetLen);
    this.greetLen += take;
    checkSignature(this.greetBuf.subarray(0, this.greetLen));
    if (this.greetLen < GREETING_SIZE) return;
    const g = parseGreeting(this.greetBuf);
    this.peerMinor = g.major > 3 ? 1 : g.minor >= 1 ? 1 : 0;
    this.state = "handshake";
    if (g.mechanism !== "NULL") {
      this.refuse(`unsupported security mechanism ${g.mechanism}`);
      return;
    }
    if (take < chunk.length) this.decoder.feed(chunk.subarray(take));
  }

  /** Routes a decoded frame: commands, or parts of a multipart message. */
  private onFrame(flags: number, body: Uint8Array): void {
    if (this.state === "closed") return;
    if (flags & FLAG_COMMAND) {
      if (flags & FLAG_MORE) throw new ZmtpProtocolError("command frame with MORE flag");
      if (this.current.length > 0) {
        throw new ZmtpProtocolError("command inside a multipart message");
      }
      const cmd = parseCommand(body);
      this.onCommand(cmd.name, cmd.data);
      return;
    }
    if (this.state !== "ready") throw new ZmtpProtocolError("message before READY");
    this.currentBytes += body.length;
    const max = this.cfg.maxMessageSize;
    if (this.current.length >= MAX_FRAMES) {
      throw new ZmtpProtocolError(`message has more than ${MAX_FRAMES} frames`);
    }
    this.current.push(body);
    if (flags & FLAG_MORE) {
      // The next frame may only be as large as what is left of the message limit.
      this.decoder.limit = Math.min(this.cfg.maxFrameSize, max - this.currentBytes);
      return;
    }
    const msg = this.current;
    this.current = [];
    this.currentBytes = 0;
    this.decoder.limit = Math.min(this.cfg.maxFrameSize, max);
    this.hooks.message(this, msg);
  }

  /** Handles connection-level commands; others go to the socket. */
  private onCommand(name: string, data: Uint8Array): void {
    if (name === "ERROR") {
      const len = data.length > 0 ? data[0] : 0;
      this.close(`peer sent ERROR: ${text(data.subarray(1, 1 + len))}`);
      return;
    }
    if (this.state === "handshake") {
      if (name !== "READY") throw new ZmtpProtocolError(`expected READY, got ${name}`);
      this.onReady(parseMetadata(data));
      return;
    }
    if (this.state !== "ready") return;
    switch (name) {
      case "PING": {
        if (data.length < 2) throw new ZmtpProtocolError("malformed PING");
        const ctx = data.subarray(2);
        if (ctx.length > 16) throw new ZmtpProtocolError("PING context longer than 16 bytes");
        this.sendCommand("PONG", ctx.slice());
        return;
      }
      case "PONG":
        return;
      case "READY":
        throw new ZmtpProtocolError("duplicate READY");
      default:
        if (!this.hooks.command(this, name, data)) {
          throw new ZmtpProtocolError(`unknown command ${JSON.stringify(name)}`);
        }
    }
  }

  /** Checks the peer's READY metadata and completes the handshake. */
  private onReady(props: Map<string, Uint8Array>): void {
    const st = props.get("socket-type");
    if (!st) throw new ZmtpProtocolError("READY without Socket-Type");
    this.peerType = text(st);
    this.peerIdentity = props.get("identity")?.slice() ?? EMPTY;
    if (this.peerIdentity.length > 255) throw new ZmtpProtocolError("identity longer than 255");
    if (!COMPATIBLE[this.cfg.socketType].includes(this.peerType)) {
      this.refuse("Invalid socket type");
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.state = "ready";
    const refusal = this.hooks.ready(this);
    if (refusal !== null) {
      this.state = "handshake";
      this.refuse(refusal);
      return;
    }
    this.everReady = true;
    if (this.cfg.heartbeatIvlMs > 0 && !this.writesEnded) this.startHeartbeat();
  }

  /**
   * PINGs idle peers and drops silent ones. ZMTP 3.0 peers know no PING, so they must send
   * something within the timeout by themselves.
   */
  private startHeartbeat(): void {
    const ivl = this.cfg.heartbeatIvlMs;
    const timeout = this.cfg.heartbeatTimeoutMs;
    const ttl = Math.min(0xffff, Math.ceil(timeout / 100));
    let lastTick = Date.now();
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      // A tick far too late means this process was stalled, and the peer's answers may be
      // waiting unread: judge it at the next tick, not now.
      const stalled = now - lastTick > 2 * ivl;
      lastTick = now;
      const idle = now - this.lastRecv;
      if (idle >= timeout && !stalled) {
        this.close(`heartbeat timeout: nothing received for ${idle} ms`);
      } else if (idle >= ivl && this.peerMinor >= 1) {
        const ping = new Uint8Array(2);
        ping[0] = ttl >> 8;
        ping[1] = ttl & 0xff;
        this.sendCommand("PING", ping);
      }
    }, ivl);
  }

  /** Writes queued batches until the queue is empty; never rejects. */
  private async writeLoop(): Promise<void> {
    try {
      while (
        this.outQ.length > 0 && this.state !== "closed" &&
        (!this.held || this.closeAfterFlush !== null)
      ) {
        const parts = this.outQ.nextBatch();
        for (const p of parts) {
          let off = 0;
          while (off < p.length) off += await this.conn.write(off === 0 ? p : p.subarray(off));
        }
        if (!this.closed) this.hooks.writable(this);
      }
      if (this.closeAfterFlush !== null && this.outQ.length === 0) this.close(this.closeAfterFlush);
      else if (this.writesEnded && this.outQ.length === 0 && !this.closed) this.shutWrites();
    } catch (e) {
      this.close(`write failed: ${errText(e)}`);
    } finally {
      this.writerRun = null;
    }
  }
}
