/**
 * Who serves the engine's host calls (host_channel.ts): the program provides it once
 * (main.ts: the Lua globals of src/api/ and their host functions), so the engine knows
 * nothing of State or the store. An engine without a provider has no such globals.
 */
import type { EngineOptions } from "./protocol.ts";

/** The main-thread side of one engine's channel. */
export interface HostSide {
  /** Serves the calls waiting (at each wake-up message from the worker). */
  serve(): void;
  /** Wakes the worker if it waits for an answer (an interrupt). */
  nudge(): void;
  close(): void;
}

export interface HostProvider {
  /** The Lua globals the worker defines; each loads its Lua side at first use. */
  globals: readonly string[];
  /** Starts serving the channel whose buffer the worker sent with its first call. */
  start(buffer: SharedArrayBuffer, options: EngineOptions): Promise<HostSide>;
}

let provider: HostProvider | undefined;

export function provideHost(p: HostProvider): void {
  provider = p;
}

export function hostProvider(): HostProvider | undefined {
  return provider;
}
