/** A hand-driven ZMTP peer over a raw Deno connection, for protocol-level tests. */

import { concat as concatBytes } from "../../../src/bytes.ts";
import {
  encodeCommandBody,
  encodeFrame,
  encodeGreeting,
  encodeMetadata,
  FLAG_COMMAND,
  FLAG_MORE,
  FrameDecoder,
  GREETING_SIZE,
  parseCommand,
  utf8,
} from "../../../src/protocol/zmtp/wire.ts";

export interface RawFrame {
  flags: number;
  body: Uint8Array;
}

export class RawPeer {
  private frames: RawFrame[] = [];
  private waiters: (() => void)[] = [];
  private greeting = new Uint8Array(0);
  private eof = false;
  private readonly decoder = new FrameDecoder(1 << 30, (flags, body) => {
    this.frames.push({ flags, body });
    this.wake();
  });
  private readonly loop: Promise<void>;
  private greetingDone = false;

  private constructor(readonly conn: Deno.Conn) {
    this.loop = this.read();
  }

  static async connect(endpoint: string): Promise<RawPeer> {
    const m = /^tcp:\/\/(.*):(\d+)$/.exec(endpoint);
    if (m) return new RawPeer(await Deno.connect({ hostname: m[1], port: Number(m[2]) }));
    return new RawPeer(await Deno.connect({ transport: "unix", path: endpoint.slice(6) }));
  }

  /** Wraps an accepted connection (for tests where we play the bound side). */
  static wrap(conn: Deno.Conn): RawPeer {
    return new RawPeer(conn);
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private async read(): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      while (true) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        let chunk = buf.subarray(0, n);
        if (!this.greetingDone) {
          const take = Math.min(GREETING_SIZE - this.greeting.length, chunk.length);
          const g = new Uint8Array(this.greeting.length + take);
          g.set(this.greeting);
          g.set(chunk.subarray(0, take), this.greeting.length);
          this.greeting = g;
          chunk = chunk.subarray(take);
          if (this.greeting.length === GREETING_SIZE) this.greetingDone = true;
          this.wake();
        }
        if (chunk.length > 0) this.decoder.feed(chunk);
      }
    } catch {
      // reset by peer counts as closed
    }
    this.eof = true;
    this.wake();
  }

  async write(b: Uint8Array): Promise<void> {
    let off = 0;
    while (off < b.length) off += await this.conn.write(b.subarray(off));
  }

  /** Sends greeting and READY (as `type`, ZMTP 3.`minor`), then awaits the server's READY. */
  async handshake(type: string, minor = 1, identity?: string): Promise<Uint8Array> {
    const props: Record<string, Uint8Array> = { "Socket-Type": utf8(type) };
    if (identity !== undefined) props.Identity = utf8(identity);
    const ready = encodeCommandBody("READY", encodeMetadata(props));
    await this.write(concat(encodeGreeting(false, minor), encodeFrame(FLAG_COMMAND, ready)));
    const f = await this.frame();
    if (!(f.flags & FLAG_COMMAND) || parseCommand(f.body).name !== "READY") {
      throw new Error("expected READY");
    }
    return this.greeting;
  }

  /** Next frame from the other side; throws on EOF. */
  async frame(): Promise<RawFrame> {
    while (this.frames.length === 0) {
      if (this.eof) throw new Error("connection closed");
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.frames.shift()!;
  }

  /** Next non-command message. */
  async message(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    while (true) {
      const f = await this.frame();
      if (f.flags & FLAG_COMMAND) continue;
      out.push(f.body);
      if (!(f.flags & FLAG_MORE)) return out;
    }
  }

  /** Next command frame (name, data). */
  async command(): Promise<{ name: string; data: Uint8Array }> {
    while (true) {
      const f = await this.frame();
      if (f.flags & FLAG_COMMAND) return parseCommand(f.body);
    }
  }

  /** Sends a message. */
  async send(frames: Uint8Array[]): Promise<void> {
    const parts = frames.map((f, i) => encodeFrame(i < frames.length - 1 ? FLAG_MORE : 0, f));
    await this.write(concat(...parts));
  }

  /** Sends a command. */
  async sendCommand(name: string, data: Uint8Array = new Uint8Array(0)): Promise<void> {
    await this.write(encodeFrame(FLAG_COMMAND, encodeCommandBody(name, data)));
  }

  /** Resolves once the other side has closed the connection. */
  async closedByPeer(): Promise<void> {
    while (!this.eof) await new Promise<void>((r) => this.waiters.push(r));
  }

  get isClosed(): boolean {
    return this.eof;
  }

  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    await this.loop;
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}
