/**
 * What the main thread reads from the output ring (output_ring.ts) as engine events: output
 * streams, display and clear_output, input requests; and the JSON records (an execution's
 * outcome), which may come in parts (RingRecord.part).
 */
import { concat } from "../../bytes.ts";
import type { StreamChunk } from "../shared/output_ring.ts";
import { type LuaErrorInfo, type ProfileData, RingRecord } from "../shared/protocol.ts";

export type EngineEvent =
  | { type: "stream"; name: "stdout" | "stderr"; data: Uint8Array }
  | {
    type: "result";
    values: string[];
    types: string[];
    json?: string[];
    /** The value's own representations (ExecOutcome mime): an agent's result's Markdown. */
    mime?: Record<string, unknown>;
  }
  | { type: "error"; error: LuaErrorInfo }
  | { type: "exit"; code: number }
  /** display(): a MIME bundle (binary types base64-encoded, JSON types parsed). */
  | { type: "display"; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | { type: "clear_output"; wait: boolean }
  /** io.read or input() wants a line: answer with `provideInput` (stdin "kernel"). */
  | { type: "input"; prompt: string; password: boolean }
  /** A profiled execution's profile (ExecuteRequest.profile), before its outcome. */
  | { type: "profile"; profile: ProfileData };

const textDecoder = new TextDecoder();

/** Decodes the records of one output ring, in order. */
export class RingEvents {
  /** Parts of a long JSON record (RingRecord.part), until the record itself. */
  #parts: Uint8Array[] = [];

  /** Turns an output ring record into an event (undefined for a part of a long one). */
  event(chunk: StreamChunk): EngineEvent | undefined {
    switch (chunk.stream) {
      case 1:
        return { type: "stream", name: "stdout", data: chunk.data };
      case 2:
        return { type: "stream", name: "stderr", data: chunk.data };
      case RingRecord.part:
        this.#parts.push(chunk.data);
        return undefined;
      case RingRecord.event: {
        const ev = this.json(chunk.data);
        return ev.type === "clear_output"
          ? { type: "clear_output", wait: ev.wait === true }
          : { type: "display", data: ev.data ?? {}, metadata: ev.metadata ?? {} };
      }
      case RingRecord.profile:
        return { type: "profile", profile: this.json(chunk.data) };
      case RingRecord.input: {
        const ev = this.json(chunk.data);
        return { type: "input", prompt: String(ev.prompt ?? ""), password: ev.password === true };
      }
    }
    return undefined;
  }

  /** A JSON record: its parts so far and this last chunk. */
  // deno-lint-ignore no-explicit-any
  json(last: Uint8Array): any {
    let bytes = last;
    if (this.#parts.length > 0) {
      bytes = concat([...this.#parts, last]);
      this.#parts = [];
    }
    return JSON.parse(textDecoder.decode(bytes));
  }
}
