/**
 * The debugger in the engine worker (docs/architecture.md, The debugger): the module the
 * engine loads for a debugging engine (engine/worker/debug_hooks.ts). It speaks DAP: requests
 * arrive through the debugger's request channel (engine/shared/debug_channel.ts) and responses and
 * events leave with postMessage.
 *
 * Hooks are C-level: a wasm filter (hook_filter.ts) in the function table, which passes
 * on to the JavaScript hook (hook.ts) only the events that need the debugger:
 * - no breakpoint, step or pause: no hook (requests while Lua runs arrive by a poke, see
 *   engine/vm/poke.ts, which sets a count event until the hook has served them);
 * - line breakpoints: line events only; the patched VM (engine/vm/line_trap.ts) runs functions
 *   whose prototype the debugger marked plain (no breakpoint line) without them, so each
 *   prototype is looked at once, at its first line event; the prototype is found by reading
 *   the CallInfo and closure in wasm memory (engine/vm/lua_layout.ts) and cached per Proto
 *   (prototypes.ts);
 * - function breakpoints: call and return events;
 * - step over/out: line events only in frames at or above the step's depth;
 * - step in and pause: line events everywhere (hook_modes.ts).
 * A stop blocks inside the hook on the request channel and answers requests (stops.ts,
 * requests.ts).
 */
import { LUA_REGISTRYINDEX, LuaStatus, LuaTypeId } from "../../engine/vm/lua_h.ts";
import type { DebuggerHost, WorkerDebugHooks } from "../../engine/worker/debug_hooks.ts";
import { BreakpointHits } from "./breakpoint_hits.ts";
import { Breakpoints } from "./breakpoints.ts";
import { WorkerContext } from "./context.ts";
import { ErrorStops } from "./errors.ts";
import { Evaluator } from "./evaluate.ts";
import { FrameEnv } from "./frame_env.ts";
import { Frames } from "./frames.ts";
import { DebugHook } from "./hook.ts";
import { HookFilter } from "./hook_filter.ts";
import { HookModes } from "./hook_modes.ts";
import { DEBUG_LUA } from "./lua.ts";
import type { DebuggerParts } from "./parts.ts";
import { Prototypes } from "./prototypes.ts";
import { Requests } from "./requests.ts";
import { Sources } from "./sources.ts";
import { Stops } from "./stops.ts";
import { Values } from "./values.ts";

const REG = LUA_REGISTRYINDEX;

/** debug_hooks.ts's entry: the debugger of one engine. */
export function createWorkerDebugger(host: DebuggerHost): WorkerDebugHooks {
  return new WorkerDebugger(host);
}

class WorkerDebugger implements WorkerDebugHooks {
  /** The lua_Hook: the wasm filter in front of the JavaScript hook. */
  readonly hookPtr: number;
  readonly #d: DebuggerParts;

  constructor(host: DebuggerHost) {
    const ctx = new WorkerContext(host);
    const d = { ctx } as DebuggerParts;
    const hook = new DebugHook(d);
    d.filter = new HookFilter(
      ctx.wasm,
      host.memory,
      (f) => host.api.wasmHook(f),
      (L, ar) => hook.onEvent(L, ar),
    );
    d.sources = new Sources(ctx);
    d.prototypes = new Prototypes(d);
    d.modes = new HookModes(d);
    d.breakpoints = new Breakpoints(d);
    d.hits = new BreakpointHits(d);
    d.errors = new ErrorStops(d);
    d.stops = new Stops(d);
    d.frames = new Frames(d);
    d.values = new Values(d);
    d.env = new FrameEnv(ctx);
    d.evaluator = new Evaluator(d);
    d.requests = new Requests(d);
    this.#d = d;
    this.hookPtr = d.filter.hookPtr;
    this.#setUpLua();
  }

  #setUpLua(): void {
    const { ctx, modes, prototypes, values, breakpoints, errors, sources } = this.#d;
    const api = ctx.api;
    const lua = api.lua;
    const L = ctx.host.L0;
    // The weak table of coroutines that lua.ts fills.
    lua.lua_createtable(L, 0, 0);
    lua.lua_createtable(L, 0, 1);
    api.pushString(L, "k");
    lua.lua_setfield(L, -2, "__mode");
    lua.lua_setmetatable(L, -2);
    modes.threadsRef = lua.luaL_ref(L, REG);
    prototypes.setUp(L);
    values.setUp(L);

    if (api.load(L, DEBUG_LUA, "=[llmspell debug]") !== LuaStatus.ok) {
      throw new Error(`debugger setup failed: ${api.str(L, -1)}`);
    }
    lua.lua_rawgeti(L, REG, BigInt(ctx.host.envRef));
    lua.lua_rawgeti(L, REG, BigInt(modes.threadsRef));
    lua.lua_pushcclosure(L, api.cfunction((hL) => errors.caught(hL)), 0);
    lua.lua_rawgeti(L, REG, BigInt(ctx.host.hostRef));
    lua.lua_pushcclosure(
      L,
      api.cfunction((hL) => {
        sources.loaded(hL, 1);
        return 0;
      }),
      0,
    );
    if (lua.lua_pcallk(L, 5, 1, 0, 0, null) !== LuaStatus.ok) {
      throw new Error(`debugger setup failed: ${api.str(L, -1)}`);
    }
    breakpoints.setAllRef = lua.luaL_ref(L, REG);

    // Names present before any user code ran: the Globals scope lists the others first.
    lua.lua_rawgeti(L, REG, BigInt(ctx.host.envRef));
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      if (lua.lua_type(L, -2) === LuaTypeId.string) values.builtins.add(api.str(L, -2) ?? "");
      lua.lua_settop(L, -2);
    }
    lua.lua_settop(L, -2);
  }

  beginExecute(T: number): void {
    const { ctx, modes } = this.#d;
    ctx.running = T;
    this.#record(T);
    modes.takeEntryPause();
    modes.applyAll(T);
  }

  threadCreated(co: number): void {
    // Its hook mask is its maker's, set for what the modes need now.
    this.#record(co);
  }

  /** Adds thread `T` to the weak table of known threads (applyAll sets their masks). */
  #record(T: number): void {
    const lua = this.#d.ctx.api.lua;
    lua.lua_rawgeti(T, REG, BigInt(this.#d.modes.threadsRef));
    lua.lua_pushthread(T);
    lua.lua_pushboolean(T, 1);
    lua.lua_rawset(T, -3);
    lua.lua_settop(T, -2);
  }

  endExecute(): void {
    const { ctx, modes, stops, values } = this.#d;
    ctx.running = 0;
    modes.clearStep();
    modes.clearPause();
    modes.setPendingFunction(undefined);
    stops.terminate = false;
    modes.applyIdle();
    values.releaseAll(ctx.host.L0);
  }

  chunkLoaded(L: number): void {
    this.#d.sources.loaded(L, -1);
  }

  serveIdle(): void {
    this.#d.requests.serveIdle();
  }

  serveWaiting(L: number): void {
    this.#d.requests.serveRunning(L);
  }

  onUncaughtError(L: number): void {
    this.#d.errors.uncaught(L);
  }
}
