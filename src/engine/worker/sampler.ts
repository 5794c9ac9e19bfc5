/**
 * The profiler's worker side: records the Lua stack when a poke's count hook fires, and
 * the time a host call waits, for one execution. Loaded only for an execution that asks
 * to be profiled (worker.ts).
 *
 * The main thread pokes the running chunk at the profile's rate (handle.ts, poke.ts), so
 * the hook runs at the next Lua instruction, as for an interrupt. Each sample weighs the
 * wall time since the previous one: a timer that fires late (the main thread was busy)
 * makes fewer samples, not wrong shares. A host call (State, an LLM, a tool: the
 * host-call channel) is recorded when it is made, with the stack of the Lua code that made
 * it and a leaf frame `[host] METHOD`; the time it waited is its weight, exactly.
 *
 * The stack is read from memory (lua_layout.ts), not through lua_getstack: a frame is its
 * function's Proto (or its C function), named through lua_getinfo the first time it is
 * seen. llmspell's own Lua (`=[llmspell ...]` chunks: the API globals' Lua side), the
 * host-call C function and the xpcall every chunk runs under are left out, so a host call
 * shows under the script's function that made it.
 */
import type { CApi } from "../vm/capi.ts";
import * as Lua from "../vm/lua_layout.ts";
import { LUA_REGISTRYINDEX, LuaTypeId } from "../vm/lua_h.ts";
import { cString } from "../vm/libc_env.ts";
import { resumedThread } from "../vm/poke.ts";
import { Control, type ProfileData, type ProfileFrame } from "../shared/protocol.ts";

const { L_CI, L_BASE_CI, CI_FUNC, CI_PREVIOUS, TV_TT, LCL_PROTO, CCL_F } = Lua;
const { LUA_VLCF, LUA_VLCL_COLLECTABLE, LUA_VCCL_COLLECTABLE } = Lua;
const { PROTO_LINEDEFINED, PROTO_SOURCE, AR_SIZE, AR_NAME, AR_WHAT, AR_SOURCE } = Lua;
const { AR_LINEDEFINED } = Lua;

/** Chunks of llmspell's own Lua (api_globals.ts, kernel_api.ts) are not the script's. */
const INTERNAL_SOURCE = "=[llmspell ";
/** Bounds that keep one sample short on a very deep stack. */
const MAX_DEPTH = 2000;
const MAX_THREADS = 200;
/** A frame left out of stacks. */
const HIDDEN = -1;
/** Node keys: parent * FRAME_SPAN + frame (exact in a double up to 2^32 nodes). */
const FRAME_SPAN = 2 ** 21;

/** What a frame of a Lua function was named by, to tell a reused Proto address. */
interface ProtoFrame {
  frame: number;
  linedefined: number;
  source: number;
}

/** The C functions the stacks leave out: the chunk's xpcall, the host-call function. */
export interface SamplerOptions {
  api: CApi;
  control: Int32Array;
  /** The thread the chunk runs in (runtime.ts execute). */
  T: number;
  hidden: number[];
}

/** Receives the host calls of the execution (api_globals.ts). */
export interface HostCallObserver {
  hostBegin(L: number, method: string): void;
  hostEnd(): void;
}

export class Sampler implements HostCallObserver {
  readonly #api: CApi;
  readonly #control: Int32Array;
  readonly #T: number;
  readonly #hidden: Set<number>;
  readonly #ar: number;
  readonly #what: number;
  readonly #frames: ProfileFrame[] = [];
  readonly #protos = new Map<number, ProtoFrame>();
  readonly #cfuncs = new Map<number, number>();
  readonly #hostFrames = new Map<string, number>();
  /** Qualified names of the standard library's C functions (`string.rep`), made once. */
  #cnames: Map<number, string> | undefined;
  /** The call tree: node 0 is the root. */
  readonly #parents: number[] = [-1];
  readonly #nodeFrames: number[] = [-1];
  readonly #children = new Map<number, number>();
  /** The timeline: a node and its weight in ms, consecutive samples of one node merged. */
  readonly #samples: number[] = [];
  readonly #weights: number[] = [];
  #started = performance.now();
  #startedAt = Date.now();
  #last = this.#started;
  #host: { node: number; since: number } | undefined;
  #count = 0;
  /** Scratch: the frames of one stack, innermost first. */
  readonly #stack: number[] = [];

  constructor(o: SamplerOptions) {
    this.#api = o.api;
    this.#control = o.control;
    this.#T = o.T;
    this.#hidden = new Set(o.hidden);
    const m = o.api.lua.module;
    this.#ar = m._malloc(AR_SIZE);
    this.#what = m._malloc(4);
    m.HEAPU8.set([0x53, 0x6e, 0], this.#what); // "Sn"
  }

  /**
   * The chunk starts running now: time before it (loading the chunk) is no sample's, or the
   * first sample would take it.
   */
  start(): void {
    this.#started = this.#last = performance.now();
    this.#startedAt = Date.now();
  }

  /**
   * A poke's count hook on thread `L`: the time since the last sample goes to its stack.
   * The sampler's own time goes to none (the next interval starts when it is done).
   */
  sample(L: number): void {
    const dt = performance.now() - this.#last;
    if (dt > 0) this.#add(this.#stackNode(L), dt);
    this.#last = performance.now();
  }

  /** `L` makes a host call: what ran until now is sampled, the wait is the call's. */
  hostBegin(L: number, method: string): void {
    const dt = performance.now() - this.#last;
    const node = this.#stackNode(L);
    if (dt > 0) this.#add(node, dt);
    this.#host = { node: this.#child(node, this.#hostFrame(method)), since: performance.now() };
  }

  hostEnd(): void {
    const host = this.#host;
    if (!host) return;
    this.#host = undefined;
    const now = performance.now();
    this.#add(host.node, now - host.since);
    this.#last = now;
  }

  /** The profile of the execution; the sampler is done. */
  finish(): ProfileData {
    this.hostEnd();
    const m = this.#api.lua.module;
    m._free(this.#ar);
    m._free(this.#what);
    return {
      frames: this.#frames,
      parents: this.#parents,
      nodeFrames: this.#nodeFrames,
      samples: this.#samples,
      weights: this.#weights.map((w) => Math.max(1, Math.round(w * 1000))),
      sampleCount: this.#count,
      startedAt: this.#startedAt,
      durationUs: Math.round((performance.now() - this.#started) * 1000),
    };
  }

  #add(node: number, ms: number): void {
    if (node === 0) return;
    this.#count++;
    const n = this.#samples.length;
    if (n > 0 && this.#samples[n - 1] === node) this.#weights[n - 1] += ms;
    else {
      this.#samples.push(node);
      this.#weights.push(ms);
    }
  }

  #child(parent: number, frame: number): number {
    const key = parent * FRAME_SPAN + frame;
    let node = this.#children.get(key);
    if (node === undefined) {
      node = this.#parents.length;
      this.#parents.push(parent);
      this.#nodeFrames.push(frame);
      this.#children.set(key, node);
    }
    return node;
  }

  /** The call-tree node of the stack that `L` runs now, with the threads resuming it. */
  #stackNode(L: number): number {
    const threads = this.#threads(L);
    let node = 0;
    for (const thread of threads) {
      const stack = this.#stack;
      stack.length = 0;
      this.#frameKeys(thread, stack);
      for (let i = stack.length - 1; i >= 0; i--) {
        if (stack[i] !== HIDDEN) node = this.#child(node, stack[i]);
      }
    }
    return node;
  }

  /** The chain of threads from the chunk's to `L` (coroutines it resumes), outermost first. */
  #threads(L: number): number[] {
    const chain = [this.#T];
    const c = this.#control;
    const resume = Atomics.load(c, Control.resumeFn);
    const wrap = Atomics.load(c, Control.wrapFn);
    const m = this.#api.lua.module;
    let t = this.#T;
    while (t !== L && chain.length < MAX_THREADS) {
      t = resumedThread(m.HEAP32, m.HEAPU8, t, resume, wrap);
      if (t === 0) return [L]; // not resumed from the chunk's thread: its own stack only
      chain.push(t);
    }
    return chain;
  }

  /** The frames of thread `L`, innermost first (HIDDEN for those left out). */
  #frameKeys(L: number, out: number[]): void {
    const m = this.#api.lua.module;
    const h32 = m.HEAP32;
    const u8 = m.HEAPU8;
    const base = L + L_BASE_CI;
    let ci = h32[(L + L_CI) >> 2];
    for (let level = 0; ci !== 0 && ci !== base && level < MAX_DEPTH; level++) {
      const func = h32[(ci + CI_FUNC) >> 2];
      const tt = u8[func + TV_TT];
      if (tt === LUA_VLCL_COLLECTABLE) {
        const p = h32[(h32[func >> 2] + LCL_PROTO) >> 2];
        const known = this.#protos.get(p);
        const linedefined = h32[(p + PROTO_LINEDEFINED) >> 2];
        const source = h32[(p + PROTO_SOURCE) >> 2];
        if (known && known.linedefined === linedefined && known.source === source) {
          out.push(known.frame);
        } else {
          const frame = this.#nameFrame(L, level, 0);
          this.#protos.set(p, { frame, linedefined, source });
          out.push(frame);
        }
      } else if (tt === LUA_VLCF || tt === LUA_VCCL_COLLECTABLE) {
        const f = tt === LUA_VLCF ? h32[func >> 2] : h32[(h32[func >> 2] + CCL_F) >> 2];
        let frame = this.#cfuncs.get(f);
        if (frame === undefined) {
          frame = this.#hidden.has(f) ? HIDDEN : this.#nameFrame(L, level, f);
          this.#cfuncs.set(f, frame);
        }
        out.push(frame);
      }
      ci = h32[(ci + CI_PREVIOUS) >> 2];
    }
  }

  /** A new frame for the function at `level` of `L` (`cfn`: its C function, or 0). */
  #nameFrame(L: number, level: number, cfn: number): number {
    const m = this.#api.lua.module;
    const ar = this.#ar;
    if (m._lua_getstack(L, level, ar) === 0) return HIDDEN;
    m._lua_getinfo(L, this.#what, ar);
    const h32 = m.HEAP32;
    const str = (p: number) => (p === 0 ? "" : cString(m.HEAPU8, p));
    const source = str(h32[(ar + AR_SOURCE) >> 2]);
    if (source.startsWith(INTERNAL_SOURCE)) return HIDDEN;
    const what = str(h32[(ar + AR_WHAT) >> 2]);
    const called = str(h32[(ar + AR_NAME) >> 2]);
    let frame: ProfileFrame;
    if (cfn !== 0) {
      frame = { name: this.#cname(L, cfn) ?? (called || "?"), file: "[C]", line: 0 };
    } else {
      const file = source.startsWith("@") || source.startsWith("=") ? source.slice(1) : source;
      const line = h32[(ar + AR_LINEDEFINED) >> 2];
      const name = what === "main" ? "main chunk" : called || "(anonymous)";
      frame = { name, file, line };
    }
    this.#frames.push(frame);
    return this.#frames.length - 1;
  }

  #hostFrame(method: string): number {
    let frame = this.#hostFrames.get(method);
    if (frame === undefined) {
      this.#frames.push({ name: `[host] ${method}`, file: "[host]", line: 0 });
      frame = this.#frames.length - 1;
      this.#hostFrames.set(method, frame);
    }
    return frame;
  }

  /**
   * The standard library's name of a C function (`string.rep`, `print`), as Lua's own
   * traceback finds it: in package.loaded. Read once, at the first C function seen.
   */
  #cname(L: number, cfn: number): string | undefined {
    if (!this.#cnames) {
      this.#cnames = new Map();
      const lua = this.#api.lua;
      const top = lua.lua_gettop(L);
      if (lua.lua_checkstack(L, 6)) {
        lua.lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
        lua.lua_pushnil(L);
        while (lua.lua_next(L, -2) !== 0) {
          const mod = lua.lua_type(L, -2) === LuaTypeId.string ? this.#api.str(L, -2) : undefined;
          if (mod !== undefined && lua.lua_type(L, -1) === LuaTypeId.table) {
            lua.lua_pushnil(L);
            while (lua.lua_next(L, -2) !== 0) {
              const f = lua.lua_tocfunction(L, -1);
              if (f !== 0 && lua.lua_type(L, -2) === LuaTypeId.string) {
                const key = this.#api.str(L, -2) ?? "?";
                const name = mod === "_G" ? key : `${mod}.${key}`;
                // `_G.print` and `string.format` over a later module's copy of them.
                if (!this.#cnames.has(f) || mod === "_G") this.#cnames.set(f, name);
              }
              lua.lua_settop(L, -2);
            }
          }
          lua.lua_settop(L, -2);
        }
      }
      lua.lua_settop(L, top);
    }
    return this.#cnames.get(cfn);
  }
}
