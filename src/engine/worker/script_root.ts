/**
 * A script run on a kernel (`run --connect`) executes in the kernel's long-lived engine,
 * whose script directory (EngineOptions.scriptDir) is fixed at its start. For that one
 * execution, `require` searches the script's directory first and the sandbox lets it be
 * read, as an embedded run's engine does; afterwards package.path loses the entries added,
 * so later cells, of any client, search as before.
 */
import type { CApi } from "../vm/capi.ts";
import type { PathPolicy } from "../shared/path_policy.ts";
import { LUA_REGISTRYINDEX, LuaTypeId } from "../vm/lua_h.ts";

/** The package.path entries of a script directory, as the prelude writes them. */
function entries(dir: string): string {
  return `${dir}/?.lua;${dir}/?/init.lua;`;
}

/** Reads (and with `update`, rewrites) the user environment's package.path. */
function packagePath(api: CApi, L: number, envRef: number, update?: (p: string) => string) {
  const lua = api.lua;
  const top = lua.lua_gettop(L);
  try {
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(envRef));
    if (lua.lua_getfield(L, -1, "package") !== LuaTypeId.table) return;
    if (lua.lua_getfield(L, -1, "path") !== LuaTypeId.string) return;
    const path = api.str(L, -1) ?? "";
    if (!update) return;
    lua.lua_settop(L, -2);
    api.pushString(L, update(path));
    lua.lua_setfield(L, -2, "path");
  } finally {
    lua.lua_settop(L, top);
  }
}

/** Adds `dir` for one execution; returns what removes it again. */
export function enterScriptDir(
  api: CApi,
  L: number,
  envRef: number,
  policy: PathPolicy,
  dir: string,
): () => void {
  const added = entries(dir);
  packagePath(api, L, envRef, (p) => added + p);
  policy.setScriptRoot(dir);
  return () => {
    policy.setScriptRoot(undefined);
    // Only the entries added: a change the script made to the rest of the path stays.
    packagePath(api, L, envRef, (p) => p.startsWith(added) ? p.slice(added.length) : p);
  };
}
