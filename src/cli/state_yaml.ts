/**
 * Lua values (src/engine/shared/host_values.ts) as YAML, exact as their JSON form (src/api/value_text.ts):
 * integers plain, floats always with a fraction (`2.0`), strings that are not UTF-8 as
 * `!!binary`, maps with any keys. On the yaml package (eemeli/yaml: YAML 1.2, keeps
 * integers as BigInt and maps as Map when asked, which a JSON-shaped emitter cannot).
 *
 * Imported from the package's ES module build: its Node.js build is CommonJS, which the
 * bundle (scripts/build.ts) can only load through node:module's createRequire, in a chunk
 * every command would then load at start-up (~20 ms for the first Node.js module).
 */
// @ts-types="../../node_modules/yaml/dist/index.d.ts"
import {
  Document,
  Pair,
  parseDocument,
  Scalar,
  YAMLMap,
  YAMLSeq,
} from "../../node_modules/yaml/browser/dist/index.js";
import { type LuaValue, MAX_DEPTH } from "../engine/shared/host_values.ts";
import { asText, NotAValue } from "../api/value_text.ts";

const BINARY = "tag:yaml.org,2002:binary";
const encoder = new TextEncoder();

function node(v: LuaValue): unknown {
  if (v === null || typeof v === "boolean" || typeof v === "bigint") return new Scalar(v);
  if (typeof v === "number") {
    const s = new Scalar(v);
    s.minFractionDigits = 1;
    return s;
  }
  if (v instanceof Uint8Array) {
    const text = asText(v);
    if (text !== undefined) return new Scalar(text);
    const s = new Scalar(v);
    s.tag = BINARY;
    return s;
  }
  if (Array.isArray(v)) {
    const seq = new YAMLSeq();
    seq.items = v.map(node);
    return seq;
  }
  const map = new YAMLMap();
  for (const [k, x] of v) map.items.push(new Pair(node(k), node(x)));
  return map;
}

/** YAML text of a document whose top level is a JS object of Lua values (or one value). */
export function toYamlDocument(top: LuaValue | Record<string, unknown>): string {
  const doc = new Document(null, { customTags: ["binary"] });
  doc.contents = toNode(top) as Document["contents"];
  return String(doc);
}

function toNode(v: LuaValue | Record<string, unknown>): unknown {
  if (
    v !== null && typeof v === "object" && !(v instanceof Uint8Array) && !Array.isArray(v) &&
    !(v instanceof Map)
  ) {
    const map = new YAMLMap();
    for (const [k, x] of Object.entries(v)) {
      map.items.push(new Pair(new Scalar(k), toNode(x as LuaValue | Record<string, unknown>)));
    }
    return map;
  }
  return node(v as LuaValue);
}

/** Parses YAML into JS: maps as Map, integers as BigInt, !!binary as Uint8Array. */
export function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { intAsBigInt: true, customTags: ["binary"] });
  if (doc.errors.length > 0) throw new NotAValue(`invalid YAML: ${doc.errors[0].message}`);
  return doc.toJS({ mapAsMap: true });
}

/** A Lua value from what parseYaml returned. */
export function valueFromYaml(js: unknown, depth = 0): LuaValue {
  if (depth > MAX_DEPTH) throw new NotAValue(`nested more than ${MAX_DEPTH} deep`);
  if (js === null || js === undefined) return null;
  if (typeof js === "boolean" || typeof js === "bigint" || typeof js === "number") return js;
  if (typeof js === "string") return encoder.encode(js);
  if (js instanceof Uint8Array) return new Uint8Array(js);
  if (Array.isArray(js)) return js.map((x) => valueFromYaml(x, depth + 1));
  if (js instanceof Map) {
    const m = new Map<LuaValue, LuaValue>();
    for (const [k, x] of js) {
      const key = valueFromYaml(k, depth + 1);
      if (key === null || (typeof key === "object" && !(key instanceof Uint8Array))) {
        throw new NotAValue("a table key is a string, a number or a boolean");
      }
      const value = valueFromYaml(x, depth + 1);
      if (value !== null) m.set(key, value);
    }
    return m;
  }
  if (js instanceof Date) return encoder.encode(js.toISOString());
  throw new NotAValue(`cannot store a YAML ${typeof js}`);
}
