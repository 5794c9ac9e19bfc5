/**
 * Lua values (src/engine/shared/host_values.ts) as JSON and YAML text, for `llmspell state` and its files. Both
 * keep every value exact:
 *
 * - integers are written as integers (all 64 bits), floats always with a point or an
 *   exponent (`2.0`); read back, `2` is an integer and `2.0` a float;
 * - a string that is UTF-8 is a JSON/YAML string; any other string is
 *   `{"$bytes": "<base64>"}` in JSON and `!!binary` in YAML;
 * - NaN and the infinities are `{"$float": "nan" | "inf" | "-inf"}` in JSON
 *   (`.nan`, `.inf`, `-.inf` in YAML);
 * - an array is an array; a map whose keys are all UTF-8 strings is an object; any other
 *   map is `{"$map": [[key, value], ...]}` (also one whose only key starts with `$`, so
 *   that it is not read back as one of these forms). An empty table is `{}`.
 *
 * @module
 */
import { type LuaValue, MAX_DEPTH } from "../engine/shared/host_values.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

function asText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function floatText(n: number): string {
  const s = String(n);
  return /[.eE]/.test(s) ? s : s + ".0";
}

/** The map's entries as an object's, when every key is text and the object is unambiguous. */
function objectEntries(m: Map<LuaValue, LuaValue>): [string, LuaValue][] | undefined {
  const out: [string, LuaValue][] = [];
  for (const [k, v] of m) {
    if (!(k instanceof Uint8Array)) return undefined;
    const s = asText(k);
    if (s === undefined) return undefined;
    out.push([s, v]);
  }
  if (out.length === 1 && out[0][0].startsWith("$")) return undefined;
  return out;
}

/** JSON text of a value, indented by two spaces. */
export function valueToJson(v: LuaValue, indent = ""): string {
  const inner = indent + "  ";
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (Number.isNaN(v)) return '{ "$float": "nan" }';
    if (!Number.isFinite(v)) return `{ "$float": "${v > 0 ? "inf" : "-inf"}" }`;
    return floatText(v);
  }
  if (v instanceof Uint8Array) {
    const s = asText(v);
    return s === undefined ? `{ "$bytes": "${base64(v)}" }` : JSON.stringify(s);
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => inner + valueToJson(x, inner)).join(",\n")}\n${indent}]`;
  }
  if (v.size === 0) return "{}";
  const entries = objectEntries(v);
  if (entries) {
    const items = entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${valueToJson(x, inner)}`);
    return `{\n${items.join(",\n")}\n${indent}}`;
  }
  const deeper = inner + "  ";
  const pairs = [...v].map(([k, x]) =>
    `${deeper}[${valueToJson(k, deeper)}, ${valueToJson(x, deeper)}]`
  );
  return `{\n${inner}"$map": [\n${pairs.join(",\n")}\n${inner}]\n${indent}}`;
}

/** Thrown for JSON or YAML that is no Lua value. */
export class NotAValue extends Error {}

type Raw = null | boolean | string | { num: string } | Raw[] | { [key: string]: Raw };

/** A Lua value from JSON text (see the module's comment for the forms). */
export function valueFromJson(text: string): LuaValue {
  let raw: Raw;
  try {
    // The reviver sees each number's source text: `2` and `2.0` differ, big integers stay.
    raw = JSON.parse(
      text,
      (_k, v, ctx?: { source?: string }) => typeof v === "number" ? { num: ctx!.source! } : v,
    );
  } catch (e) {
    throw new NotAValue(`invalid JSON: ${e instanceof Error ? e.message : e}`);
  }
  return fromRaw(raw, 0);
}

function fromRaw(raw: Raw, depth: number): LuaValue {
  if (depth > MAX_DEPTH) throw new NotAValue(`nested more than ${MAX_DEPTH} deep`);
  if (raw === null || typeof raw === "boolean") return raw;
  if (typeof raw === "string") return encoder.encode(raw);
  if (Array.isArray(raw)) return raw.map((x) => fromRaw(x, depth + 1));
  if ("num" in raw && typeof raw.num === "string" && Object.keys(raw).length === 1) {
    return number(raw.num);
  }
  const obj = raw as { [key: string]: Raw };
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0].startsWith("$")) return special(keys[0], obj[keys[0]], depth);
  const m = new Map<LuaValue, LuaValue>();
  for (const k of keys) {
    const v = fromRaw(obj[k], depth + 1);
    if (v !== null) m.set(encoder.encode(k), v);
  }
  return m;
}

function number(source: string): LuaValue {
  if (/^-?\d+$/.test(source)) {
    const n = BigInt(source);
    if (n < -(2n ** 63n) || n >= 2n ** 63n) {
      throw new NotAValue(`${source} does not fit a 64-bit integer (write it as a float)`);
    }
    return n;
  }
  return Number(source);
}

function special(key: string, v: Raw, depth: number): LuaValue {
  if (key === "$bytes" && typeof v === "string") {
    try {
      return Uint8Array.from(atob(v), (c) => c.charCodeAt(0));
    } catch {
      throw new NotAValue(`"$bytes" must be base64`);
    }
  }
  if (key === "$float" && typeof v === "string") {
    const f = { nan: NaN, inf: Infinity, "-inf": -Infinity }[v];
    if (f === undefined) throw new NotAValue(`"$float" is "nan", "inf" or "-inf"`);
    return f;
  }
  if (key === "$map" && Array.isArray(v)) {
    const m = new Map<LuaValue, LuaValue>();
    for (const pair of v) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new NotAValue(`"$map" is a list of [key, value] pairs`);
      }
      const k = fromRaw(pair[0], depth + 1);
      checkKey(k);
      const x = fromRaw(pair[1], depth + 1);
      if (x !== null) m.set(k, x);
    }
    return m;
  }
  const m = new Map<LuaValue, LuaValue>();
  const x = fromRaw(v, depth + 1);
  if (x !== null) m.set(encoder.encode(key), x);
  return m;
}

function checkKey(k: LuaValue): void {
  if (k === null || (typeof k === "object" && !(k instanceof Uint8Array))) {
    throw new NotAValue("a table key is a string, a number or a boolean");
  }
  if (typeof k === "number" && Number.isNaN(k)) throw new NotAValue("a table key cannot be NaN");
}

export { asText };
