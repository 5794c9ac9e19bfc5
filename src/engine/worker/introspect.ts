/**
 * Worker side of completion, inspection and is-complete: runs the Lua of
 * lua/introspect.ts (loaded on the first question) and returns plain answers.
 */
import { type CApi } from "../vm/capi.ts";
import { LUA_REGISTRYINDEX, LuaStatus } from "../vm/lua_h.ts";
import { loadChunk } from "./lua/chunks.ts";
import type { EngineQuery, QueryAnswer } from "../shared/protocol.ts";

const REG = LUA_REGISTRYINDEX;

export class Introspector {
  readonly #api: CApi;
  readonly #L: number;
  readonly #envRef: number;
  readonly #formatRef: number;
  readonly #jsonRef: number;
  #ref = 0;

  constructor(api: CApi, L: number, refs: { env: number; format: number; json: number }) {
    this.#api = api;
    this.#L = L;
    this.#envRef = refs.env;
    this.#formatRef = refs.format;
    this.#jsonRef = refs.json;
  }

  #load(): void {
    if (this.#ref !== 0) return;
    const api = this.#api;
    const lua = api.lua;
    const L = this.#L;
    if (loadChunk(api, L, "introspect") !== LuaStatus.ok) {
      throw new Error(`introspection failed to load: ${api.str(L, -1)}`);
    }
    lua.lua_rawgeti(L, REG, BigInt(this.#envRef));
    lua.lua_rawgeti(L, REG, BigInt(this.#formatRef));
    lua.lua_rawgeti(L, REG, BigInt(this.#jsonRef));
    if (lua.lua_pcallk(L, 3, 1, 0, 0, null) !== LuaStatus.ok) {
      const msg = api.str(L, -1);
      lua.lua_settop(L, -2);
      throw new Error(`introspection failed to load: ${msg}`);
    }
    this.#ref = lua.luaL_ref(L, REG);
  }

  /** Calls introspect[name](...args) and returns its string result. */
  #call(name: string, args: (string | string[])[]): string {
    const api = this.#api;
    const lua = api.lua;
    const L = this.#L;
    const top = lua.lua_gettop(L);
    try {
      lua.lua_rawgeti(L, REG, BigInt(this.#ref));
      lua.lua_getfield(L, -1, name);
      for (const a of args) {
        if (typeof a === "string") api.pushString(L, a);
        else {
          lua.lua_createtable(L, a.length, 0);
          a.forEach((s, i) => {
            api.pushString(L, s);
            lua.lua_rawseti(L, -2, BigInt(i + 1));
          });
        }
      }
      if (lua.lua_pcallk(L, args.length, 1, 0, 0, null) !== LuaStatus.ok) {
        throw new Error(api.str(L, -1) ?? "introspection failed");
      }
      return api.str(L, -1) ?? "";
    } finally {
      lua.lua_settop(L, top);
    }
  }

  answer(q: Exclude<EngineQuery, { kind: "modules" }>): QueryAnswer {
    try {
      this.#load();
      switch (q.kind) {
        case "complete": {
          // The Lua JSON encoder writes an empty table as {}.
          const m = JSON.parse(this.#call("complete", [q.path, q.sep, q.prefix]));
          return { kind: "complete", matches: Array.isArray(m) ? m : [] };
        }
        case "inspect": {
          const r = JSON.parse(this.#call("inspect", [q.path]));
          if (r.found && r.fields !== undefined && !Array.isArray(r.fields)) r.fields = [];
          return { kind: "inspect", ...r };
        }
        case "is_complete":
          return {
            kind: "is_complete",
            status: this.#call("is_complete", [q.code]) as "complete" | "incomplete" | "invalid",
          };
      }
    } catch (e) {
      return { kind: "error", message: e instanceof Error ? e.message : String(e) };
    }
  }
}
