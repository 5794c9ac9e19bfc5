/**
 * `json_processor`: JSONPath queries with jsonpath-plus (its safe evaluator for filters).
 *
 * @module
 */
import { JSONPath } from "jsonpath-plus";
import { type Json, type JsonObject, ToolError } from "./types.ts";

export function run(params: JsonObject): JsonObject {
  let data: Json = params.input;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch (e) {
      throw new ToolError(
        `json_processor: the input is not JSON: ${e instanceof Error ? e.message : e}`,
      );
    }
  }
  if (typeof params.query !== "string") return { result: data };
  try {
    const result = JSONPath({ path: params.query, json: data as object, wrap: true, eval: "safe" });
    return { result: result as Json };
  } catch (e) {
    throw new ToolError(`json_processor: ${e instanceof Error ? e.message : e}`);
  }
}
