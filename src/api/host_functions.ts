/**
 * The host functions of every module of registry.ts, by method name, for the engine's
 * host server (src/engine/host_server.ts), and what they reach: the store, opened at the
 * first call that needs it. main.ts provides it to every engine (globals.ts).
 *
 * @module
 */
import { isLlmspellError } from "../errors.ts";
import { resolvePaths } from "../config/paths.ts";
import { openStore, type Store, storeFailure } from "../store/mod.ts";
import type { EngineOptions, StateOptions } from "../engine/protocol.ts";
import type { HostDispatcher } from "../engine/host_link.ts";
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

/** A function's error as the script sees it. */
function errorMessage(e: unknown): string {
  if (e instanceof HostError) return e.message;
  if (isLlmspellError(e)) return e.hint ? `${e.message} (${e.hint})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

export class HostFunctions implements HostContext, HostDispatcher {
  readonly #methods = methodTable();
  readonly #cwd: string;
  readonly state: StateOptions;
  readonly sessionId: string = crypto.randomUUID();
  #store: Store | undefined;

  /** `options.cwd` resolves a relative LLMSPELL_HOME. */
  constructor(options: EngineOptions) {
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

  dispatch(method: string, args: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const fn = this.#methods.get(method);
    if (!fn) throw new HostError(`unknown host call '${method}'`);
    // A failure of the database is the script's error, named for the function it called.
    const fail = (e: unknown) => {
      const store = this.#store && storeFailure(this.#store.path, e);
      const label = method.replace(/^\w/, (c) => c.toUpperCase());
      return new Error(store ? `${label}: ${errorMessage(store)}` : errorMessage(e));
    };
    try {
      const result = fn(new EncodedValues(args), this);
      return result instanceof Uint8Array ? result : result.catch((e) => Promise.reject(fail(e)));
    } catch (e) {
      throw fail(e);
    }
  }

  close(): void {
    this.#store?.close();
    this.#store = undefined;
  }
}
