/**
 * The call stack of a stopped thread: its frames (the engine's own hidden), named as the
 * call named them or by the global that holds the function, and the `stackTrace` and
 * `scopes` requests over them.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { LUA_REGISTRYINDEX, LuaTypeId } from "../../engine/vm/lua_h.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import { INTERNAL_PREFIX } from "./context.ts";
import type { DebuggerParts } from "./parts.ts";

const REG = LUA_REGISTRYINDEX;
const { AR_SIZE, AR_NAME, AR_NAMEWHAT, AR_WHAT, AR_SOURCE, AR_CURRENTLINE } = Lua;
const { AR_LINEDEFINED, AR_ISTAILCALL } = Lua;

export interface Frame {
  id: number;
  /** Its activation record (malloc'd; freed when the stop ends). */
  ar: number;
  level: number;
  name: string;
  source?: DP.Source;
  line: number;
  isC: boolean;
}

export class Frames {
  readonly #d: DebuggerParts;

  constructor(parts: DebuggerParts) {
    this.#d = parts;
  }

  /** The frames of `L` from level `skip` on. */
  collect(L: number, skip: number): Frame[] {
    const { ctx, sources } = this.#d;
    const m = ctx.wasm;
    const frames: Frame[] = [];
    for (let level = skip;; level++) {
      const ar = m._malloc(AR_SIZE);
      if (m._lua_getstack(L, level, ar) === 0) {
        m._free(ar);
        break;
      }
      m._lua_getinfo(L, ctx.cString("nSlt"), ar);
      const h32 = m.HEAP32;
      const what = ctx.readCString(h32[(ar + AR_WHAT) >> 2]);
      const source = ctx.readCString(h32[(ar + AR_SOURCE) >> 2]);
      // A Lua global's own Lua side (`=[llmspell Agent]`) is shown, so that a Lua tool's
      // caller (the agent's execute) is in the stack, but as library code: like a C frame,
      // no source and no locals. The engine's other chunks are not shown at all.
      const library = /^=\[llmspell ([A-Z]\w*)\]$/.exec(source)?.[1];
      const isC = what === "C" || library !== undefined;
      if (source.startsWith(INTERNAL_PREFIX) && library === undefined) {
        m._free(ar);
        continue;
      }
      let name = ctx.readCString(h32[(ar + AR_NAME) >> 2]);
      const namewhat = ctx.readCString(h32[(ar + AR_NAMEWHAT) >> 2]);
      if (what === "main") name = "main chunk";
      else if (!name) {
        // No name from the call (a tail call): a global holding the function names it.
        name = isC ? "?" : this.#globalName(L, ar) ??
          `function <${sources.shortSource(source)}:${h32[(ar + AR_LINEDEFINED) >> 2]}>`;
      } else if (namewhat === "method" || namewhat === "field" || namewhat === "global") {
        name = this.#qualify(L, ar, name, namewhat === "method");
      }
      if (m.HEAPU8[ar + AR_ISTAILCALL]) name += " (tail call)";
      frames.push({
        id: frames.length + 1,
        ar,
        level,
        name: library !== undefined ? `[${library}] ${name}` : isC ? `[C] ${name}` : name,
        source: isC ? undefined : sources.dapSource(source),
        line: isC ? 0 : h32[(ar + AR_CURRENTLINE) >> 2],
        isC,
      });
    }
    // The chunk runs inside the engine's xpcall: not the user's frame.
    const last = frames[frames.length - 1];
    if (last && last.isC && last.name === "[C] ?" && frames.length > 1) {
      m._free(last.ar);
      frames.pop();
    }
    return frames;
  }

  /** Frees the frames' activation records. */
  free(frames: Frame[]): void {
    for (const f of frames) this.#d.ctx.wasm._free(f.ar);
  }

  /** The name of a global whose value is the frame's function (500 globals at most). */
  #globalName(L: number, ar: number): string | undefined {
    const ctx = this.#d.ctx;
    const lua = ctx.api.lua;
    const top = lua.lua_gettop(L);
    try {
      ctx.pushFunction(L, ar);
      const fn = lua.lua_gettop(L);
      lua.lua_rawgeti(L, REG, BigInt(ctx.host.envRef));
      const env = lua.lua_gettop(L);
      lua.lua_pushnil(L);
      let scanned = 0;
      while (lua.lua_next(L, env) !== 0 && scanned++ < 500) {
        if (lua.lua_type(L, -2) === LuaTypeId.string && lua.lua_rawequal(L, -1, fn)) {
          return ctx.api.str(L, -2);
        }
        lua.lua_settop(L, -2);
      }
      return undefined;
    } finally {
      lua.lua_settop(L, top);
    }
  }

  /** `Table.fn` / `Table:fn` when the function is a field of a global table. */
  #qualify(L: number, ar: number, name: string, method: boolean): string {
    const ctx = this.#d.ctx;
    const api = ctx.api;
    const lua = api.lua;
    const top = lua.lua_gettop(L);
    try {
      ctx.pushFunction(L, ar);
      const fn = lua.lua_gettop(L);
      lua.lua_rawgeti(L, REG, BigInt(ctx.host.envRef));
      const env = lua.lua_gettop(L);
      api.pushString(L, name);
      lua.lua_rawget(L, env);
      if (lua.lua_rawequal(L, -1, fn)) return name;
      lua.lua_settop(L, env);
      lua.lua_pushnil(L);
      let scanned = 0;
      while (lua.lua_next(L, env) !== 0 && scanned++ < 500) {
        if (lua.lua_type(L, -1) === LuaTypeId.table && lua.lua_type(L, -2) === LuaTypeId.string) {
          api.pushString(L, name);
          lua.lua_rawget(L, -2);
          if (lua.lua_rawequal(L, -1, fn)) {
            const t = api.str(L, -3) ?? "?";
            return `${t}${method ? ":" : "."}${name}`;
          }
          lua.lua_settop(L, -2);
        }
        lua.lua_settop(L, -2);
      }
      return name;
    } finally {
      lua.lua_settop(L, top);
    }
  }

  /** The `stackTrace` request's body. */
  stackTrace(frames: Frame[], args: DP.StackTraceArguments): DP.StackTraceResponse["body"] {
    const start = args.startFrame ?? 0;
    const count = args.levels || frames.length;
    const stackFrames = frames.slice(start, start + count).map((f) => ({
      id: f.id,
      name: f.name,
      source: f.source,
      line: f.line,
      // Lua knows no column: the line's start (DAP: 0 when there is no source).
      column: f.source ? 1 : 0,
      presentationHint: f.isC ? "subtle" : "normal",
    } as DP.StackFrame));
    return { stackFrames, totalFrames: frames.length };
  }

  /** The `scopes` request's body for frame `f`. */
  scopes(f: Frame): DP.ScopesResponse["body"] {
    const values = this.#d.values;
    const scopes: DP.Scope[] = [];
    if (!f.isC) {
      scopes.push({
        name: "Locals",
        presentationHint: "locals",
        variablesReference: values.reference({ kind: "locals", frame: f }),
        expensive: false,
      });
      scopes.push({
        name: "Upvalues",
        variablesReference: values.reference({ kind: "upvalues", frame: f }),
        expensive: false,
      });
    }
    scopes.push({
      name: "Globals",
      variablesReference: values.reference({ kind: "globals", frame: f }),
      expensive: true,
    });
    return { scopes };
  }
}
