/**
 * The `Provider` global: `Provider.list()` (the names scripts can use: configured and
 * built-in) and `Provider.get(name)` (type, base URL, default model, models, capabilities;
 * never a key).
 *
 * @module
 */
import { type ApiModule, results } from "./api.ts";
import { fromJson } from "./json_value.ts";

const load = () => import("../providers/mod.ts");
const utf8 = new TextDecoder();

export const PROVIDER_LUA = String.raw`
local call, Provider = ...
local function check(ok, ...)
  if ok then return ... end
  error((...), 3)
end
function Provider.list() return check(call("provider.list")) end
function Provider.get(name)
  if type(name) ~= "string" then
    error("bad argument #1 to 'get' (string expected, got " .. type(name) .. ")", 2)
  end
  return check(call("provider.get", name))
end
`;

export const PROVIDER_API: ApiModule = {
  global: "Provider",
  lua: PROVIDER_LUA,
  host: {
    "provider.list": async (_args, ctx) => {
      const { listProviders } = await load();
      return results(fromJson(listProviders(ctx.llm.providers)));
    },
    "provider.get": async (args, ctx) => {
      const { providerInfo } = await load();
      const name = args.value(0);
      const info = name instanceof Uint8Array
        ? providerInfo(utf8.decode(name), ctx.llm.providers)
        : undefined;
      return results(fromJson(info ?? null));
    },
  },
};
