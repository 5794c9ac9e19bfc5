/**
 * Parameters checked against a tool's JSON schema with @cfworker/json-schema: drafts 4 to
 * 2020-12, no code generation, and it loads in ~9 ms where ajv takes ~90 ms
 * (docs/decisions/0021-llm-providers-and-tools.md). Validators are kept per schema text.
 *
 * @module
 */
import { Validator } from "@cfworker/json-schema";
import type { Json, JsonObject } from "./types.ts";

const validators = new Map<string, Validator>();

/** The problems of `value` against `schema`, one line each; empty when valid. */
export function problems(schema: JsonObject, value: Json): string[] {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) validators.set(key, v = new Validator(schema as never, "2020-12", false));
  const r = v.validate(value);
  if (r.valid) return [];
  // The leaves: the errors that say what is wrong rather than where it is nested.
  const leaves = r.errors.filter((e) =>
    !["properties", "items", "allOf", "$ref"].includes(e.keyword)
  );
  const shown = (leaves.length > 0 ? leaves : r.errors).map((e) => {
    const at = e.instanceLocation.replace(/^#\/?/, "");
    return at ? `${at}: ${e.error}` : e.error;
  });
  return [...new Set(shown)];
}
