/**
 * The Lua runtime inside the engine worker: one wasmoon state, the prelude, and execution
 * of chunks with echo, error capture, interrupt, timeout and memory limits.
 *
 * A chunk runs in a fresh Lua thread started with `lua_resume` on the C function `xpcall`,
 * so no Lua code of ours runs between the user's code and the host: an escalated interrupt
 * hook (count = 1) then cannot fire inside engine code, and the message handler, a C
 * function, records the traceback without running Lua instructions.
 */
import type { LuaWasm } from "../vm/lua_wasm.ts";
import { CApi } from "../vm/capi.ts";
import { HookMask, LUA_MULTRET, LUA_REGISTRYINDEX, LuaStatus, LuaTypeId } from "../vm/lua_h.ts";
import type { DebuggerHost, WorkerDebuggerModule, WorkerDebugHooks } from "./debug_hooks.ts";
import { createDebugChannel } from "../shared/debug_channel.ts";
import type { Sampler } from "./sampler.ts";
import type { PathPolicy } from "../shared/path_policy.ts";
import { pushHostTable } from "./lua_host_functions.ts";
import { enterScriptDir } from "./script_root.ts";
import { Introspector } from "./introspect.ts";
import { installKernelApi, mimeData } from "./kernel_api.ts";
import { type ApiFunctions, installApiGlobals } from "./api_globals.ts";
import { loadChunk } from "./lua/chunks.ts";
import { ECHO_RETURN, lastLineAsReturn } from "./echo.ts";
import { type RingWriter, writeJson } from "../shared/output_ring.ts";
import {
  Control,
  type EngineOptions,
  type EngineQuery,
  type ExecOutcome,
  type ExecuteRequest,
  type LuaErrorInfo,
  pendingSignal,
  type ProfileData,
  type QueryAnswer,
  raiseSignal,
  RingRecord,
  type ScriptArgs,
  Signal,
  timedOutMessage,
} from "../shared/protocol.ts";

const REG = LUA_REGISTRYINDEX;
const LUA_TYPE_NAMES = [
  "nil",
  "boolean",
  "userdata",
  "number",
  "string",
  "table",
  "function",
  "userdata",
  "thread",
];

/** What the worker shares with the main thread besides the control and output buffers. */
interface SharedParts {
  /** For a debugging engine: the module to load as the debugger (debug_hooks.ts). */
  debuggerModule?: string;
  /** The wasm memory, when shared (worker.ts): pokes and the debugger's hook filter. */
  memory?: WebAssembly.Memory;
}

export class LuaRuntime {
  readonly #api: CApi;
  readonly #L0: number;
  // Set by configure, before anything runs: the engine starts before the main thread has
  // read the configuration (worker.ts).
  #options!: EngineOptions;
  #control!: Int32Array;
  #hookPtr = 0;
  #handlerPtr = 0;
  #formatRef = 0;
  #preludeRef = 0;
  #xpcallRef = 0;
  #gcRef = 0;
  #envRef = 0;
  #policy: PathPolicy | undefined;
  #hostRef = 0;
  #jsonRef = 0;
  /** The kernel API's `own(value)`: a value's own representations (`__display`). */
  #ownRef = 0;
  #introspector: Introspector | undefined;
  /** Files `require` loaded modules from, in order (EngineQuery "modules"). */
  readonly #moduleFiles = new Set<string>();
  #debugger: WorkerDebugHooks | undefined;
  /** A debugging engine's debugger, loading or loaded (loadDebugger). */
  #debuggerLoad: Promise<void> | undefined;
  #debuggerLoading: Promise<void> | undefined;
  /** What a debugging engine's debugger is made with, until it is (loadDebugger). */
  #debuggerParts: { url: string; host: DebuggerHost } | undefined;
  #debugChannel: SharedArrayBuffer | undefined;
  /** A debugging engine's request channel (debug_channel.ts), for the main thread. */
  get debugChannel(): SharedArrayBuffer | undefined {
    return this.#debugChannel;
  }
  #traceback = "";
  #exitCode: number | undefined;
  #nresPtr: number;
  /** The host-call C function and the globals' loader (api_globals.ts): not in profiles. */
  #apiFunctions: ApiFunctions = { call: 0, loader: 0, endExecution: () => {} };
  /** The profiler of the running execution, when it is profiled (sampler.ts). */
  #sampler: Sampler | undefined;
  /** The last profiled execution's profile, until the worker takes it. */
  #profile: ProfileData | undefined;

  private constructor(lua: LuaWasm, L: number) {
    this.#api = new CApi(lua);
    this.#L0 = L;
    this.#nresPtr = lua.module._malloc(4);
  }

  /**
   * The part of the set-up that needs no options, over a state with its standard libraries
   * (lua_wasm.ts openState; the memory limit caps the wasm heap, worker.ts): the formatter,
   * the prelude loaded but not run. The worker does this while the main thread still reads
   * the command line and the configuration.
   */
  static prepare(lua: LuaWasm, L: number): LuaRuntime {
    const rt = new LuaRuntime(lua, L);
    rt.#prepare();
    return rt;
  }

  /** The JS functions Lua calls (their table entries live outside the wasm memory). */
  #registerCallbacks(): void {
    const api = this.#api;
    const lua = api.lua;
    this.#hookPtr = api.hook((hL) => this.#onHook(hL));
    this.#handlerPtr = api.cfunction((hL) => {
      this.#debugger?.onUncaughtError(hL);
      lua.luaL_traceback(hL, hL, null, 1);
      this.#traceback = api.str(hL, -1) ?? "";
      lua.lua_settop(hL, -2);
      return 1;
    });
  }

  #prepare(): void {
    const api = this.#api;
    const lua = api.lua;
    const L = this.#L0;

    this.#registerCallbacks();
    lua.lua_getglobal(L, "xpcall");
    this.#xpcallRef = lua.luaL_ref(L, REG);
    lua.lua_getglobal(L, "collectgarbage");
    this.#gcRef = lua.luaL_ref(L, REG);

    this.#checkLoad(loadChunk(api, L, "format"));
    this.#checkCall(lua.lua_pcallk(L, 0, 1, 0, 0, null));
    this.#formatRef = lua.luaL_ref(L, REG);

    this.#checkLoad(loadChunk(api, L, "prelude"));
    this.#preludeRef = lua.luaL_ref(L, REG);
  }

  /**
   * The rest of the set-up: the host table, the sandbox, the kernel API, and what the
   * debugger needs (it loads later: loadDebugger).
   */
  configure(
    options: EngineOptions,
    control: Int32Array,
    out: RingWriter,
    shared: SharedParts = {},
  ): void {
    this.#options = options;
    this.#control = control;
    const api = this.#api;
    const lua = api.lua;
    const L = this.#L0;

    // math.random's seed: random. Lua seeds it from the clock's second and the state's
    // address, which in wasm is the same in every run: two runs in one second would draw
    // the same numbers.
    lua.lua_getglobal(L, "math");
    lua.lua_getfield(L, -1, "randomseed");
    lua.lua_pushinteger(L, BigInt(Math.floor(Math.random() * 2 ** 53)));
    lua.lua_pushinteger(L, BigInt(Math.floor(Math.random() * 2 ** 53)));
    this.#checkCall(lua.lua_pcallk(L, 2, 0, 0, 0, null));
    lua.lua_settop(L, -2);

    lua.lua_rawgeti(L, REG, BigInt(this.#preludeRef));
    lua.luaL_unref(L, REG, this.#preludeRef);
    this.#policy = pushHostTable(api, L, this.#options, out, {
      // os.exit raises an error and arms the hook with count 1, so the error keeps
      // unwinding through any pcall until the chunk has ended.
      exit: (hL, code) => {
        this.#exitCode = code;
        raiseSignal(this.#control, Signal.exit);
        lua.lua_sethook(hL, this.#hookPtr, HookMask.count, 1);
      },
      moduleFile: (path) => this.#moduleFiles.add(path),
    });
    lua.lua_pushvalue(L, -1);
    this.#hostRef = lua.luaL_ref(L, REG);
    lua.lua_rawgeti(L, REG, BigInt(this.#formatRef));
    api.pushString(L, this.#options.securityLevel);
    api.pushPlain(L, this.#options.scriptDir);
    this.#checkCall(lua.lua_pcallk(L, 4, 1, 0, 0, null));
    lua.lua_getfield(L, -1, "env");
    this.#envRef = lua.luaL_ref(L, REG);
    lua.lua_settop(L, -2);

    const apiFunctions = installApiGlobals({
      api,
      L,
      envRef: this.#envRef,
      control: this.#control,
      globals: options.globals ?? [],
      wake: (buffer) => self.postMessage({ type: "host", buffer }),
      // An interrupt that ends a wait (a host call, input) keeps unwinding like one seen by
      // the hook.
      onInterrupt: (hL) => lua.lua_sethook(hL, this.#hookPtr, HookMask.count, 1),
      onDebugRequest: (wL) => this.#debugger?.serveWaiting(wL),
      observer: () => this.#sampler,
      tracing: options.tracing ?? false,
      onBranch: (co) => this.#debugger?.threadCreated(co),
    });
    this.#apiFunctions = apiFunctions;

    const kernelApi = installKernelApi({
      api,
      L,
      out,
      hostCall: apiFunctions.call,
      kernelStdin: this.#options.stdin === "kernel",
      hostRef: this.#hostRef,
      envRef: this.#envRef,
      formatRef: this.#formatRef,
    });
    this.#jsonRef = kernelApi.json;
    this.#ownRef = kernelApi.own;

    if (shared.debuggerModule) {
      if (!shared.memory) throw new Error("the debugger needs the engine's shared wasm memory");
      this.#debugChannel = createDebugChannel();
      const host: DebuggerHost = {
        api,
        memory: shared.memory,
        L0: L,
        control: this.#control,
        out,
        post: (message) => self.postMessage({ type: "dap", message }),
        postWithOutput: (event) => {
          if (Atomics.load(this.#control, Control.current) !== 0) {
            writeJson(out, RingRecord.debugEvent, event);
          } else self.postMessage({ type: "dap", message: event });
        },
        countHook: (hL) => this.#onHook(hL),
        sample: (hL) => this.#sampler?.sample(hL),
        envRef: this.#envRef,
        formatRef: this.#formatRef,
        displayRef: kernelApi.display,
        hostRef: this.#hostRef,
        hostCall: apiFunctions.call,
        cwd: this.#options.cwd,
        requestChannel: this.#debugChannel,
      };
      this.#debuggerParts = { url: shared.debuggerModule, host };
    }
    // Only an engine with shared memory can be poked (a batch engine's cannot).
    if (shared.memory) this.#publishForPoke(L);
  }

  /** What poke.ts needs to find and hook the running Lua thread. */
  #publishForPoke(L: number): void {
    const lua = this.#api.lua;
    const c = this.#control;
    Atomics.store(c, Control.hook, this.#hookPtr);
    const top = lua.lua_gettop(L);
    lua.lua_getglobal(L, "coroutine");
    lua.lua_getfield(L, -1, "resume");
    Atomics.store(c, Control.resumeFn, lua.lua_tocfunction(L, -1));
    lua.lua_getfield(L, -2, "wrap");
    this.#api.load(L, "return function() end", "=[llmspell poke]");
    lua.lua_callk(L, 0, 1, 0, null);
    lua.lua_callk(L, 1, 1, 0, null);
    Atomics.store(c, Control.wrapFn, lua.lua_tocfunction(L, -1));
    lua.lua_settop(L, top);
  }

  /**
   * Loads a debugging engine's debugger (once; nothing for another engine). Not at start:
   * its modules and set-up would delay the engine's first execution (a kernel's first cell),
   * which no debugger client can be waiting for yet. The worker loads it at the first
   * debugger request, or while idle after the first execution, so that a later request can
   * reach a running chunk (docs/architecture.md, The debugger). It must be called while no
   * Lua runs: it is made at the end of the import, between the worker's messages.
   */
  loadDebugger(): Promise<void> {
    const parts = this.#debuggerParts;
    if (!parts) return Promise.resolve();
    if (this.#debuggerLoad) return this.#debuggerLoad;
    this.#debuggerLoad = (async () => {
      const module = await import(parts.url) as WorkerDebuggerModule;
      this.#debugger = module.createWorkerDebugger(parts.host);
      this.#debuggerParts = undefined;
      // A poke runs the debugger's hook from now on: it serves requests while Lua runs.
      Atomics.store(this.#control, Control.hook, this.#debugger.hookPtr);
    })();
    this.#debuggerLoading = this.#debuggerLoad.then(
      () => (this.#debuggerLoading = undefined),
      () => (this.#debuggerLoading = undefined),
    );
    return this.#debuggerLoad;
  }

  /** The debugger's load while it is under way (loadDebugger); it never rejects. */
  get debuggerLoading(): Promise<void> | undefined {
    return this.#debuggerLoading;
  }

  /** A debugger request is waiting and the engine is idle. */
  debugPoke(): void {
    this.#debugger?.serveIdle();
  }

  #checkLoad(status: number): void {
    if (status !== LuaStatus.ok) {
      throw new Error(`engine setup failed: ${this.#api.str(this.#L0, -1)}`);
    }
  }

  #checkCall(status: number): void {
    this.#checkLoad(status);
  }

  /**
   * The count hook, set by a poke (poke.ts) or by the runtime itself: raises the pending
   * signal on the running thread and re-arms itself with count 1, so a pcall loop in the
   * script cannot swallow it. Without a signal (a late poke) it removes itself.
   */
  #onHook(L: number): void {
    // A poke of the profiler (handle.ts): the stack is sampled, then what a poke does.
    this.#sampler?.sample(L);
    const signal = pendingSignal(this.#control);
    const lua = this.#api.lua;
    if (signal === Signal.none) {
      lua.lua_sethook(L, 0, 0, 0);
      return;
    }
    lua.lua_sethook(L, this.#hookPtr, HookMask.count, 1);
    this.#api.pushString(L, signal === Signal.interrupt ? "interrupted" : "llmspell: stop");
    lua.lua_error(L);
  }

  /**
   * Runs execution `id` (its signals carry the id: protocol.ts Control.target). `sampler`:
   * the profiler's class, for a profiled execution (loaded by the worker only then).
   */
  execute(req: ExecuteRequest, id: number, sampler?: typeof Sampler): ExecOutcome {
    const api = this.#api;
    const lua = api.lua;
    const L0 = this.#L0;
    // A signal that came for this execution before it started stays; any other goes.
    if (Atomics.load(this.#control, Control.target) !== id) {
      Atomics.store(this.#control, Control.signal, Signal.none);
    }
    Atomics.store(this.#control, Control.current, id);
    this.#exitCode = undefined;
    this.#traceback = "";
    const top = lua.lua_gettop(L0);
    const leaveScriptDir = req.scriptDir && this.#policy
      ? enterScriptDir(api, L0, this.#envRef, this.#policy, req.scriptDir)
      : undefined;
    const T = lua.lua_newthread(L0);
    this.#debugger?.beginExecute(T);
    Atomics.store(this.#control, Control.running, T);
    if (sampler) this.#startSampler(sampler, T);
    try {
      lua.lua_rawgeti(T, REG, BigInt(this.#xpcallRef));
      let status: number = LuaStatus.errSyntax;
      if (req.echo) {
        status = api.load(T, ECHO_RETURN + req.code, req.chunkName);
        if (status !== LuaStatus.ok) lua.lua_settop(T, -2);
        if (status !== LuaStatus.ok && req.echoLast) {
          const last = lastLineAsReturn(req.code);
          // The last line must be an expression on its own: `return end` would otherwise
          // close the block above it (`for ... do\n print(i)\nend` → returns at once).
          if (last !== undefined && api.load(T, "return " + last.line, "=echo") === LuaStatus.ok) {
            lua.lua_settop(T, -2);
            status = api.load(T, last.chunk, req.chunkName);
            if (status !== LuaStatus.ok) lua.lua_settop(T, -2);
          } else if (last !== undefined) lua.lua_settop(T, -2);
        }
      }
      if (status !== LuaStatus.ok) {
        status = api.load(T, req.code, req.chunkName);
        if (status !== LuaStatus.ok) {
          return {
            status: "error",
            error: {
              kind: "syntax",
              message: api.str(T, -1) ?? "syntax error",
              traceback: [],
              isObject: false,
            },
          };
        }
      }
      this.#debugger?.chunkLoaded(T);
      lua.lua_rawgeti(T, REG, BigInt(this.#envRef));
      lua.lua_setupvalue(T, -2, 1);
      lua.lua_pushcclosure(T, this.#handlerPtr, 0);
      let nargs = 0;
      if (req.args) {
        this.#setArgs(T, req.args);
        for (const a of req.args.raw) api.pushString(T, a);
        nargs = req.args.raw.length;
      }
      this.#sampler?.start();
      const rc = lua.lua_resume(T, L0, 2 + nargs, this.#nresPtr);
      return this.#outcome(T, rc, req.jsonValues === true);
    } finally {
      Atomics.store(this.#control, Control.running, 0);
      this.#profile = this.#sampler?.finish();
      this.#sampler = undefined;
      this.#debugger?.endExecute();
      this.#apiFunctions.endExecution();
      lua.lua_settop(L0, top);
      leaveScriptDir?.();
      Atomics.store(this.#control, Control.signal, Signal.none);
      Atomics.store(this.#control, Control.current, 0);
    }
  }

  #startSampler(sampler: typeof Sampler, T: number): void {
    const lua = this.#api.lua;
    lua.lua_rawgeti(T, REG, BigInt(this.#xpcallRef));
    const xpcall = lua.lua_tocfunction(T, -1);
    lua.lua_settop(T, -2);
    this.#sampler = new sampler({
      api: this.#api,
      control: this.#control,
      T,
      hidden: [xpcall, this.#apiFunctions.call, this.#apiFunctions.loader],
    });
  }

  /** The profile of the last execution, if it was profiled (once). */
  takeProfile(): ProfileData | undefined {
    const p = this.#profile;
    this.#profile = undefined;
    return p;
  }

  #outcome(T: number, rc: number, jsonValues: boolean): ExecOutcome {
    const api = this.#api;
    const lua = api.lua;
    const signal = pendingSignal(this.#control);
    Atomics.store(this.#control, Control.signal, Signal.none);
    Atomics.store(this.#control, Control.running, 0);
    lua.lua_sethook(T, 0, 0, 0);
    if (this.#exitCode !== undefined) return { status: "exit", code: this.#exitCode };

    let errIndex = 0;
    if (rc === LuaStatus.ok) {
      const n = lua.lua_gettop(T);
      if (lua.lua_toboolean(T, 1)) {
        // Like `lua -i`, but a result that is only nils prints nothing.
        let allNil = true;
        for (let i = 2; i <= n && allNil; i++) allNil = lua.lua_type(T, i) === LuaTypeId.nil;
        const values: string[] = [];
        const types: string[] = [];
        const json: string[] = [];
        if (!allNil) {
          for (let i = 2; i <= n; i++) {
            types.push(LUA_TYPE_NAMES[lua.lua_type(T, i)] ?? "userdata");
            values.push(this.#format(T, i, false));
            if (jsonValues) json.push(this.#json(T, i));
          }
        }
        const outcome: ExecOutcome = jsonValues
          ? { status: "ok", values, types, json }
          : { status: "ok", values, types };
        // One value with representations of its own (an agent's result: Markdown).
        const mime = n === 2 && !allNil ? this.#own(T, 2) : undefined;
        return mime ? { ...outcome, mime } : outcome;
      }
      errIndex = 2;
    } else if (rc === LuaStatus.yield) {
      return this.#error("runtime", "attempt to yield from outside a coroutine", false);
    } else {
      errIndex = lua.lua_gettop(T);
    }

    if (signal === Signal.interrupt) return this.#error("interrupted", "interrupted", false);
    if (signal === Signal.timeout) {
      return this.#error("timeout", timedOutMessage(this.#options.timeoutMs), false);
    }
    if (signal === Signal.exit) return { status: "exit", code: this.#exitCode ?? 0 };
    const t = lua.lua_type(T, errIndex);
    const isObject = t !== LuaTypeId.string && t !== LuaTypeId.number;
    const message = isObject ? this.#format(T, errIndex, false) : api.str(T, errIndex) ?? "";
    const max = this.#options.maxMemoryBytes;
    if (!isObject && message === "not enough memory" && max > 0) {
      this.#collectGarbage();
      const mib = Math.round((max / (1 << 20)) * 10) / 10;
      return this.#error("memory", `memory limit exceeded (${mib} MiB)`, false);
    }
    return this.#error("runtime", message, isObject);
  }

  #error(kind: LuaErrorInfo["kind"], message: string, isObject: boolean): ExecOutcome {
    return {
      status: "error",
      error: { kind, message, traceback: cleanTraceback(this.#traceback), isObject },
    };
  }

  /** The value at `idx` through the Lua formatter; never throws. */
  #format(T: number, idx: number, nested: boolean): string {
    const lua = this.#api.lua;
    const abs = idx < 0 ? lua.lua_gettop(T) + idx + 1 : idx;
    lua.lua_rawgeti(T, REG, BigInt(this.#formatRef));
    lua.lua_pushvalue(T, abs);
    lua.lua_pushboolean(T, nested ? 1 : 0);
    const status = lua.lua_pcallk(T, 2, 1, 0, 0, null);
    const s = status === LuaStatus.ok
      ? this.#api.str(T, -1) ?? ""
      : `<value could not be shown: ${this.#api.str(T, -1)}>`;
    lua.lua_settop(T, -2);
    return s;
  }

  /** The value at `idx` as JSON text (kernel_api.ts, lenient: never fails on a value). */
  #json(T: number, idx: number): string {
    const lua = this.#api.lua;
    lua.lua_rawgeti(T, REG, BigInt(this.#jsonRef));
    lua.lua_pushvalue(T, idx);
    lua.lua_pushboolean(T, 1);
    const ok = lua.lua_pcallk(T, 2, 1, 0, 0, null) === LuaStatus.ok;
    const text = this.#api.str(T, -1) ?? "";
    lua.lua_settop(T, -2);
    // Only a memory error can get here: say so as a value.
    return ok ? text : JSON.stringify(`<value could not be encoded: ${text}>`);
  }

  /** The value's own representations (`__display`), by MIME type; never throws. */
  #own(T: number, idx: number): Record<string, unknown> | undefined {
    const lua = this.#api.lua;
    if (lua.lua_type(T, idx) !== LuaTypeId.table) return undefined;
    const top = lua.lua_gettop(T);
    lua.lua_rawgeti(T, REG, BigInt(this.#ownRef));
    lua.lua_pushvalue(T, idx);
    try {
      if (lua.lua_pcallk(T, 1, LUA_MULTRET, 0, 0, null) !== LuaStatus.ok) return undefined;
      const last = lua.lua_gettop(T);
      return last > top ? mimeData(this.#api, T, top + 1, last) : undefined;
    } catch {
      return undefined;
    } finally {
      lua.lua_settop(T, top);
    }
  }

  /** Answers a completion, inspection, is-complete or modules question (between executions). */
  query(q: EngineQuery): QueryAnswer {
    if (q.kind === "modules") return { kind: "modules", files: [...this.#moduleFiles] };
    this.#introspector ??= new Introspector(this.#api, this.#L0, {
      env: this.#envRef,
      format: this.#formatRef,
      json: this.#jsonRef,
    });
    Atomics.store(this.#control, Control.signal, Signal.none);
    return this.#introspector.answer(q);
  }

  #collectGarbage(): void {
    const lua = this.#api.lua;
    lua.lua_rawgeti(this.#L0, REG, BigInt(this.#gcRef));
    lua.lua_pcallk(this.#L0, 0, 0, 0, 0, null);
  }

  #setArgs(T: number, args: ScriptArgs): void {
    const api = this.#api;
    const lua = api.lua;
    lua.lua_rawgeti(T, REG, BigInt(this.#envRef));
    lua.lua_createtable(T, args.positional.length, Object.keys(args.named).length + 1);
    api.pushString(T, args.script);
    lua.lua_rawseti(T, -2, 0n);
    args.positional.forEach((p, i) => {
      api.pushString(T, p);
      lua.lua_rawseti(T, -2, BigInt(i + 1));
    });
    for (const [k, v] of Object.entries(args.named)) {
      api.pushString(T, v);
      lua.lua_setfield(T, -2, k);
    }
    lua.lua_setfield(T, -2, "ARGS");
    lua.lua_createtable(T, args.raw.length, 1);
    api.pushString(T, args.script);
    lua.lua_rawseti(T, -2, 0n);
    args.raw.forEach((p, i) => {
      api.pushString(T, p);
      lua.lua_rawseti(T, -2, BigInt(i + 1));
    });
    lua.lua_setfield(T, -2, "arg");
    lua.lua_settop(T, -2);
  }
}

/** Drops the header line and the engine's own frames from a Lua traceback. */
export function cleanTraceback(tb: string): string[] {
  const lines = tb.split("\n").slice(1).map((l) => l.replace(/^\t/, ""));
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith("[C]: in function 'xpcall'")) break;
    if (line.startsWith("[llmspell ")) continue;
    out.push(line);
  }
  return out;
}
