/** Shared test helpers: pyzmq peers, event waits, deterministic messages. */

import type { PeerEvent, ZmtpSocket } from "../../../src/protocol/zmtp/mod.ts";

export const PEER_PY = new URL("./peers/peer.py", import.meta.url).pathname;

/** A spawned /usr/bin/python3 peer, read line by line. */
export class PyPeer {
  private readonly child: Deno.ChildProcess;
  private readonly reader: ReadableStreamDefaultReader<string>;
  private buf = "";
  private stdinOpen = true;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly lines: string[] = [];

  constructor(args: string[]) {
    this.child = new Deno.Command("/usr/bin/python3", {
      args: [PEER_PY, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.reader = this.child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    this.writer = this.child.stdin.getWriter();
  }

  /** Next stdout line; throws if the process ends first. */
  async line(): Promise<string> {
    while (true) {
      const nl = this.buf.indexOf("\n");
      if (nl >= 0) {
        const l = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.lines.push(l);
        return l;
      }
      const { value, done } = await this.reader.read();
      if (done) throw new Error(`python peer exited; output so far: ${this.lines.join(" | ")}`);
      this.buf += value;
    }
  }

  /** Waits for "ready X" and returns X. */
  async ready(): Promise<string> {
    const l = await this.line();
    if (!l.startsWith("ready")) throw new Error(`python peer: expected ready, got ${l}`);
    return l.slice(6);
  }

  /** Waits for the final "ok N" (returns N) or throws on "fail ...". */
  async result(): Promise<number> {
    const l = await this.line();
    if (!l.startsWith("ok ")) throw new Error(`python peer: ${l}`);
    return Number(l.slice(3));
  }

  async write(line: string): Promise<void> {
    await this.writer.write(new TextEncoder().encode(line + "\n"));
  }

  /** Closes stdin (the peer exits), drains stdout, waits for exit. */
  async close(): Promise<Deno.CommandStatus> {
    if (this.stdinOpen) {
      this.stdinOpen = false;
      await this.writer.close().catch(() => {});
    }
    // Keep what is still buffered so result() can read it after close().
    while (true) {
      const { value, done } = await this.reader.read();
      if (done) break;
      this.buf += value;
    }
    return await this.child.status;
  }

  kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Runs `fn` with a python peer that is always cleaned up. */
export async function withPeer<T>(args: string[], fn: (p: PyPeer) => Promise<T>): Promise<T> {
  const p = new PyPeer(args);
  try {
    return await fn(p);
  } catch (e) {
    p.kill();
    throw e;
  } finally {
    await p.close();
  }
}

/** Resolves on the first peer event of `type` that satisfies `pred`. */
export function nextEvent(
  s: ZmtpSocket,
  type: PeerEvent["type"],
  pred: (e: PeerEvent) => boolean = () => true,
): Promise<PeerEvent> {
  return new Promise((resolve) => {
    const off = s.onPeer((e) => {
      if (e.type === type && pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

/** Resolves after `n` events of `type`. */
export function events(s: ZmtpSocket, type: PeerEvent["type"], n: number): Promise<PeerEvent[]> {
  const got: PeerEvent[] = [];
  return new Promise((resolve) => {
    const off = s.onPeer((e) => {
      if (e.type !== type) return;
      got.push(e);
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
  });
}

/** Rejects if `p` takes longer than `ms` (so a stall fails instead of hanging). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

/** Message i, byte-identical to peer.py's make(i, bigEvery). */
export function makeMsg(i: number, bigEvery: number): Uint8Array[] {
  const seq = new Uint8Array(11);
  seq.set([0x73, 0x65, 0x71]);
  new DataView(seq.buffer).setBigUint64(3, BigInt(i));
  let payload: Uint8Array;
  if (bigEvery && i % bigEvery === 0) {
    payload = new Uint8Array(1024 * 1024).fill(i % 251);
  } else {
    payload = new Uint8Array(i % 97);
    for (let k = 0; k < payload.length; k++) payload[k] = (i + k) % 256;
  }
  return [seq, payload, new TextEncoder().encode("tail")];
}

/** Sequence number of a makeMsg message. */
export function seqOf(m: Uint8Array[]): number {
  return Number(new DataView(m[0].buffer, m[0].byteOffset).getBigUint64(3));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function msgEqual(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((f, i) => bytesEqual(f, b[i]));
}

/** peer.py topics_msg(i). */
export function topicMsg(i: number): Uint8Array[] {
  const t = ["a", "b", "c", "ab", "ba", "cc"][i % 6];
  const v = new Uint8Array(8);
  new DataView(v.buffer).setBigUint64(0, BigInt(i));
  return [new TextEncoder().encode(`${t}.${i}`), v];
}

/** A fresh ipc endpoint in a temp dir; call cleanup afterwards. */
export async function tmpIpc(): Promise<{ endpoint: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "zmtp-test-" });
  return {
    endpoint: `ipc://${dir}/s.sock`,
    cleanup: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

export const te = new TextEncoder();
export const td = new TextDecoder();
