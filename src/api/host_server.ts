/**
 * Main-thread side of host calls: takes each call from the channel
 * (src/engine/host_channel.ts), routes its method to the host function of its module
 * (registry.ts) and answers. Loaded by the engine handle at the first host call, with
 * the store, which opens at the first call that needs it.
 *
 * @module
 */
import {
  HOST_BURST_MS,
  HOST_LISTEN_MS,
  HostChannel,
  type HostRequest,
  HostStatus,
} from "../engine/host_channel.ts";
import { isLlmspellError } from "../errors.ts";
import { resolvePaths } from "../config/paths.ts";
import { openStore, type Store } from "../store/mod.ts";
import type { EngineOptions, StateOptions } from "../engine/protocol.ts";
import type { HostSide } from "../engine/host_link.ts";
import {
  DEFAULT_STATE_OPTIONS,
  type HostContext,
  HostError,
  type HostFunction,
  results,
} from "./api.ts";
import { API_MODULES } from "./registry.ts";
import { EncodedValues } from "../engine/host_values.ts";

/** Every module's host functions by method name, and `api.lua`: a global's Lua side. */
function methodTable(): Map<string, HostFunction> {
  const table = new Map<string, HostFunction>();
  const sources = new Map(API_MODULES.map((m) => [m.global, new TextEncoder().encode(m.lua)]));
  table.set("api.lua", (args) => {
    const name = args.value(0);
    const source = name instanceof Uint8Array
      ? sources.get(new TextDecoder().decode(name))
      : undefined;
    if (!source) throw new HostError("no such global");
    return results(source);
  });
  for (const m of API_MODULES) {
    for (const [name, fn] of Object.entries(m.host)) table.set(name, fn);
  }
  return table;
}

function errorMessage(e: unknown): string {
  if (e instanceof HostError) return e.message;
  if (isLlmspellError(e)) return e.hint ? `${e.message} (${e.hint})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

export class HostServer implements HostContext, HostSide {
  readonly #channel: HostChannel;
  readonly #methods = methodTable();
  readonly #cwd: string;
  readonly state: StateOptions;
  readonly sessionId: string = crypto.randomUUID();
  #store: Store | undefined;
  /** A call whose host function is asynchronous is being served. */
  #waiting = false;

  /** `options.cwd` resolves a relative LLMSPELL_HOME. */
  constructor(sab: SharedArrayBuffer, options: EngineOptions) {
    this.#channel = new HostChannel(sab);
    this.#cwd = options.cwd;
    this.state = options.state ?? DEFAULT_STATE_OPTIONS;
  }

  store(): Store {
    if (this.#store) return this.#store;
    const path = this.state.enabled
      ? resolvePaths(Deno.env.toObject(), this.#cwd).dbPath
      : ":memory:";
    return this.#store = openStore(path);
  }

  /**
   * Serves the calls waiting, then listens for more a short while (host_channel.ts). Called
   * at each wake-up message from the worker.
   */
  serve(): void {
    if (this.#waiting) return;
    const start = performance.now();
    for (;;) {
      const req = this.#channel.take();
      if (req) {
        if (!this.#answer(req)) return;
        continue;
      }
      if (performance.now() - start > HOST_BURST_MS) {
        // Still listening as far as the worker knows: come back after the event loop's turn.
        setTimeout(() => this.serve(), 0);
        return;
      }
      if (this.#channel.listen(HOST_LISTEN_MS)) continue;
      if (this.#channel.stopListening()) continue;
      return;
    }
  }

  /** Answers `req`; false when its answer comes later (an asynchronous host function). */
  #answer(req: HostRequest): boolean {
    const fn = this.#methods.get(req.method);
    let result;
    try {
      if (!fn) throw new HostError(`unknown host call '${req.method}'`);
      result = fn(new EncodedValues(req.args), this);
    } catch (e) {
      this.#channel.answer(req.id, HostStatus.error, errorMessage(e));
      return true;
    }
    if (result instanceof Uint8Array) {
      this.#channel.answer(req.id, HostStatus.ok, result);
      return true;
    }
    this.#waiting = true;
    result.then(
      (r) => this.#channel.answer(req.id, HostStatus.ok, r),
      (e) => this.#channel.answer(req.id, HostStatus.error, errorMessage(e)),
    ).finally(() => {
      this.#waiting = false;
      this.serve();
    });
    return false;
  }

  /** Wakes the worker if it waits for an answer (an interrupt). */
  nudge(): void {
    this.#channel.nudge();
  }

  close(): void {
    this.#store?.close();
    this.#store = undefined;
  }
}
