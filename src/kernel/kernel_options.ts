/**
 * What a Kernel is made with: the transport that carries its messages, and its options.
 */
import type { Engine } from "../engine/host/handle.ts";
import type { EngineOptions } from "../engine/shared/protocol.ts";
import type { JsonObject, Message } from "../protocol/jupyter/wire.ts";
import type { Logger } from "../telemetry/log.ts";
import type { History } from "./history.ts";
import type { Channel } from "./request.ts";

/** What carries the kernel's messages out. */
export interface KernelTransport {
  /** Sends a reply (or input_request) to the client with these identities. */
  send(channel: Channel, identities: Uint8Array[], message: Message): void;
  /** Broadcasts on IOPub. */
  publish(message: Message): void;
  /** True if a client with these identities is connected on stdin. */
  stdinAvailable(identities: Uint8Array[]): boolean;
  /** Holds IOPub's writes (true) until released (false); see ExecutionQueue #drain. Optional. */
  holdIopub?(on: boolean): void;
}

export interface KernelOptions {
  engineOptions: EngineOptions;
  /** Kernel id (connection file name, history sessions). */
  kernelId: string;
  /** The session id in the headers of the kernel's messages. */
  session?: string;
  /**
   * Opens where executions are recorded (history_request reads it), at the first execution or
   * history request: `kernel start` opens its store (node:sqlite, ~20 ms) only then, so that
   * it does not delay the first replies.
   */
  openHistory?: () => Promise<History | undefined>;
  /**
   * Start the engine once the first request has been answered, or ENGINE_START_DELAY_MS
   * (engine_slot.ts) after the kernel is created if none comes (`kernel start`, whose kernel
   * creates its own engine). Creating the worker blocks the main thread ~10 ms and its wasm compile
   * keeps both cores busy for ~15 ms more: every front end waits for the first kernel_info
   * reply, and gets it sooner (docs/decisions/0018-kernel-defers-its-engine.md).
   */
  deferEngineStart?: boolean;
  /**
   * In-process clients: text stays as the engine gives it, with bytes that are not UTF-8
   * kept (src/byte_string.ts), and stream messages carry their raw bytes as buffers[0].
   * Otherwise (the wire: JSON) such bytes are shown as `\xNN`, and a stream, execute_result or
   * error message that needed it carries the exact bytes (of its text, text/plain or evalue) as
   * buffers[0].
   */
  byteExact?: boolean;
  /** Coalesce stream output into fewer messages (service mode). */
  coalesceStreams?: boolean;
  /** Diagnostics of the kernel (dropped messages, client errors); silent by default. */
  logger?: Logger;
  /** The engine to use first (a prestarted one); later engines are made with `new`. */
  engine?: Engine;
  /** Ports etc. for connect_request. */
  connectInfo?: JsonObject;
  /** Number of connected clients, for usage_request. */
  clients?: () => number;
  /** Called after a shutdown_request was answered (restart: false). */
  onShutdown?: () => void;
  /**
   * The engine options as they are now (service mode: the configuration read again), asked
   * at each restart so that a restarted engine runs with the current configuration. Without
   * it (or when it fails) a restart keeps the options it has.
   */
  currentEngineOptions?: () => Promise<EngineOptions>;
  /**
   * How long a running cell may take to end after an interrupt or a restart before its
   * engine counts as wedged (kernel.interrupt_grace_ms; default 2000).
   */
  interruptGraceMs?: number;
  /** When the kernel started (its uptime): a new process image of it goes on counting. */
  startedAt?: Date;
  /**
   * The engine did not honour an interrupt or a restart in time (a worker spinning in C code
   * cannot be stopped in Deno): replaces the kernel's process (service.ts). The running cell
   * has had its error reply and IOPub has said "restarting". Without it, or if it fails, the
   * kernel starts a fresh engine in this process; the old worker spins until the process ends.
   */
  onWedged?: (message: string) => Promise<void>;
}

/** KernelOptions.interruptGraceMs by default. */
export const INTERRUPT_GRACE_MS = 2000;

export interface KernelStats {
  state: "starting" | "idle" | "busy";
  executions: number;
  queued: number;
  startedAt: Date;
}
