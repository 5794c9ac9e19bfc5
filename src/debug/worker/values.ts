/**
 * Lua values as DAP variables: a one-line display, a variablesReference for anything that
 * expands (valid while stopped: the values are pinned in a registry table until the program
 * resumes), and the children of a scope or a value, paged.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { LUA_REGISTRYINDEX, LuaStatus, LuaTypeId } from "../../engine/vm/lua_h.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import { ECHO_GUARD } from "../../engine/shared/protocol.ts";
import type { Frame } from "./frames.ts";
import type { DebuggerParts } from "./parts.ts";

const REG = LUA_REGISTRYINDEX;
const { AR_WHAT, AR_SOURCE, AR_LINEDEFINED } = Lua;

/** What a variablesReference stands for. */
export type Reference =
  | { kind: "locals"; frame: Frame }
  | { kind: "upvalues"; frame: Frame }
  | { kind: "globals"; frame: Frame; userOnly?: boolean }
  | { kind: "value"; slot: number };

export class Values {
  readonly #d: DebuggerParts;
  readonly #references = new Map<number, Reference>();
  #nextReference = 1;
  /** A registry ref to the table that keeps referenced values alive while stopped. */
  #pinnedRef = 0;
  #pinnedCount = 0;
  /** Names present before any user code ran: the Globals scope lists the others first. */
  readonly builtins = new Set<string>();

  constructor(parts: DebuggerParts) {
    this.#d = parts;
  }

  /** Makes the table of pinned values (at set-up, on the main state). */
  setUp(L: number): void {
    const lua = this.#d.ctx.api.lua;
    lua.lua_createtable(L, 0, 0);
    this.#pinnedRef = lua.luaL_ref(L, REG);
  }

  /** A new variablesReference for `r`. */
  reference(r: Reference): number {
    const id = this.#nextReference++;
    this.#references.set(id, r);
    return id;
  }

  lookup(id: number): Reference | undefined {
    return this.#references.get(id);
  }

  /** Forgets every reference and unpins their values (the program resumes). */
  releaseAll(L: number): void {
    this.#references.clear();
    if (this.#pinnedCount === 0) return;
    this.#pinnedCount = 0;
    const lua = this.#d.ctx.api.lua;
    lua.lua_createtable(L, 0, 0);
    lua.lua_rawseti(L, REG, BigInt(this.#pinnedRef));
  }

  /** Keeps the value at the top alive for a variablesReference; pops it. */
  #pinValue(L: number): number {
    const lua = this.#d.ctx.api.lua;
    lua.lua_rawgeti(L, REG, BigInt(this.#pinnedRef));
    lua.lua_rotate(L, -2, 1);
    const slot = ++this.#pinnedCount;
    lua.lua_rawseti(L, -2, BigInt(slot));
    lua.lua_settop(L, -2);
    return this.reference({ kind: "value", slot });
  }

  /** Pushes the value a `value` reference pinned. */
  pushPinned(L: number, slot: number): void {
    const lua = this.#d.ctx.api.lua;
    lua.lua_rawgeti(L, REG, BigInt(this.#pinnedRef));
    lua.lua_rawgeti(L, -1, BigInt(slot));
  }

  /** tostring() of the value at idx, through __tostring, never failing. */
  tostring(L: number, idx: number): string {
    const ctx = this.#d.ctx;
    const lua = ctx.api.lua;
    const abs = idx < 0 ? lua.lua_gettop(L) + idx + 1 : idx;
    lua.lua_rawgeti(L, REG, BigInt(ctx.host.formatRef));
    lua.lua_pushvalue(L, abs);
    lua.lua_pushboolean(L, 0);
    const st = lua.lua_pcallk(L, 2, 1, 0, 0, null);
    const s = st === LuaStatus.ok ? ctx.api.str(L, -1) ?? "" : "<error>";
    lua.lua_settop(L, -2);
    return s;
  }

  /** A short one-line display of the value at idx. */
  short(L: number, idx: number, depth = 0): string {
    const { ctx, sources } = this.#d;
    const api = ctx.api;
    const lua = api.lua;
    const m = ctx.wasm;
    const abs = idx < 0 ? lua.lua_gettop(L) + idx + 1 : idx;
    const t = lua.lua_type(L, abs);
    switch (t) {
      case LuaTypeId.nil:
        return "nil";
      case LuaTypeId.boolean:
        return lua.lua_toboolean(L, abs) ? "true" : "false";
      case LuaTypeId.number: {
        lua.lua_pushvalue(L, abs);
        const s = api.str(L, -1) ?? "";
        lua.lua_settop(L, -2);
        return s;
      }
      case LuaTypeId.string: {
        let s = api.str(L, abs) ?? "";
        const long = s.length > 200;
        if (long) s = s.slice(0, 200);
        return JSON.stringify(s).slice(0, long ? -1 : undefined) + (long ? '…"' : "");
      }
      case LuaTypeId.function: {
        lua.lua_pushvalue(L, abs);
        const ar = ctx.scratchAr;
        m._lua_getinfo(L, ctx.cString(">S"), ar);
        const what = ctx.readCString(m.HEAP32[(ar + AR_WHAT) >> 2]);
        if (what === "C") return "function: builtin";
        const src = ctx.readCString(m.HEAP32[(ar + AR_SOURCE) >> 2]);
        const where = src.startsWith("@") ? sources.keyOf(src) : sources.shortSource(src);
        return `function: ${where}:${m.HEAP32[(ar + AR_LINEDEFINED) >> 2]}`;
      }
      case LuaTypeId.table: {
        if (depth > 0) return "{…}";
        const mt = lua.lua_getmetatable(L, abs);
        if (mt) {
          lua.lua_getfield(L, -1, "__tostring");
          const has = lua.lua_type(L, -1) !== LuaTypeId.nil;
          lua.lua_settop(L, -3);
          if (has) return this.tostring(L, abs);
        }
        const len = Number(lua.lua_rawlen(L, abs));
        const items: string[] = [];
        for (let i = 1; i <= Math.min(len, 5); i++) {
          lua.lua_rawgeti(L, abs, BigInt(i));
          items.push(this.short(L, -1, 1));
          lua.lua_settop(L, -2);
        }
        let more = len > 5;
        lua.lua_pushnil(L);
        let named = 0;
        while (lua.lua_next(L, abs) !== 0) {
          if (!this.#isArrayKey(L, -2, len)) {
            named++;
            if (items.length < 5) items.push(`${this.#keyName(L, -2)}=${this.short(L, -1, 1)}`);
            else more = true;
          }
          lua.lua_settop(L, -2);
        }
        const size = len > 0 ? ` (#${len}${named ? `, ${named} fields` : ""})` : "";
        return `{${items.join(", ")}${more ? ", …" : ""}}${len > 5 ? size : ""}`;
      }
      default: {
        const p = lua.lua_topointer(L, abs);
        return `${lua.lua_typename(L, t)}: 0x${p.toString(16).padStart(8, "0")}`;
      }
    }
  }

  #isArrayKey(L: number, idx: number, len: number): boolean {
    const lua = this.#d.ctx.api.lua;
    if (lua.lua_type(L, idx) !== LuaTypeId.number || !lua.lua_isinteger(L, idx)) return false;
    const k = Number(lua.lua_tointegerx(L, idx, null));
    return k >= 1 && k <= len;
  }

  #keyName(L: number, idx: number): string {
    const api = this.#d.ctx.api;
    const t = api.lua.lua_type(L, idx);
    if (t === LuaTypeId.string) {
      const s = api.str(L, idx) ?? "";
      return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `[${JSON.stringify(s)}]`;
    }
    return `[${this.short(L, idx, 1)}]`;
  }

  /** A DAP Variable for the value at the top of the stack; pops it. */
  variable(L: number, name: string, evaluateName?: string): DP.Variable {
    const lua = this.#d.ctx.api.lua;
    const t = lua.lua_type(L, -1);
    const value = this.short(L, -1);
    const v: DP.Variable = {
      name,
      value,
      type: lua.lua_typename(L, t),
      variablesReference: 0,
      evaluateName,
    };
    if (t === LuaTypeId.table || t === LuaTypeId.userdata || t === LuaTypeId.function) {
      const mt = lua.lua_getmetatable(L, -1);
      if (mt) lua.lua_settop(L, -2);
      let expandable = mt !== 0 || t === LuaTypeId.function;
      if (t === LuaTypeId.table) {
        const len = Number(lua.lua_rawlen(L, -1));
        let named = 0;
        lua.lua_pushnil(L);
        while (lua.lua_next(L, -2) !== 0) {
          if (!this.#isArrayKey(L, -2, len)) named++;
          lua.lua_settop(L, -2);
        }
        if (len > 0) v.indexedVariables = len;
        v.namedVariables = named + (mt ? 1 : 0);
        expandable = len + named > 0 || mt !== 0;
      }
      if (expandable) {
        v.variablesReference = this.#pinValue(L);
        return v;
      }
    }
    lua.lua_settop(L, -2);
    return v;
  }

  /** The `variables` request: the children of a scope or a value. */
  variables(L: number, args: DP.VariablesArguments): DP.Variable[] {
    const h = this.#references.get(args.variablesReference);
    if (!h) throw new Error("unknown variablesReference (values are valid while stopped)");
    const lua = this.#d.ctx.api.lua;
    const top = lua.lua_gettop(L);
    try {
      if (h.kind === "locals") return this.#locals(L, h.frame);
      if (h.kind === "upvalues") return this.#upvalues(L, h.frame);
      if (h.kind === "globals") return this.#globals(L, h.frame, h.userOnly === true, args);
      return this.#children(L, h.slot, args);
    } finally {
      lua.lua_settop(L, top);
    }
  }

  #locals(L: number, frame: Frame): DP.Variable[] {
    const ctx = this.#d.ctx;
    const m = ctx.wasm;
    const byName = new Map<string, number>();
    ctx.localNames(L, frame.ar).forEach((n, i) => {
      if (!n.startsWith("(") && n !== ECHO_GUARD) {
        byName.delete(n);
        byName.set(n, i + 1);
      }
    });
    return [...byName].map(([n, i]) => {
      m._lua_getlocal(L, frame.ar, i);
      return this.variable(L, n, n);
    });
  }

  #upvalues(L: number, frame: Frame): DP.Variable[] {
    const ctx = this.#d.ctx;
    const m = ctx.wasm;
    const lua = ctx.api.lua;
    ctx.pushFunction(L, frame.ar);
    const fn = lua.lua_gettop(L);
    const out: DP.Variable[] = [];
    for (let i = 1;; i++) {
      const p = m._lua_getupvalue(L, fn, i);
      if (p === 0) break;
      const n = ctx.readCString(p);
      if (n === "_ENV") lua.lua_settop(L, -2);
      else out.push(this.variable(L, n, n));
    }
    return out;
  }

  #globals(L: number, frame: Frame, userOnly: boolean, args: DP.VariablesArguments): DP.Variable[] {
    const { ctx, env } = this.#d;
    const lua = ctx.api.lua;
    env.pushEnvOf(L, frame.isC ? 0 : frame.ar);
    const envIdx = lua.lua_gettop(L);
    const user: [string, number][] = [];
    const builtin: [string, number][] = [];
    lua.lua_pushnil(L);
    const keys: string[] = [];
    while (lua.lua_next(L, envIdx) !== 0) {
      lua.lua_settop(L, -2);
      if (lua.lua_type(L, -1) === LuaTypeId.string) keys.push(ctx.api.str(L, -1) ?? "");
    }
    keys.sort();
    for (const k of keys) (this.builtins.has(k) ? builtin : user).push([k, 0]);
    const page = this.#page(userOnly ? user : [...user, ...builtin], args);
    return page.map(([k]) => {
      ctx.api.pushString(L, k);
      lua.lua_rawget(L, envIdx);
      return this.variable(L, k, k);
    });
  }

  /** A value's children: a function's source and upvalues, a table's entries, a metatable. */
  #children(L: number, slot: number, args: DP.VariablesArguments): DP.Variable[] {
    const ctx = this.#d.ctx;
    const m = ctx.wasm;
    const lua = ctx.api.lua;
    this.pushPinned(L, slot);
    const obj = lua.lua_gettop(L);
    const t = lua.lua_type(L, obj);
    const out: DP.Variable[] = [];
    if (t === LuaTypeId.function) {
      const ar = ctx.scratchAr;
      lua.lua_pushvalue(L, obj);
      m._lua_getinfo(L, ctx.cString(">S"), ar);
      const src = ctx.readCString(m.HEAP32[(ar + AR_SOURCE) >> 2]);
      const what = ctx.readCString(m.HEAP32[(ar + AR_WHAT) >> 2]);
      ctx.api.pushString(
        L,
        what === "C"
          ? "[C]"
          : `${this.#d.sources.keyOf(src)}:${m.HEAP32[(ar + AR_LINEDEFINED) >> 2]}`,
      );
      out.push(this.variable(L, "[source]"));
      for (let i = 1;; i++) {
        const p = m._lua_getupvalue(L, obj, i);
        if (p === 0) break;
        out.push(this.variable(L, `[upvalue ${ctx.readCString(p) || i}]`));
      }
      return out;
    }
    const filter = args.filter;
    if (t !== LuaTypeId.table) {
      if (lua.lua_getmetatable(L, obj)) out.push(this.variable(L, "[metatable]"));
      return out;
    }
    const len = Number(lua.lua_rawlen(L, obj));
    if (filter === "indexed") {
      const start = args.start ?? 0;
      const end = Math.min(len, start + (args.count || len));
      for (let i = start + 1; i <= end; i++) {
        lua.lua_rawgeti(L, obj, BigInt(i));
        out.push(this.variable(L, `[${i}]`));
      }
      return out;
    }
    const named: { name: string; sort: string }[] = [];
    const hasMt = lua.lua_getmetatable(L, obj) !== 0;
    if (hasMt) lua.lua_settop(L, -2);
    // Collect the named keys (sorted by display), then fetch values for the page.
    lua.lua_createtable(L, 0, 0);
    const keysT = lua.lua_gettop(L);
    let nk = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, obj) !== 0) {
      lua.lua_settop(L, -2);
      if (!this.#isArrayKey(L, -1, len)) {
        const name = this.#keyName(L, -1);
        lua.lua_pushvalue(L, -1);
        lua.lua_rawseti(L, keysT, BigInt(++nk));
        named.push({ name, sort: String(nk) });
      }
    }
    const order = named.map((n, i) => ({ ...n, i: i + 1 }))
      .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    type Entry = { kind: "mt" } | { kind: "named"; i: number; name: string } | {
      kind: "index";
      i: number;
    };
    const total = (hasMt ? 1 : 0) + order.length + (filter === "named" ? 0 : len);
    const start = args.start ?? 0;
    const end = Math.min(total, start + (args.count || total));
    const entries: Entry[] = [];
    for (let j = start; j < end; j++) {
      let k = j;
      if (hasMt) {
        if (k === 0) {
          entries.push({ kind: "mt" });
          continue;
        }
        k--;
      }
      if (k < order.length) entries.push({ kind: "named", i: order[k].i, name: order[k].name });
      else entries.push({ kind: "index", i: k - order.length + 1 });
    }
    for (const e of entries) {
      if (e.kind === "mt") {
        lua.lua_getmetatable(L, obj);
        out.push(this.variable(L, "[metatable]"));
      } else if (e.kind === "named") {
        lua.lua_rawgeti(L, keysT, BigInt(e.i));
        lua.lua_rawget(L, obj);
        out.push(this.variable(L, e.name));
      } else {
        lua.lua_rawgeti(L, obj, BigInt(e.i));
        out.push(this.variable(L, `[${e.i}]`));
      }
    }
    return out;
  }

  #page<T>(items: T[], args: DP.VariablesArguments): T[] {
    const start = args.start ?? 0;
    return items.slice(start, args.count ? start + args.count : undefined);
  }
}
