/**
 * Parameters checked against a tool's JSON schema with @cfworker/json-schema: drafts 4 to
 * 2020-12, no code generation, and it loads in ~9 ms where ajv takes ~90 ms
 * (docs/decisions/0023-llm-providers-and-tools.md). Validators are kept per schema text.
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
  const at = (e: { instanceLocation: string }) => e.instanceLocation.replace(/^#\/?/, "");
  const shown = r.errors.flatMap((e) => {
    if (e.keyword === "false") return [`unknown parameter '${at(e)}'`];
    if (["properties", "items", "allOf", "$ref", "additionalProperties"].includes(e.keyword)) {
      return [];
    }
    const required = /^Instance does not have required property "(.*)"\.?$/.exec(e.error);
    if (required) return [`missing required parameter '${at(e) ? at(e) + "/" : ""}${required[1]}'`];
    const msg = e.error.replace(/^Instance /, "").replace(/\.$/, "");
    return [at(e) ? `${at(e)}: ${msg}` : msg];
  });
  return [...new Set(shown.length > 0 ? shown : r.errors.map((e) => e.error))];
}
