/**
 * Where `llmspell exec 'print(1)'` spends its start-up, measured in one process with
 * performance marks. Run by bench/startup.ts as a subprocess (several times, medians); the
 * parent passes its spawn time (epoch ms) in BENCH_SPAWN_EPOCH so that Deno's own boot is
 * part of the picture. Prints one JSON object of marks, in ms since spawn.
 *
 * Modes:
 *   --pieces  the engine's start-up steps one by one, in a worker of this file that does
 *             what src/engine/worker.ts does, with a mark between each step
 *   --engine  the real path: Engine (src/engine/handle.ts) + init + execute, as exec does
 *   --cli     the main thread of `exec` without the engine: the CLI modules, the command
 *             tree for exec, the config, then the in-process kernel's modules
 *
 * This file has no static imports, so its first mark is taken before any module loads.
 */
/// <reference lib="deno.window" />
import type { LuaFactory as LuaFactoryType } from "wasmoon";
const epochNow = () => performance.timeOrigin + performance.now();
const spawn = Number(Deno.env.get("BENCH_SPAWN_EPOCH") ?? performance.timeOrigin);
const since = (t: number) => Math.round((t - spawn) * 100) / 100;

type Marks = Record<string, number>;

// deno-lint-ignore no-explicit-any
const inWorker = typeof (globalThis as any).WorkerGlobalScope !== "undefined";

if (inWorker) {
  // --- worker side of --pieces: the steps of src/engine/worker.ts, marked -----------------
  const w = self as unknown as {
    postMessage(m: unknown): void;
    onmessage: ((e: MessageEvent) => void) | null;
  };
  const marks: Marks = { worker_first_line: epochNow() };
  const { LuaRuntime } = await import("../src/engine/runtime.ts");
  const { createRingBuffer, RingWriter } = await import("../src/engine/output_ring.ts");
  marks.worker_engine_modules_imported = epochNow();
  // As src/engine/worker.ts: glue.wasm read and compiled off-thread while the vendored wasmoon
  // (no Node.js compat) loads, then handed to emscripten's instantiateStreaming.
  const wasmPath = new URL(import.meta.resolve("wasmoon/dist/glue.wasm")).pathname;
  const wasmBinary = Deno.readFileSync(wasmPath);
  const compiled = WebAssembly.compile(wasmBinary);
  const wasmUrl = URL.createObjectURL(new Blob([wasmBinary], { type: "application/wasm" }));
  WebAssembly.instantiateStreaming = (async (_source: unknown, imports?: WebAssembly.Imports) => {
    const module = await compiled;
    return { module, instance: await WebAssembly.instantiate(module, imports) };
  }) as typeof WebAssembly.instantiateStreaming;
  const { LuaFactory } = await import("../src/engine/vendor/wasmoon.js");
  marks.worker_wasmoon_imported = epochNow();
  const factory: LuaFactoryType = new LuaFactory(wasmUrl);
  await factory.getLuaModule();
  marks.worker_wasm_ready = epochNow();
  const orig = factory.createEngine.bind(factory);
  factory.createEngine = async (opts) => {
    const e = await orig(opts);
    marks.worker_create_engine_done = epochNow();
    return e;
  };
  const control = new Int32Array(new SharedArrayBuffer(64));
  const rt = await LuaRuntime.create(
    factory,
    {
      securityLevel: "safe",
      allowedPaths: [Deno.cwd()],
      maxMemoryBytes: 0,
      timeoutMs: 0,
      interactive: false,
      cwd: Deno.cwd(),
    },
    control,
    new RingWriter(createRingBuffer()),
  );
  marks.worker_prelude_done = epochNow();
  const outcome = rt.execute({ code: "print(1)", chunkName: "=(command line)", echo: false });
  marks.worker_execute_done = epochNow();
  if (outcome.status !== "ok") throw new Error(JSON.stringify(outcome));
  w.postMessage(marks);
} else if (import.meta.main) {
  const marks: Marks = { main_first_line: epochNow() };
  const mode = Deno.args[0] ?? "--pieces";
  if (mode === "--pieces") {
    const worker = new Worker(import.meta.url, { type: "module" });
    marks.main_worker_created = epochNow();
    const wmarks = await new Promise<Marks>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
    });
    marks.main_got_result = epochNow();
    Object.assign(marks, wmarks);
    worker.terminate();
  } else if (mode === "--engine") {
    const { Engine } = await import("../src/engine/handle.ts");
    marks.main_handle_imported = epochNow();
    const engine = new Engine();
    marks.main_worker_created = epochNow();
    await engine.init({
      securityLevel: "safe",
      allowedPaths: [Deno.cwd()],
      maxMemoryBytes: 0,
      timeoutMs: 0,
      interactive: false,
      cwd: Deno.cwd(),
    });
    marks.main_engine_ready = epochNow();
    for await (
      const ev of engine.execute({ code: "print(1)", chunkName: "=(command line)", echo: false })
    ) {
      if (ev.type === "stream" && marks.main_first_output === undefined) {
        marks.main_first_output = epochNow();
      }
    }
    marks.main_execute_done = epochNow();
    engine.close();
  } else if (mode === "--cli") {
    // What `exec` does on the main thread before and after it posts the engine its options.
    const { buildProgram } = await import("../src/cli/program.ts");
    marks.main_cli_imported = epochNow();
    await buildProgram(["exec", "print(1)"]);
    marks.main_program_built = epochNow();
    const { loadConfig } = await import("../src/config/load.ts");
    await loadConfig({ cwd: Deno.cwd(), env: Deno.env.toObject() });
    marks.main_config_loaded = epochNow();
    await Promise.all([import("../src/client/in_process.ts"), import("../src/cli/connected.ts")]);
    marks.main_kernel_imported = epochNow();
  }
  marks.deno_time_origin = performance.timeOrigin;
  const out: Marks = {};
  for (const [k, v] of Object.entries(marks)) out[k] = since(v);
  console.log(JSON.stringify(out));
  Deno.exit(0);
}
