/**
 * A client's request as the kernel holds it, with the helpers that read a message's loose
 * JSON content.
 */
import type { Message } from "../protocol/jupyter/wire.ts";

export type Channel = "shell" | "control" | "stdin";

/** A decoded message, with where it came from and whom to answer. */
export interface ClientRequest {
  channel: Channel;
  identities: Uint8Array[];
  message: Message;
  /** clientKey(identities). */
  client: string;
}

/** Client key: the routing identities, as text. */
export function clientKey(identities: Uint8Array[]): string {
  let s = "";
  for (const id of identities) {
    for (let i = 0; i < id.length; i++) s += String.fromCharCode(id[i]);
    s += "\u0000";
  }
  return s;
}

/** A content field that should be a string, or `d`. */
export function str(v: unknown, d = ""): string {
  return typeof v === "string" ? v : d;
}

/** A content field that should be a finite number, or `d`. */
export function num(v: unknown, d: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : d;
}
