/**
 * Engine worker entry. Lua runs here, never on the main thread (ARCHITECTURE.md §1).
 * The wasm module starts compiling as soon as the worker loads, before the main thread has
 * parsed arguments or read the configuration; `init` then creates the Lua state.
 */
/// <reference lib="deno.worker" />
import { LuaFactory } from "wasmoon";
import { RingWriter } from "./output_ring.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { LuaRuntime } from "./runtime.ts";

// wasmoon takes a Worker for a browser and would fetch glue.wasm over the network: give it
// the local file.
const wasmPath = new URL(import.meta.resolve("wasmoon/dist/glue.wasm")).pathname;
const factory = new LuaFactory(wasmPath);
const moduleReady = factory.getLuaModule();
let runtime: LuaRuntime | undefined;

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  try {
    switch (msg.type) {
      case "init": {
        await moduleReady;
        runtime = await LuaRuntime.create(
          factory,
          msg.options,
          new Int32Array(msg.control),
          new RingWriter(msg.output),
        );
        post({ type: "ready" });
        break;
      }
      case "execute": {
        if (!runtime) throw new Error("engine used before init");
        post({ type: "done", id: msg.id, outcome: runtime.execute(msg.request) });
        break;
      }
      case "close":
        self.close();
        break;
    }
  } catch (e) {
    post({ type: "fatal", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
};
