/**
 * The `JSON` global: `JSON.parse(text)` and `JSON.stringify(value [, indent])`. null becomes
 * nil; an empty table is `{}`; a table with keys exactly 1..n is an array.
 *
 * @module
 */
import { type ApiModule, HostError, results } from "./api.ts";
import { fromJson, toJson } from "./json_value.ts";
import { luaString, luaType } from "../engine/shared/host_values.ts";

const utf8 = new TextDecoder();

export const JSON_LUA = String.raw`
local call, JSON = ...
local type, error = type, error
local function check(ok, ...)
  if ok then return ... end
  error((...), 3)
end
function JSON.parse(text)
  if type(text) ~= "string" then
    error("bad argument #1 to 'parse' (string expected, got " .. type(text) .. ")", 2)
  end
  return check(call("json.parse", text))
end
function JSON.stringify(value, indent)
  return check(call("json.stringify", value, indent))
end
JSON.encode, JSON.decode = JSON.stringify, JSON.parse
`;

export const JSON_API: ApiModule = {
  global: "JSON",
  lua: JSON_LUA,
  host: {
    "json.parse": (args) => {
      const v = args.value(0);
      if (!(v instanceof Uint8Array)) throw new HostError("JSON.parse: text must be a string");
      try {
        return results(fromJson(JSON.parse(utf8.decode(v))));
      } catch (e) {
        throw new HostError(`JSON.parse: ${e instanceof Error ? e.message : e}`);
      }
    },
    "json.stringify": (args) => {
      const indent = args.value(1);
      if (indent !== null && typeof indent !== "bigint") {
        throw new HostError(`JSON.stringify: indent must be an integer, got ${luaType(indent)}`);
      }
      const text = JSON.stringify(
        toJson(args.value(0)),
        null,
        indent === null ? undefined : Number(indent),
      );
      return results(luaString(text));
    },
  },
};
