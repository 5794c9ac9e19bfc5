/**
 * Text tools: `text_manipulator` (change-case for the case conversions), `template_engine`
 * (Mustache) and `diff_calculator` (jsdiff).
 *
 * @module
 */
import { camelCase, capitalCase, kebabCase, pascalCase, snakeCase } from "change-case";
import Mustache from "mustache";
import { createTwoFilesPatch, diffChars, diffLines, diffWords } from "diff";
import { type JsonObject, ToolError } from "./types.ts";

export function run(params: JsonObject): JsonObject {
  const text = String(params.text);
  switch (params.operation) {
    case "uppercase":
      return { result: text.toUpperCase() };
    case "lowercase":
      return { result: text.toLowerCase() };
    case "reverse":
      return { result: [...text].reverse().join("") };
    case "trim":
      return { result: text.trim() };
    case "length":
      return { result: [...text].length };
    case "word_count":
      return { result: text.split(/\s+/).filter((w) => w !== "").length };
    case "replace": {
      if (typeof params.pattern !== "string") {
        throw new ToolError("text_manipulator: replace needs a pattern");
      }
      return { result: text.split(params.pattern).join(String(params.replacement ?? "")) };
    }
    case "split":
      return { result: text.split(String(params.separator ?? " ")) };
    case "snake_case":
      return { result: snakeCase(text) };
    case "camel_case":
      return { result: camelCase(text) };
    case "kebab_case":
      return { result: kebabCase(text) };
    case "pascal_case":
      return { result: pascalCase(text) };
    case "title_case":
      return { result: capitalCase(text) };
  }
  throw new ToolError(`text_manipulator: unknown operation '${params.operation}'`);
}

export function template(params: JsonObject): JsonObject {
  try {
    return { result: Mustache.render(String(params.template), params.values ?? {}) };
  } catch (e) {
    throw new ToolError(`template_engine: ${e instanceof Error ? e.message : e}`);
  }
}

export function diff(params: JsonObject): JsonObject {
  const a = String(params.old);
  const b = String(params.new);
  const mode = params.mode ?? "unified";
  if (mode === "unified") return { result: createTwoFilesPatch("old", "new", a, b) };
  const parts = mode === "words"
    ? diffWords(a, b)
    : mode === "chars"
    ? diffChars(a, b)
    : diffLines(a, b);
  return {
    result: parts.map((p) => ({
      value: p.value,
      added: p.added === true,
      removed: p.removed === true,
    })),
  };
}
