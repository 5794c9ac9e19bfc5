/**
 * Whether a kernel still lives, seen from a client, as jupyter_client's restarter decides
 * it: the kernel's main thread echoes heartbeat pings, also while a cell runs (Lua runs in a
 * worker), so a kernel that stops echoing is dead or unreachable; for a kernel of this
 * machine, its process tells sooner. A kernel that replaces its process image (a wedged cell)
 * keeps its pid and is silent for a moment, so a single missed beat never counts.
 */
import { LlmspellError } from "../errors.ts";
import { type ConnectionInfo, endpointOf } from "../protocol/jupyter/connection.ts";
import { DealerSocket } from "../protocol/zmtp/mod.ts";

export interface WatchOptions {
  /** How often a ping is sent and the process looked at. Default 1000 ms. */
  intervalMs?: number;
  /** Beats missed in a row after which the kernel is dead. Default 5. */
  maxMisses?: number;
  /** The same once its process has ended. Default 2. */
  maxMissesGone?: number;
  /** For a kernel of this machine: whether its process still runs. */
  processAlive?: () => boolean;
  /** The kernel's pid, for the message. */
  pid?: number;
  /** Called once, when the kernel is found dead. */
  onDead: (reason: LlmspellError) => void;
}

const EMPTY = new Uint8Array(0);

export class HeartbeatWatch {
  readonly #socket: DealerSocket;
  readonly #opts: WatchOptions;
  readonly #timer: ReturnType<typeof setInterval>;
  #beat = true;
  #misses = 0;
  #pinging = false;
  #count = 0;
  #done = false;

  private constructor(info: ConnectionInfo, opts: WatchOptions) {
    this.#opts = opts;
    // Reconnect quickly: a kernel that replaced its image listens again within a second.
    this.#socket = new DealerSocket({ reconnectIvlMaxMs: 500 });
    this.#timer = setInterval(() => this.#tick(), opts.intervalMs ?? 1000);
    this.#read();
    this.#socket.connect(endpointOf(info, "hb")).catch(() => {});
  }

  /** Starts watching the kernel of `info`; `opts.onDead` is called if it dies. */
  static start(info: ConnectionInfo, opts: WatchOptions): HeartbeatWatch {
    return new HeartbeatWatch(info, opts);
  }

  async #read(): Promise<void> {
    try {
      // Any echo is a beat: the kernel's main thread is there.
      for await (const _ of this.#socket) this.#beat = true;
    } catch {
      // Closed.
    }
  }

  #tick(): void {
    if (this.#done) return;
    this.#misses = this.#beat ? 0 : this.#misses + 1;
    this.#beat = false;
    // One ping at a time: without a peer a send waits, and a queue of pings proves nothing.
    if (!this.#pinging) {
      this.#pinging = true;
      this.#socket.send([EMPTY, `ping ${++this.#count}`]).catch(() => {}).finally(() => {
        this.#pinging = false;
      });
    }
    const gone = this.#opts.processAlive ? !this.#opts.processAlive() : false;
    const s = (this.#opts.intervalMs ?? 1000) / 1000;
    if (gone && this.#misses >= (this.#opts.maxMissesGone ?? 2)) {
      const pid = this.#opts.pid ? ` (pid ${this.#opts.pid})` : "";
      this.#dead(`kernel died: its process${pid} has ended`);
    } else if (this.#misses >= (this.#opts.maxMisses ?? 5)) {
      this.#dead(`kernel died: no heartbeat for ${Math.round(this.#misses * s)} s`);
    }
  }

  #dead(message: string): void {
    this.#done = true;
    void this.close();
    this.#opts.onDead(
      new LlmspellError({
        code: "kernel_died",
        message,
        hint: "its state is lost; `llmspell kernel status` lists the kernels that run",
      }),
    );
  }

  /** Stops watching. */
  async close(): Promise<void> {
    this.#done = true;
    clearInterval(this.#timer);
    await this.#socket.close();
  }
}
