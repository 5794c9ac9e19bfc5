/**
 * Engine worker entry. Lua runs here, never on the main thread (docs/architecture.md, Threads).
 *
 * Start-up is on the critical path of every `exec`: glue.wasm compiles on V8's background
 * threads, started by the main thread before it created this worker (wasm_module.ts), while
 * this worker starts and loads the runtime's modules; the Lua state is prepared as soon as
 * both are here, and `init`, which brings the configuration the main thread has read,
 * completes it. Nothing here may import a Node.js module (node:*, or an npm package that
 * does): see docs/decisions/0001-no-node-modules-on-start-up.md.
 */
/// <reference lib="deno.worker" />
import { type EngineWasm, instantiateLua, openState } from "../vm/lua_wasm.ts";
import { precompileTrampolines } from "../vm/trampolines.ts";
import { type FromWorker, RingRecord, type ToWorker } from "../shared/protocol.ts";
import { RingWriter, writeJson } from "../shared/output_ring.ts";
import type { LuaRuntime } from "./runtime.ts";

/** The compiled glue.wasm, the main thread's first message. */
let gotWasm!: (w: EngineWasm) => void;
const wasm = new Promise<EngineWasm>((r) => gotWasm = r);
precompileTrampolines();
/** The shared memory of an interruptible engine (see handle.ts EngineStart). */
let memory: WebAssembly.Memory | undefined;

/**
 * The memory limit: the wasm heap may not grow past it, so Lua's allocator fails and Lua
 * raises "not enough memory" (the runtime reports "memory limit exceeded"). The heap never
 * shrinks, but Lua frees into it, so the engine stays usable after a failed cell. This
 * costs nothing per allocation, unlike wasmoon's allocation tracing. See
 * docs/decisions/0003-memory-limit-by-heap-cap.md.
 */
let heapCap = 0;

/**
 * The Lua state, prepared as soon as the wasm and the runtime's modules are here, before
 * `init` brings the options (LuaRuntime.prepare). A failure is reported at `init`.
 */
const state = wasm.then((w) => {
  // Made while the runtime's modules still load: it needs none of them.
  const lua = instantiateLua(w, () => heapCap);
  return { lua, L: openState(lua) };
});
const prepared: Promise<LuaRuntime> = Promise.all([state, import("./runtime.ts")]).then(
  ([{ lua, L }, { LuaRuntime }]) => LuaRuntime.prepare(lua, L),
);
prepared.catch(() => {});
/** The output ring; an execution's outcome is its last record (RingRecord.done). */
let out: RingWriter | undefined;
let runtime: LuaRuntime | undefined;
/**
 * Settles when `init` has: the main thread posts executions right after `init`, and
 * they wait for it here.
 */
let initDone: Promise<void> = Promise.resolve();
/**
 * The profiler (sampler.ts), loaded at the first profiled execution. Once it is loading,
 * every execution waits for it, so that they still run in the order they came.
 */
let samplerModule: Promise<typeof import("./sampler.ts")> | undefined;

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

/**
 * Loads a debugging engine's debugger (once); false if it failed, which fails the
 * debugger's requests but not the engine.
 */
function loadDebugger(rt: LuaRuntime): Promise<boolean> {
  return rt.loadDebugger().then(() => true, (e) => {
    post({ type: "debuggerFailed", message: e instanceof Error ? e.message : String(e) });
    return false;
  });
}

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  try {
    switch (msg.type) {
      case "wasm":
        memory = msg.memory;
        gotWasm(msg);
        break;
      case "init": {
        heapCap = msg.options.maxMemoryBytes;
        const ring = out = new RingWriter(msg.output);
        initDone = prepared.then((rt) => {
          // `memory` is here once the state is: it came with the wasm.
          const shared = { debuggerModule: msg.debuggerModule, memory };
          rt.configure(msg.options, new Int32Array(msg.control), ring, shared);
          runtime = rt;
        });
        await initDone;
        post({ type: "ready", debugChannel: runtime?.debugChannel });
        break;
      }
      case "execute": {
        await initDone;
        if (!runtime || !out) throw new Error("engine used before init");
        // A debugger loading (after the first execution) is there before the next one
        // runs: a request made while that runs must be able to reach it.
        const loading = runtime.debuggerLoading;
        if (loading) await loading;
        if (msg.request.profile) samplerModule ??= import("./sampler.ts");
        const sampler = samplerModule && (await samplerModule).Sampler;
        const outcome = runtime.execute(msg.request, msg.id, msg.request.profile && sampler);
        const profile = runtime.takeProfile();
        if (profile) writeJson(out, RingRecord.profile, profile);
        writeJson(out, RingRecord.done, { id: msg.id, outcome });
        // A debugging engine's debugger loads now, while idle (runtime.ts loadDebugger).
        loadDebugger(runtime);
        break;
      }
      case "query": {
        await initDone;
        if (!runtime) throw new Error("engine used before init");
        post({ type: "answer", id: msg.id, answer: runtime.query(msg.query) });
        break;
      }
      case "debugPoke":
        if (runtime && await loadDebugger(runtime)) runtime.debugPoke();
        break;
      case "close":
        self.close();
        break;
    }
  } catch (e) {
    post({
      type: "fatal",
      message: e instanceof Error ? e.message : String(e),
      stack: e instanceof Error ? e.stack : undefined,
    });
  }
};
