/**
 * What a Lua global made of host calls declares (ARCHITECTURE.md §2): its name, its Lua
 * side, and the host functions that side calls. main.ts hands the globals of registry.ts
 * to the engine (src/engine/host/host_link.ts); the worker asks for a global's Lua side the
 * first time the script touches it (the host call `api.lua`), and the main thread serves
 * its host functions (host_functions.ts). None of this runs in the worker.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { LlmOptions, StateOptions } from "../engine/shared/protocol.ts";
import { type EncodedValues, type LuaValue, ValueWriter } from "../engine/shared/host_values.ts";
import type { LastingResults } from "../engine/shared/host_channel.ts";

export const DEFAULT_STATE_OPTIONS: StateOptions = { enabled: true, maxValueBytes: 1 << 20 };

export const DEFAULT_LLM_OPTIONS: LlmOptions = { providers: {}, toolSettings: {} };

/** What a host function can reach, on the main thread. */
export interface HostContext {
  /** The llmspell database, opened at the first call that needs it. */
  store(): Store;
  readonly state: StateOptions;
  /** The engine's session: what the scope `session` means. */
  readonly sessionId: string;
  /** Whether the session is recorded (`[sessions] enabled`); it exists once the store is open. */
  recording(): boolean;
  readonly llm: LlmOptions;
  /** `[sessions] max_artifact_bytes`. */
  readonly maxArtifactBytes: number;
  /** The engine's sandbox: what file tools may touch. */
  readonly security: {
    level: "safe" | "unrestricted";
    allowedPaths: string[];
    cwd: string;
    scriptDir?: string;
  };
  /**
   * Aborted when the script is interrupted, or when this call's answer is no longer wanted
   * (a cancelled workflow branch's): host functions that wait (an HTTP request) pass it on,
   * so that these end them at once. A fresh one after each interrupt.
   */
  readonly signal: AbortSignal;
  /**
   * The engine's: what a module keeps for an engine is kept by it (a call's context may be
   * a view of the engine's with a signal of its own).
   */
  readonly key: object;
  /**
   * Records an outside call that ends later (a streamed answer) at its place in the session
   * now, before the calls made while it runs; the function returned writes its results once
   * it has ended. Undefined when the session is not recorded.
   */
  beginCall(method: string, args: LuaValue[]): ((results: LuaValue[]) => void) | undefined;
}

/**
 * The results of a call, encoded (a sequence, src/engine/shared/host_values.ts), now or
 * later, or now with how long they stay its answer (a read of the store: State.get).
 */
export type HostResult = Uint8Array | LastingResults | Promise<Uint8Array>;

/** The results of a call, whether they last or not. */
export function plainResult(r: HostResult): Uint8Array | Promise<Uint8Array> {
  return r instanceof Uint8Array || r instanceof Promise ? r : r.results;
}

/** A host function: the call's encoded arguments in, its encoded results out. */
export type HostFunction = (args: EncodedValues, ctx: HostContext) => HostResult;

/** A failure to report to the script as a Lua error with this message. */
export class HostError extends Error {}

export interface ApiModule {
  /** The Lua global. */
  readonly global: string;
  /**
   * The Lua side: a chunk called with (call, global table, the script's globals, shared).
   * `call(method, ...)` returns true and the results, or false and an error message; the
   * chunk fills the table. `shared` is one table for every global's Lua side, for what
   * they give each other without loading one another: `shared.hooks`, the dispatch of the
   * hooks registered (hook_lua.ts), nil while there are none, is read at each agent, tool
   * and workflow call (hooked_call_lua.ts).
   */
  readonly lua: string;
  /** Host functions by method name ("state.get"). */
  readonly host: Readonly<Record<string, HostFunction>>;
}

/** Encodes results. */
export function results(...values: LuaValue[]): Uint8Array {
  const w = new ValueWriter(64);
  w.uleb(values.length);
  for (const v of values) w.value(v);
  return w.bytes().slice();
}

/** One result that is already encoded (a stored value), or nil when undefined. */
export function encodedResult(value: Uint8Array | undefined): Uint8Array {
  if (value === undefined) return results(null);
  const out = new Uint8Array(1 + value.length);
  out[0] = 1;
  out.set(value, 1);
  return out;
}
