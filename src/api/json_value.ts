/**
 * Lua values (src/engine/shared/host_values.ts) to JSON-shaped JS values and back, for what leaves the
 * process as JSON: LLM requests and answers, tool parameters and results, `JSON.parse` and
 * `JSON.stringify`. Strings are UTF-8 text here (bytes that are not UTF-8 become U+FFFD),
 * integers are numbers, a map's keys become strings, nil is null. Back into Lua, a whole
 * number is an integer, and null is nil.
 *
 * @module
 */
import { luaString, type LuaValue } from "../engine/shared/host_values.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const decoder = new TextDecoder();

function keyText(k: LuaValue): string {
  if (k instanceof Uint8Array) return decoder.decode(k);
  if (typeof k === "bigint" || typeof k === "number" || typeof k === "boolean") return String(k);
  return "";
}

export function toJson(v: LuaValue): Json {
  if (v === null || typeof v === "boolean" || typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Uint8Array) return decoder.decode(v);
  if (Array.isArray(v)) return v.map(toJson);
  const out: { [key: string]: Json } = {};
  for (const [k, x] of v) out[keyText(k)] = toJson(x);
  return out;
}

export function fromJson(v: unknown): LuaValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof v === "string") return luaString(v);
  if (Array.isArray(v)) return v.map(fromJson);
  if (typeof v === "object") {
    const m = new Map<LuaValue, LuaValue>();
    for (const [k, x] of Object.entries(v)) m.set(luaString(k), fromJson(x));
    return m;
  }
  return luaString(String(v));
}

/** A field of a Lua table given as a map (string keys), or undefined. */
export function field(v: LuaValue, name: string): LuaValue | undefined {
  if (!(v instanceof Map)) return undefined;
  for (const [k, x] of v) if (k instanceof Uint8Array && decoder.decode(k) === name) return x;
  return undefined;
}
