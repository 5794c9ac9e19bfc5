/**
 * Who serves the engine's host calls (host_channel.ts): the program provides it once
 * (main.ts: the Lua globals of src/api/ and their host functions), so the engine knows
 * nothing of State or the store. An engine without a provider has no such globals.
 */
import type { EngineOptions, ExecOutcome, ExecuteRequest } from "../shared/protocol.ts";
import type { LastingResults } from "../shared/host_channel.ts";

/**
 * What serving a host call gives: the encoded results, now or later, or now with how long
 * they stay the answer to the same call (the worker then answers it again itself).
 */
export type DispatchResult = Uint8Array | LastingResults | Promise<Uint8Array>;

/** What the worker says of a call beside its method and arguments (host_channel.ts). */
export interface CallMeta {
  /** The Lua side's span (`trace.begin`'s id) the call was made under: its spans' parent. */
  span?: number;
  /**
   * Submitted from a scheduled coroutine (a workflow's parallel branch): it runs beside the
   * engine's other submitted calls, so its place among them is not fixed (a replay matches it
   * in any order among them).
   */
  concurrent?: boolean;
  /**
   * The branch a concurrent call was made in (src/api/workflow_schedule_lua.ts: "2", "2/1"), recorded
   * with it: a replay gives it the answer recorded for a call of the same branch.
   */
  branch?: string;
  /** Aborted when the call's answer is no longer wanted (its branch was cancelled). */
  signal?: AbortSignal;
}

/** An execution that has ended, for the session record (see HostDispatcher.executed). */
export interface ExecutionReport {
  request: ExecuteRequest;
  /** Its output, up to EXECUTION_OUTPUT_BYTES of each stream. */
  stdout: Uint8Array;
  stderr: Uint8Array;
  outcome: ExecOutcome;
  durationMs: number;
}

/** How much of an execution's output a report keeps, per stream. */
export const EXECUTION_OUTPUT_BYTES = 64 * 1024;

/** The host functions of one engine (its host server calls them, host_server.ts). */
export interface HostDispatcher {
  /** The call's encoded results (see host_server.ts HostDispatch). */
  dispatch(method: string, args: Uint8Array, meta?: CallMeta): DispatchResult;
  /** An execution of the engine ended (once the host functions exist). */
  executed(report: ExecutionReport): void;
  /** An interrupt: cancels what host functions wait for (an HTTP request ends at once). */
  interrupt(): void;
  /** Ends the session: "completed" unless told it failed (a run or exec that failed). */
  close(outcome?: "completed" | "failed"): void;
}

export interface HostProvider {
  /** The Lua globals the worker defines; each loads its Lua side at first use. */
  globals: readonly string[];
  /** Spans are made in this process (EngineOptions.tracing). */
  tracing: boolean;
  /** The host functions of an engine, made at its first call of one. */
  start(options: EngineOptions): Promise<HostDispatcher>;
}

let provider: HostProvider | undefined;

export function provideHost(p: HostProvider): void {
  provider = p;
}

export function hostProvider(): HostProvider | undefined {
  return provider;
}
