/**
 * The debugger's request channel: DAP requests from the main thread to the worker's
 * debugger, one at a time, on the call slot that host calls use (call_slot.ts). A request is
 * a call `{id: its seq, method: its command, args: its arguments as JSON}`. The worker takes
 * it from a hook while Lua runs (after a poke, poke.ts), while stopped at a breakpoint
 * (waiting on the slot), or at a `debugPoke` message while idle; it frees the slot as it
 * takes the request, and its response and events go back by postMessage, which a blocked
 * worker can still send. The engine carries the requests; what they mean is the debugger's.
 */
import { CallSlot, createSlotBuffer, methodName, SlotState } from "./call_slot.ts";

/** A debugger request as the channel carries it (a DAP request). */
export interface DebugRequest {
  seq: number;
  type: "request";
  command: string;
  arguments?: unknown;
}

const INITIAL_BYTES = 4 * 1024;
/** The largest request (a setBreakpoints of a big file stays far below). */
const MAX_BYTES = 1 << 24;
const WHAT = "debug request";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createDebugChannel(): SharedArrayBuffer {
  return createSlotBuffer(INITIAL_BYTES, MAX_BYTES);
}

/** Main thread: puts requests in the channel (the one before was taken). */
export class DebugRequestSender {
  readonly #slot: CallSlot;
  /** Command names with their length prefix, encoded once. */
  readonly #names = new Map<string, Uint8Array>();

  constructor(sab: SharedArrayBuffer) {
    this.#slot = new CallSlot(sab, WHAT);
  }

  /** Puts `request` in the channel and wakes a worker waiting on it. */
  send(request: DebugRequest): void {
    let name = this.#names.get(request.command);
    if (!name) this.#names.set(request.command, name = methodName(request.command));
    const args = encoder.encode(JSON.stringify(request.arguments ?? null));
    this.#slot.put(request.seq, name, args);
  }
}

/** Worker: takes the requests. */
export class DebugRequestReceiver {
  readonly #slot: CallSlot;

  constructor(sab: SharedArrayBuffer) {
    this.#slot = new CallSlot(sab, WHAT);
  }

  /** The waiting request, if any (the slot is free again). */
  take(): DebugRequest | undefined {
    const call = this.#slot.take();
    if (!call) return undefined;
    const args = JSON.parse(decoder.decode(call.args.slice()));
    this.#slot.release();
    const request: DebugRequest = { seq: call.id, type: "request", command: call.method };
    if (args !== null) request.arguments = args;
    return request;
  }

  /** Blocks until a request arrives or `timeoutMs` passes. */
  wait(timeoutMs: number): DebugRequest | undefined {
    const state = this.#slot.state;
    if (state !== SlotState.request) this.#slot.wait(state, timeoutMs);
    return this.take();
  }
}
