/**
 * The main-thread handle of an engine worker. `execute` yields, in order, the chunk's output
 * streams as they are written and then its outcome: values, an error, or an exit code.
 */
import { createRingBuffer, RingReader } from "./output_ring.ts";
import {
  Control,
  type EngineOptions,
  type ExecOutcome,
  type ExecuteRequest,
  type FromWorker,
  type LuaErrorInfo,
  Signal,
  type ToWorker,
} from "./protocol.ts";
import { LlmspellError } from "../errors.ts";

export type EngineEvent =
  | { type: "stream"; name: "stdout" | "stderr"; data: Uint8Array }
  | { type: "result"; values: string[] }
  | { type: "error"; error: LuaErrorInfo }
  | { type: "exit"; code: number };

export class Engine {
  readonly #worker: Worker;
  readonly #controlBuf = new SharedArrayBuffer(Control.size * 4);
  readonly #control = new Int32Array(this.#controlBuf);
  readonly #ringBuf = createRingBuffer();
  readonly #ring = new RingReader(this.#ringBuf);
  readonly #pending = new Map<number, (o: ExecOutcome) => void>();
  #ready: Promise<void> | undefined;
  #onReady: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #fatal: Error | undefined;
  #nextId = 1;
  #timeoutMs = 0;
  #busy = false;

  /** Starts the worker (and the wasm compile) now; `init` may follow later. */
  constructor() {
    this.#worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    this.#worker.onmessage = (ev: MessageEvent<FromWorker>) => this.#onMessage(ev.data);
    this.#worker.onerror = (ev) => {
      ev.preventDefault();
      this.#die(new Error(ev.message));
    };
  }

  /** Creates the Lua state. Resolves when the engine can execute. */
  init(options: EngineOptions): Promise<void> {
    if (this.#ready) return this.#ready;
    this.#timeoutMs = options.timeoutMs;
    this.#ready = new Promise((resolve, reject) => {
      this.#onReady = { resolve, reject };
    });
    this.#post({ type: "init", options, control: this.#controlBuf, output: this.#ringBuf });
    return this.#ready;
  }

  #post(msg: ToWorker): void {
    this.#worker.postMessage(msg);
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case "ready":
        this.#onReady?.resolve();
        break;
      case "fatal":
        this.#die(new Error(msg.message));
        break;
      case "done": {
        const resolve = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        resolve?.(msg.outcome);
        break;
      }
    }
  }

  #die(e: Error): void {
    this.#fatal = e;
    this.#onReady?.reject(e);
    for (const resolve of this.#pending.values()) {
      resolve({
        status: "error",
        error: {
          kind: "runtime",
          message: `engine failed: ${e.message}`,
          traceback: [],
          isObject: false,
        },
      });
    }
    this.#pending.clear();
  }

  get busy(): boolean {
    return this.#busy;
  }

  /** Runs a chunk; yields its output as it is produced, then its outcome. */
  async *execute(request: ExecuteRequest): AsyncGenerator<EngineEvent> {
    if (!this.#ready) throw new Error("Engine.init must be called before execute");
    await this.#ready;
    if (this.#fatal) {
      throw new LlmspellError({ code: "engine_failed", message: this.#fatal.message });
    }
    const id = this.#nextId++;
    let outcome: ExecOutcome | undefined;
    const done = new Promise<void>((resolve) => {
      this.#pending.set(id, (o) => {
        outcome = o;
        resolve();
      });
    });
    const timer = this.#timeoutMs > 0
      ? setTimeout(
        () => Atomics.store(this.#control, Control.signal, Signal.timeout),
        this.#timeoutMs,
      )
      : undefined;
    this.#busy = true;
    this.#post({ type: "execute", id, request });
    const waiting = { cancelled: false };
    try {
      for (;;) {
        const seq = this.#ring.seq;
        for (const chunk of this.#ring.drain()) {
          yield {
            type: "stream",
            name: chunk.stream === 2 ? "stderr" : "stdout",
            data: chunk.data,
          };
        }
        if (outcome) break;
        await Promise.race([done, this.#ring.waitForData(seq, waiting)]);
      }
      for (const chunk of this.#ring.drain()) {
        yield { type: "stream", name: chunk.stream === 2 ? "stderr" : "stdout", data: chunk.data };
      }
      const o = outcome as ExecOutcome;
      if (o.status === "ok") yield { type: "result", values: o.values };
      else if (o.status === "error") yield { type: "error", error: o.error };
      else yield { type: "exit", code: o.code };
    } finally {
      waiting.cancelled = true;
      this.#busy = false;
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** Asks the running chunk to stop with the error "interrupted" (needs `interactive`). */
  interrupt(): void {
    Atomics.store(this.#control, Control.signal, Signal.interrupt);
  }

  /** Ends the worker. Only reliable while it is idle (a spinning worker ignores it). */
  close(): void {
    this.#worker.terminate();
  }
}
