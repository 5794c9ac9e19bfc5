/**
 * What every part of the worker's debugger shares: the engine's host (debug_hooks.ts), the
 * C API and the wasm memory, C strings, scratch activation records, reads of Lua's call
 * frames in memory (engine/vm/lua_layout.ts), the run state, and the messages to the main
 * thread.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { cString } from "../../engine/vm/libc_env.ts";
import type { LuaModule } from "../../engine/vm/lua_wasm.ts";
import type { CApi } from "../../engine/vm/capi.ts";
import type { DebuggerHost } from "../../engine/worker/debug_hooks.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import { DebugRequestReceiver } from "../../engine/shared/debug_channel.ts";

const { AR_SIZE, CI_PREVIOUS, TV_TT, LUA_VLCL_COLLECTABLE, LCL_PROTO } = Lua;

/** Chunks of the engine itself: never stopped in, hidden from stack traces. */
export const INTERNAL_PREFIX = "=[llmspell";

const encoder = new TextEncoder();

export class WorkerContext {
  readonly host: DebuggerHost;
  readonly api: CApi;
  /** The engine's wasm module: its memory and the Lua C functions. */
  readonly wasm: LuaModule;
  /** Where the main thread's requests arrive. */
  readonly requests: DebugRequestReceiver;
  /** An activation record for passing reads (lua_getstack, lua_getinfo). */
  readonly scratchAr: number;
  /** Another, for reads while `scratchAr` is in use (a stepped thread's stack). */
  readonly spareAr: number;
  /** The Lua thread of the running execution (0 between executions). */
  running = 0;
  /**
   * The debugger is doing its own work on the Lua stack (stopped, serving a request,
   * evaluating): errors raised then are not the user's to break on.
   */
  inHook = false;
  /** Logpoints as output events (a DAP session) instead of the program's stdout. */
  logEvents = false;
  /** NUL-terminated copies of the strings passed to the C API, made once each. */
  readonly #cStrings = new Map<string, number>();

  constructor(host: DebuggerHost) {
    this.host = host;
    this.api = host.api;
    this.wasm = host.api.lua.module;
    this.requests = new DebugRequestReceiver(host.requestChannel);
    this.scratchAr = this.wasm._malloc(AR_SIZE);
    this.spareAr = this.wasm._malloc(AR_SIZE);
  }

  /** A C string of `s` in wasm memory (kept for the engine's life). */
  cString(s: string): number {
    let p = this.#cStrings.get(s);
    if (p === undefined) {
      const b = encoder.encode(s);
      p = this.wasm._malloc(b.length + 1);
      this.wasm.HEAPU8.set(b, p);
      this.wasm.HEAPU8[p + b.length] = 0;
      this.#cStrings.set(s, p);
    }
    return p;
  }

  readCString(p: number): string {
    return p === 0 ? "" : cString(this.wasm.HEAPU8, p);
  }

  /** Pushes the function running at `ar` of thread `L`. */
  pushFunction(L: number, ar: number): void {
    this.wasm._lua_getinfo(L, this.cString("f"), ar);
  }

  /**
   * The names of the locals of the frame at `ar`, slot 1 first, up to its first temporary:
   * the slots from there on are the stack's scratch, not the program's. Lua's own locals
   * ("(for state)" and the like) are kept, as their slots count.
   */
  localNames(L: number, ar: number): string[] {
    const names: string[] = [];
    for (let i = 1;; i++) {
      const p = this.wasm._lua_getlocal(L, ar, i);
      if (p === 0) break;
      this.api.lua.lua_settop(L, -2);
      const n = this.readCString(p);
      if (n === "(temporary)" || n === "(C temporary)") break;
      names.push(n);
    }
    return names;
  }

  /** The number of call frames from `ci` down to the thread's base. */
  depth(ci: number): number {
    const h32 = this.wasm.HEAP32;
    let d = 0;
    while (ci !== 0) {
      d++;
      ci = h32[(ci + CI_PREVIOUS) >> 2];
    }
    return d;
  }

  /** The Proto of the Lua function running in `ci`, or 0 for a C function. */
  proto(ci: number): number {
    const h32 = this.wasm.HEAP32;
    const func = h32[ci >> 2];
    if (this.wasm.HEAPU8[func + TV_TT] !== LUA_VLCL_COLLECTABLE) return 0;
    return h32[(h32[func >> 2] + LCL_PROTO) >> 2];
  }

  post(m: DP.ProtocolMessage | Omit<DP.Event, "seq">): void {
    this.host.post({ seq: 0, ...m } as DP.ProtocolMessage);
  }

  /** An event whose order against the others does not matter: DebuggerHost.postWithOutput. */
  postWithOutput(event: Omit<DP.Event, "seq">): void {
    this.host.postWithOutput({ seq: 0, ...event });
  }

  output(text: string, category: "console" | "stderr"): void {
    this.post({ type: "event", event: "output", body: { category, output: text } });
  }

  respond(req: DP.Request, body: unknown, error?: string): void {
    this.post({
      type: "response",
      seq: 0,
      request_seq: req.seq,
      command: req.command,
      success: error === undefined,
      message: error,
      body,
    } as DP.Response);
  }
}
