/**
 * The `Hook` global: Lua functions run before and after agent and tool calls, or when one
 * fails (its Lua side, where hooks run: hook_lua.ts). Its one host function finds the point
 * a misspelt name meant, with the program's did-you-mean (src/suggest.ts).
 *
 * @module
 */
import { type ApiModule, results } from "./api.ts";
import { HOOK_LUA } from "./hook_lua.ts";
import { toJson } from "./json_value.ts";
import { luaString } from "../engine/shared/host_values.ts";
import { suggest } from "../suggest.ts";

export const HOOK_API: ApiModule = {
  global: "Hook",
  lua: HOOK_LUA,
  host: {
    // (word, candidates) -> the candidate meant, or nil.
    "hook.suggest": (args) => {
      const word = toJson(args.value(0));
      const candidates = toJson(args.value(1));
      const near = typeof word === "string" && Array.isArray(candidates)
        ? suggest(word, candidates.map(String))
        : undefined;
      return results(near === undefined ? null : luaString(near));
    },
  },
};
