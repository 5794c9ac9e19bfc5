/**
 * Evaluation in a stopped frame (or in the user's globals): `evaluate`, `setVariable`,
 * Jupyter's `richInspectVariables`, and function breakpoints' conditions. An expression returns its values; anything else
 * runs as statements, whose assignments to the frame's locals and upvalues write them
 * (frame_env.ts).
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { LUA_REGISTRYINDEX, LuaStatus, LuaTypeId } from "../../engine/vm/lua_h.ts";
import { mimeData } from "../../engine/worker/kernel_api.ts";
import type { Frame } from "./frames.ts";
import type { DebuggerParts } from "./parts.ts";

const REG = LUA_REGISTRYINDEX;

export class Evaluator {
  readonly #d: DebuggerParts;

  constructor(parts: DebuggerParts) {
    this.#d = parts;
  }

  /**
   * Evaluates `code` in the frame at `ar` (0: the user's globals). An expression returns
   * its values; otherwise the code runs as statements, and assignments to the frame's
   * locals and upvalues write them. Leaves the values on the stack when `keep`.
   */
  evaluateIn(
    L: number,
    ar: number,
    code: string,
    keep: boolean,
  ): { truthy: boolean; n: number; base: number } | string {
    const { ctx, env, values } = this.#d;
    const api = ctx.api;
    const lua = api.lua;
    const top = lua.lua_gettop(L);
    let st = api.load(L, `return ${code}`, "=eval");
    if (st !== LuaStatus.ok) {
      lua.lua_settop(L, top);
      st = api.load(L, code, "=eval");
      if (st !== LuaStatus.ok) {
        const e = api.str(L, -1) ?? "syntax error";
        lua.lua_settop(L, top);
        return e;
      }
    }
    if (ar !== 0) env.pushFrameEnv(L, ar);
    else lua.lua_rawgeti(L, REG, BigInt(ctx.host.envRef));
    lua.lua_setupvalue(L, -2, 1);
    const wasIn = ctx.inHook;
    ctx.inHook = true;
    const rc = lua.lua_pcallk(L, 0, -1, 0, 0, null);
    ctx.inHook = wasIn;
    if (rc !== LuaStatus.ok) {
      const e = values.tostring(L, -1);
      lua.lua_settop(L, top);
      return e;
    }
    const n = lua.lua_gettop(L) - top;
    const truthy = n > 0 && lua.lua_toboolean(L, top + 1) !== 0;
    if (!keep) lua.lua_settop(L, top);
    return { truthy, n, base: top };
  }

  /** The `evaluate` request, in `frame` (none: the user's globals). */
  evaluate(
    L: number,
    args: DP.EvaluateArguments,
    frame: Frame | undefined,
  ): DP.EvaluateResponse["body"] {
    const values = this.#d.values;
    const lua = this.#d.ctx.api.lua;
    const top = lua.lua_gettop(L);
    try {
      const r = this.evaluateIn(L, frame && !frame.isC ? frame.ar : 0, args.expression, true);
      if (typeof r === "string") throw new Error(r);
      if (r.n === 0) return { result: "", variablesReference: 0 };
      if (r.n === 1) {
        const pretty = args.context === "repl" ? this.#formatted(L, -1) : undefined;
        const v = values.variable(L, "result");
        return {
          result: pretty ?? v.value,
          type: v.type,
          variablesReference: v.variablesReference,
          indexedVariables: v.indexedVariables,
          namedVariables: v.namedVariables,
        };
      }
      const parts: string[] = [];
      for (let i = r.base + 1; i <= r.base + r.n; i++) parts.push(values.short(L, i));
      return { result: parts.join(", "), variablesReference: 0 };
    } finally {
      lua.lua_settop(L, top);
    }
  }

  /**
   * Jupyter's richInspectVariables: the variable's value (in `frame`, else the user's globals)
   * as the mime bundle display() would show for it, made by the same Lua function.
   */
  richInspect(
    L: number,
    args: { variableName?: unknown },
    frame: Frame | undefined,
  ): { data: Record<string, unknown>; metadata: Record<string, unknown> } {
    const name = String(args.variableName ?? "");
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`richInspectVariables: '${name}' is not a Lua name`);
    }
    const { ctx, values } = this.#d;
    const lua = ctx.api.lua;
    const top = lua.lua_gettop(L);
    try {
      const r = this.evaluateIn(L, frame && !frame.isC ? frame.ar : 0, name, true);
      if (typeof r === "string") throw new Error(r);
      const value = r.base + 1;
      lua.lua_settop(L, value);
      lua.lua_rawgeti(L, REG, BigInt(ctx.host.displayRef));
      lua.lua_pushvalue(L, value);
      const wasIn = ctx.inHook;
      ctx.inHook = true;
      const rc = lua.lua_pcallk(L, 1, -1, 0, 0, null);
      ctx.inHook = wasIn;
      if (rc !== LuaStatus.ok) throw new Error(values.tostring(L, -1));
      return { data: mimeData(ctx.api, L, value + 1, lua.lua_gettop(L)), metadata: {} };
    } finally {
      lua.lua_settop(L, top);
    }
  }

  /** The value through the engine's formatter (as `exec` prints it), for small values. */
  #formatted(L: number, idx: number): string | undefined {
    const lua = this.#d.ctx.api.lua;
    if (lua.lua_type(L, idx) === LuaTypeId.table && Number(lua.lua_rawlen(L, idx)) > 1000) {
      return undefined;
    }
    return this.#d.values.tostring(L, idx);
  }

  /** The `setVariable` request, while stopped with `frames`. */
  setVariable(
    L: number,
    args: DP.SetVariableArguments,
    frames: Frame[],
  ): DP.SetVariableResponse["body"] {
    const { ctx, env, values } = this.#d;
    const h = values.lookup(args.variablesReference);
    if (!h) throw new Error("unknown variablesReference");
    const frame = h.kind === "value" ? frames.find((f) => !f.isC) : h.frame;
    const api = ctx.api;
    const lua = api.lua;
    const top = lua.lua_gettop(L);
    try {
      const r = this.evaluateIn(L, frame && !frame.isC ? frame.ar : 0, args.value, true);
      if (typeof r === "string") throw new Error(r);
      if (r.n === 0) lua.lua_pushnil(L);
      else lua.lua_settop(L, r.base + 1);
      const val = lua.lua_gettop(L);
      const name = args.name;
      if (h.kind === "locals" || h.kind === "upvalues") {
        env.useFrame(L, h.frame.ar);
        const slot = env.findName(name);
        const kind = h.kind === "locals" ? "local" : "upvalue";
        if (!slot[kind]) throw new Error(`no ${kind} ${name}`);
        env.setSlot(slot, val);
      } else if (h.kind === "globals") {
        env.pushEnvOf(L, h.frame.isC ? 0 : h.frame.ar);
        api.pushString(L, name);
        lua.lua_pushvalue(L, val);
        lua.lua_settable(L, -3);
      } else {
        values.pushPinned(L, h.slot);
        if (lua.lua_type(L, -1) !== LuaTypeId.table) throw new Error("not a table");
        const key = /^\[(-?\d+)\]$/.exec(name);
        if (key) lua.lua_pushinteger(L, BigInt(key[1]));
        else if (/^\[".*"\]$/.test(name)) api.pushString(L, JSON.parse(name.slice(1, -1)));
        else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) api.pushString(L, name);
        else throw new Error(`cannot set ${name}`);
        lua.lua_pushvalue(L, val);
        lua.lua_settable(L, -3);
      }
      lua.lua_pushvalue(L, val);
      const v = values.variable(L, name);
      return { value: v.value, type: v.type, variablesReference: v.variablesReference };
    } finally {
      lua.lua_settop(L, top);
    }
  }
}
