/**
 * A breakpoint reached: its condition (compiled once per code position, the simple ones
 * evaluated in the hook filter from then on), its hit count, its log message, then the stop.
 * A function breakpoint is checked at each call of a function of its name.
 */
import { LUA_REGISTRYINDEX, LuaStatus, LuaTypeId } from "../../engine/vm/lua_h.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import { compileFastCondition } from "./fast_condition.ts";
import type { LineBreakpoint } from "./breakpoints.ts";
import type { DebuggerParts } from "./parts.ts";

const REG = LUA_REGISTRYINDEX;
const { AR_NAME } = Lua;

const encoder = new TextEncoder();

export class BreakpointHits {
  readonly #d: DebuggerParts;

  constructor(parts: DebuggerParts) {
    this.#d = parts;
  }

  /** Line breakpoint `bp` is reached in the frame of `ar` (running in `ci`). */
  lineReached(L: number, ar: number, ci: number, bp: LineBreakpoint): void {
    const { ctx, stops, sources } = this.#d;
    if (bp.error) {
      if (bp.reported) return;
      bp.reported = true;
      ctx.output(`breakpoint ${bp.id}: ${bp.error}\n`, "console");
      stops.stop(L, 0, "breakpoint", [bp.id], bp.error);
      return;
    }
    if (bp.condition !== undefined) {
      const r = this.#runCompiled(L, ar, ci, bp, [bp.condition]);
      if (typeof r === "string") {
        if (bp.reported) return;
        bp.reported = true;
        const msg = `breakpoint ${bp.id}: condition error: ${r}`;
        ctx.output(msg + "\n", "console");
        stops.stop(L, 0, "breakpoint", [bp.id], msg);
        return;
      }
      if (!r[0]) return;
    }
    bp.hits++;
    if (bp.hit && !bp.hit(bp.hits)) return;
    if (bp.log) {
      const r = this.#runCompiled(L, ar, ci, bp, bp.log.exprs, true);
      let text: string;
      if (typeof r === "string") text = `<log message error: ${r}>`;
      else {
        text = bp.log.text[0];
        for (let i = 0; i < bp.log.exprs.length; i++) text += r[i] + bp.log.text[i + 1];
      }
      if (ctx.logEvents) {
        const src = sources.sourceAt(L, ar);
        ctx.post({
          type: "event",
          event: "output",
          body: { category: "console", output: text + "\n", source: src, line: bp.line },
        });
      } else ctx.host.out.write(1, encoder.encode(text + "\n"));
      return;
    }
    stops.stop(L, 0, "breakpoint", [bp.id]);
  }

  /**
   * Runs a breakpoint's condition or log expressions in the frame of `ar`: compiled once
   * per code position as a function whose parameters are the frame's locals (fast, no
   * lookups), with upvalues and globals through the frame environment proxy.
   * Returns the results (truthiness for a condition, strings for a log) or an error.
   */
  #runCompiled(
    L: number,
    ar: number,
    ci: number,
    bp: LineBreakpoint,
    exprs: string[],
    asText = false,
  ): (boolean | string)[] | string {
    const { ctx, env, values, filter } = this.#d;
    const m = ctx.wasm;
    const api = ctx.api;
    const lua = api.lua;
    const pc = m.HEAP32[(ci + Lua.CI_SAVEDPC) >> 2];
    let entry = bp.compiled.get(pc);
    if (entry?.fast) {
      // Registers start after the function's own slot.
      const r = entry.fast(m, m.HEAP32[(ci + Lua.CI_FUNC) >> 2] + Lua.TV_SIZE);
      if (r !== undefined) return [r];
    }
    const top = lua.lua_gettop(L);
    if (entry === undefined) {
      // Lua's own locals ("(for state)") take a parameter each, under a name Lua accepts.
      const names = ctx.localNames(L, ar).map((n, i) =>
        n.startsWith("(") ? `__llmspell_tmp${i + 1}` : n
      );
      const body = asText ? exprs.map((e) => `(${e})`).join(", ") : `(${exprs[0]})`;
      const code = `return function(${names.join(", ")}) return ${body} end`;
      if (api.load(L, code, "=[llmspell condition]") !== LuaStatus.ok) {
        const e = api.str(L, -1) ?? "error";
        lua.lua_settop(L, top);
        return e;
      }
      env.pushFrameEnv(L, ar);
      lua.lua_setupvalue(L, -2, 1);
      if (lua.lua_pcallk(L, 0, 1, 0, 0, null) !== LuaStatus.ok) {
        const e = api.str(L, -1) ?? "error";
        lua.lua_settop(L, top);
        return e;
      }
      const fast = asText ? undefined : compileFastCondition(exprs[0], names);
      entry = { ref: lua.luaL_ref(L, REG), n: names.length, fast };
      bp.compiled.set(pc, entry);
      // The filter skips this position's false passes in wasm from now on.
      if (fast) filter.setCondition(pc, fast.spec);
    }
    lua.lua_rawgeti(L, REG, BigInt(entry.ref));
    // The proxy environment reads this frame.
    env.useFrame(L, ar);
    const n = entry.n;
    for (let i = 1; i <= n; i++) m._lua_getlocal(L, ar, i);
    const nres = asText ? exprs.length : 1;
    if (m._lua_pcallk(L, n, nres, 0, 0, 0) !== LuaStatus.ok) {
      const e = api.str(L, -1) ?? "error";
      lua.lua_settop(L, top);
      return e;
    }
    const out: (boolean | string)[] = [];
    for (let i = nres; i >= 1; i--) {
      out.push(asText ? values.tostring(L, -i) : m._lua_toboolean(L, -i) !== 0);
    }
    lua.lua_settop(L, top);
    return out;
  }

  /** A call (hook event at `ar`, frame `ci`): stops if a function breakpoint names it. */
  checkCall(L: number, ar: number, ci: number): void {
    const { ctx, stops, evaluator, modes, breakpoints } = this.#d;
    if (stops.stopped) return;
    const m = ctx.wasm;
    m._lua_getinfo(L, ctx.cString("n"), ar);
    const namePtr = m.HEAP32[(ar + AR_NAME) >> 2];
    // A tail call (`return f(x)` in a script) has no name: compare the called
    // function with what each breakpoint's name holds in the globals.
    const name = namePtr === 0 ? undefined : ctx.readCString(namePtr);
    for (const bp of breakpoints.functions) {
      if (name === undefined) {
        if (!this.#resolvesTo(L, ar, bp.path)) continue;
      } else {
        if (bp.last !== name) continue;
        if (bp.path.length > 1 && !this.#resolvesTo(L, ar, bp.path)) continue;
      }
      if (bp.condition !== undefined) {
        // Evaluated at the function's entry: its parameters are its first locals.
        const r = evaluator.evaluateIn(L, ar, bp.condition, false);
        if (typeof r === "string" || !r.truthy) continue;
      }
      bp.hits++;
      if (bp.hit && !bp.hit(bp.hits)) continue;
      if (ctx.proto(ci) === 0) {
        stops.stop(L, 0, "function breakpoint", [bp.id]);
      } else {
        modes.setPendingFunction({ L, ci, id: bp.id });
      }
      return;
    }
  }

  /** True when the path `a.b.c` (from the frame's globals) is the function being called. */
  #resolvesTo(L: number, ar: number, parts: string[]): boolean {
    const ctx = this.#d.ctx;
    const lua = ctx.api.lua;
    const top = lua.lua_gettop(L);
    try {
      lua.lua_rawgeti(L, REG, BigInt(ctx.host.envRef));
      for (const p of parts) {
        if (lua.lua_type(L, -1) !== LuaTypeId.table) return false;
        ctx.api.pushString(L, p);
        lua.lua_rawget(L, -2);
      }
      ctx.pushFunction(L, ar);
      return lua.lua_rawequal(L, -1, -2) !== 0;
    } finally {
      lua.lua_settop(L, top);
    }
  }
}
