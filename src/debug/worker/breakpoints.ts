/**
 * The breakpoints as set: line breakpoints per file (moved to the next line with code,
 * verified against the file's code lines), function breakpoints by name, and the exception
 * filters. What happens when one is reached is breakpoint_hits.ts's.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { LUA_REGISTRYINDEX, LuaStatus } from "../../engine/vm/lua_h.ts";
import { nextCodeLine } from "./bytecode.ts";
import type { FastCondition } from "./fast_condition.ts";
import { type HitTest, parseHitCondition, parseLogMessage } from "./hit.ts";
import type { DebuggerParts } from "./parts.ts";

const REG = LUA_REGISTRYINDEX;

export interface LineBreakpoint {
  id: number;
  line: number;
  condition?: string;
  hit?: HitTest;
  log?: { text: string[]; exprs: string[] };
  hits: number;
  /** Compile or run error of the condition/log message, reported once. */
  reported: boolean;
  /**
   * Compiled condition or log message per code position (savedpc): a registry ref to a
   * Lua function of the frame's `n` locals, and for a simple comparison a reader of the
   * registers (fast_condition.ts).
   */
  compiled: Map<number, { ref: number; n: number; fast?: FastCondition }>;
  error?: string;
}

export interface FunctionBreakpoint {
  id: number;
  name: string;
  /** Last component and, for `a.b`/`a:b`, the path to resolve. */
  last: string;
  path: string[];
  condition?: string;
  hit?: HitTest;
  hits: number;
}

export class Breakpoints {
  readonly #d: DebuggerParts;
  #nextId = 1;
  /** Line breakpoints by file key (sources.ts) and line. */
  readonly #lines = new Map<string, Map<number, LineBreakpoint>>();
  #functions: FunctionBreakpoint[] = [];
  breakUncaught = false;
  breakAll = false;
  /** A registry ref to lua.ts's switch of the pcall wrappers (break on all errors). */
  setAllRef = 0;

  constructor(parts: DebuggerParts) {
    this.#d = parts;
  }

  get functions(): readonly FunctionBreakpoint[] {
    return this.#functions;
  }

  get functionCount(): number {
    return this.#functions.length;
  }

  /** Line breakpoints in some file: the line mask is then on (hook_modes.ts threadMask). */
  get hasLineBreakpoints(): boolean {
    for (const m of this.#lines.values()) if (m.size > 0) return true;
    return false;
  }

  /** The line breakpoints of the file with key `key`. */
  linesOf(key: string): Map<number, LineBreakpoint> | undefined {
    return this.#lines.get(key);
  }

  setBreakpoints(L: number, args: DP.SetBreakpointsArguments): DP.SetBreakpointsResponse["body"] {
    const { sources } = this.#d;
    const src = args.source.path ?? args.source.name ?? "";
    const key = args.source.path ? sources.normPath(args.source.path) : src;
    sources.forget(key);
    const lines = args.source.path ? sources.codeLinesOf(key, L) : undefined;
    const old = this.#lines.get(key) ?? new Map<number, LineBreakpoint>();
    const map = new Map<number, LineBreakpoint>();
    const out: DP.Breakpoint[] = [];
    for (const sb of args.breakpoints ?? []) {
      let line = sb.line;
      let message: string | undefined;
      let verified = true;
      if (typeof lines === "string") {
        verified = false;
        message = lines === "file not found"
          ? "file not found now; the breakpoint binds when a chunk with this path loads"
          : lines;
      } else if (lines) {
        const next = nextCodeLine(lines, sb.line);
        if (next === undefined) {
          verified = false;
          message = `no code at or after line ${sb.line}`;
        } else if (next !== sb.line) {
          line = next;
          message = `moved from line ${sb.line} to ${next} (the next line with code)`;
        }
      }
      const prev = old.get(line);
      const same = prev && prev.condition === sb.condition && !sb.hitCondition && !sb.logMessage &&
        !prev.hit && !prev.log;
      const bp: LineBreakpoint = same ? prev : {
        id: prev?.id ?? this.#nextId++,
        line,
        condition: sb.condition?.trim() || undefined,
        hits: 0,
        reported: false,
        compiled: new Map(),
      };
      if (!same) {
        if (sb.hitCondition?.trim()) {
          const h = parseHitCondition(sb.hitCondition);
          if (typeof h === "string") {
            verified = false;
            message = h;
          } else bp.hit = h;
        }
        if (sb.logMessage) bp.log = parseLogMessage(sb.logMessage);
        const err = this.#checkSyntax(L, bp);
        if (err) {
          bp.error = err;
          message = err;
        }
      }
      if (verified || lines === "file not found" || lines === undefined) map.set(line, bp);
      out.push({ id: bp.id, verified, line, message, source: args.source });
    }
    this.#lines.set(key, map);
    this.#changed(L);
    return { breakpoints: out };
  }

  breakpointLocations(
    L: number,
    args: DP.BreakpointLocationsArguments,
  ): DP.BreakpointLocationsResponse["body"] {
    const { sources } = this.#d;
    if (!args.source?.path) return { breakpoints: [] };
    const lines = sources.codeLinesOf(sources.normPath(args.source.path), L);
    if (typeof lines === "string") throw new Error(lines);
    const end = args.endLine ?? args.line;
    const out = [...lines].filter((l) => l >= args.line && l <= end).sort((a, b) => a - b);
    return { breakpoints: out.map((line) => ({ line })) };
  }

  /** A syntax error in a condition or log message's expressions, said at once. */
  #checkSyntax(L: number, bp: LineBreakpoint): string | undefined {
    const api = this.#d.ctx.api;
    const exprs = bp.log ? bp.log.exprs : bp.condition ? [bp.condition] : [];
    for (const e of exprs) {
      const top = api.lua.lua_gettop(L);
      const st = api.load(L, `return (${e})`, "=condition");
      const msg = st === LuaStatus.ok ? undefined : api.str(L, -1);
      api.lua.lua_settop(L, top);
      if (msg) return `${bp.log ? "log message" : "condition"} error: ${msg}`;
    }
    return undefined;
  }

  setFunctionBreakpoints(
    L: number,
    args: DP.SetFunctionBreakpointsArguments,
  ): DP.SetFunctionBreakpointsResponse["body"] {
    const out: DP.Breakpoint[] = [];
    const bps: FunctionBreakpoint[] = [];
    for (const fb of args.breakpoints) {
      const name = fb.name.trim();
      const parts = name.split(/[.:]/);
      const ok = parts.every((p) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p));
      const prev = this.#functions.find((b) => b.name === name);
      const bp: FunctionBreakpoint = {
        id: prev?.id ?? this.#nextId++,
        name,
        last: parts[parts.length - 1],
        path: parts,
        condition: fb.condition?.trim() || undefined,
        hits: 0,
      };
      let message: string | undefined;
      if (fb.hitCondition?.trim()) {
        const h = parseHitCondition(fb.hitCondition);
        if (typeof h === "string") message = h;
        else bp.hit = h;
      }
      if (!ok) message = `not a function name: ${name}`;
      if (ok) bps.push(bp);
      out.push({ id: bp.id, verified: ok && !message, message });
    }
    this.#functions = bps;
    this.#d.modes.functionBreakpointsChanged();
    this.#changed(L);
    return { breakpoints: out };
  }

  setExceptionBreakpoints(L: number, args: DP.SetExceptionBreakpointsArguments): void {
    const f = new Set(args.filters);
    this.breakAll = f.has("all");
    this.breakUncaught = f.has("uncaught") || this.breakAll;
    const lua = this.#d.ctx.api.lua;
    lua.lua_rawgeti(L, REG, BigInt(this.setAllRef));
    lua.lua_pushboolean(L, this.breakAll ? 1 : 0);
    lua.lua_pcallk(L, 1, 0, 0, 0, null);
  }

  /** Breakpoints changed: prototypes are looked at again, and hook masks set again. */
  #changed(L: number): void {
    const { ctx, prototypes, modes, stops } = this.#d;
    const lines: number[] = [];
    for (const m of this.#lines.values()) lines.push(...m.keys());
    prototypes.forgetAll(L, lines);
    if (ctx.running !== 0 || stops.stopped) modes.applyAll(L);
    else modes.applyIdle();
  }
}
