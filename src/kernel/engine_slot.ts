/**
 * The kernel's engine: which one is current (a restart or a wedged engine replaces it),
 * when it starts (at once, or deferred until the first request), and queries to it that end
 * when it is replaced.
 */
import { Engine } from "../engine/host/handle.ts";
import type { EngineOptions, EngineQuery, QueryAnswer } from "../engine/shared/protocol.ts";

/** How long a deferred engine start waits for a first request (KernelOptions). */
const ENGINE_START_DELAY_MS = 50;

export interface EngineSlotOptions {
  /** The engine to use first (a prestarted one); later engines are made with `new`. */
  engine?: Engine;
  /** KernelOptions.deferEngineStart. */
  deferStart?: boolean;
  /** The options an engine starts with, read at each start (a reload changes them). */
  engineOptions: () => EngineOptions;
  /** An execution of the current engine reached its time limit. */
  onTimeLimit: (execution: number) => void;
}

export class EngineSlot {
  readonly #options: EngineSlotOptions;
  #engine: Engine;
  /**
   * The engine has been told to start (init posted): executions may be handed to it from
   * then on, and run once it is ready. Waiting for ready instead would add a round trip
   * between the threads to the first cell.
   */
  #started: Promise<void> = Promise.resolve();
  #ready: Promise<void>;
  /** Resolves when the current engine is replaced or closed. */
  #gone!: Promise<void>;
  /** Starts a deferred engine (KernelOptions.deferEngineStart) now. */
  #startNow: (() => void) | undefined;
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #end!: () => void;

  constructor(options: EngineSlotOptions) {
    this.#options = options;
    this.#engine = options.engine ?? new Engine({ deferWorker: options.deferStart });
    this.#ready = options.deferStart ? this.#startLater() : this.#start();
  }

  /** The engine now. */
  get engine(): Engine {
    return this.#engine;
  }

  /** Resolves once the current engine has been told to start. */
  get started(): Promise<void> {
    return this.#started;
  }

  /** Resolves once the current engine can run code. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Starts a deferred engine now (a no-op once it started). */
  startNow(): void {
    this.#startNow?.();
  }

  #startLater(): Promise<void> {
    this.#gone = new Promise((resolve) => (this.#end = resolve));
    this.#startTimer = setTimeout(() => this.#startNow?.(), ENGINE_START_DELAY_MS);
    const start = new Promise<void>((resolve) => (this.#startNow = resolve));
    // Registered first, so the engine's init is posted before anyone waiting for
    // #started hands it an execution.
    const ready = start.then(() => {
      clearTimeout(this.#startTimer);
      this.#startNow = undefined;
      return this.#start();
    });
    this.#started = start;
    return ready;
  }

  #start(): Promise<void> {
    this.#gone = new Promise((resolve) => (this.#end = resolve));
    // A cell at its time limit must end like an interrupted one (Kernel #watch).
    this.#engine.onTimeLimit = (id) => this.#options.onTimeLimit(id);
    return this.#engine.init(this.#options.engineOptions());
  }

  /**
   * Interrupts the current engine and starts a fresh one (a new Lua state); returns the old
   * one, for the caller to close once its worker is done.
   */
  replace(): Engine {
    const old = this.#engine;
    old.interrupt();
    this.#end();
    this.#engine = new Engine();
    this.#started = Promise.resolve();
    this.#ready = this.#start();
    return old;
  }

  /**
   * Queries waiting for the current engine are answered now with the error a replaced
   * engine gives: it is wedged and will answer none (Kernel #wedge).
   */
  abandonQueries(): void {
    this.#end();
  }

  /** Asks the engine, once ready; an engine replaced meanwhile answers with an error. */
  async query(q: EngineQuery): Promise<QueryAnswer> {
    await this.#ready;
    const gone = this.#gone.then((): QueryAnswer => ({
      kind: "error",
      message: "engine restarted",
    }));
    return await Promise.race([this.#engine.query(q), gone]);
  }

  /** Ends the engine (and a deferred start that has not happened). */
  close(): void {
    clearTimeout(this.#startTimer);
    this.#startNow = undefined;
    this.#end();
    this.#engine.close();
  }
}
