/**
 * Where `llmspell exec 'print(1)'` spends its start-up, measured in one process with
 * performance marks. Run by bench/startup.ts as a subprocess (several times, medians); the
 * parent passes its spawn time (epoch ms) in BENCH_SPAWN_EPOCH so that Deno's own boot is
 * part of the picture. Prints one JSON object of marks, in ms since spawn.
 *
 * Modes:
 *   --pieces  the engine's start-up steps one by one: src/engine/worker/worker.ts run inside a
 *             worker of this file, which wraps what it calls to mark each step
 *   --engine  the real path: Engine (src/engine/host/handle.ts) + init + execute, as exec does
 *   --cli     the main thread of `exec` without the engine: the CLI modules, the command
 *             tree for exec, the config, then the in-process kernel's modules
 *
 * This file has no static imports, so its first mark is taken before any module loads.
 */
/// <reference lib="deno.window" />
import type { FromWorker, ToWorker } from "../src/engine/shared/protocol.ts";
const epochNow = () => performance.timeOrigin + performance.now();
const spawn = Number(Deno.env.get("BENCH_SPAWN_EPOCH") ?? performance.timeOrigin);
const since = (t: number) => Math.round((t - spawn) * 100) / 100;

type Marks = Record<string, number>;

// deno-lint-ignore no-explicit-any
const inWorker = typeof (globalThis as any).WorkerGlobalScope !== "undefined";

if (inWorker) {
  // --- worker side of --pieces: the real src/engine/worker/worker.ts, its steps marked ------------
  // It runs in this worker's scope; what it calls is wrapped to take the marks, and it is
  // driven with the messages the main thread's Engine sends.
  const marks: Marks = { worker_first_line: epochNow() };
  // The main thread's first message: glue.wasm, compiled there (src/engine/host/wasm_module.ts).
  // worker.ts, once loaded, takes it with its own onmessage; one that came earlier is
  // handed over below.
  let early: ToWorker | undefined;
  let loaded = false;
  self.addEventListener("message", (e: MessageEvent<ToWorker>) => {
    marks.worker_wasm_received = epochNow();
    if (!loaded) early = e.data;
  });
  const { LuaRuntime } = await import("../src/engine/worker/runtime.ts");
  const prepare = LuaRuntime.prepare;
  LuaRuntime.prepare = (lua, L) => {
    // The instance and the state with its libraries exist (worker.ts makes them first).
    marks.worker_create_engine_done = epochNow();
    const rt = prepare.call(LuaRuntime, lua, L);
    marks.worker_prepared = epochNow();
    return rt;
  };
  const { Control, RingRecord } = await import("../src/engine/shared/protocol.ts");
  const { createRingBuffer, RingReader } = await import("../src/engine/shared/output_ring.ts");
  const output = createRingBuffer();
  const scope = self as unknown as {
    postMessage(m: FromWorker | Marks): void;
    onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  };
  const toMain = scope.postMessage.bind(scope);
  const replies: ((m: FromWorker) => void)[] = [];
  scope.postMessage = (m) => replies.shift()?.(m as FromWorker);
  const send = (data: ToWorker) =>
    new Promise<FromWorker>((resolve) => {
      replies.push(resolve);
      scope.onmessage!(new MessageEvent("message", { data }));
    });
  await import("../src/engine/worker/worker.ts");
  marks.worker_module_loaded = epochNow();
  loaded = true;
  if (early) scope.onmessage!(new MessageEvent("message", { data: early }));
  const ready = await send({
    type: "init",
    options: {
      securityLevel: "safe",
      allowedPaths: [Deno.cwd()],
      maxMemoryBytes: 0,
      timeoutMs: 0,
      cwd: Deno.cwd(),
    },
    control: new SharedArrayBuffer(Control.size * 4),
    output,
  });
  if (ready.type !== "ready") throw new Error(JSON.stringify(ready));
  marks.worker_prelude_done = epochNow();
  // The outcome is the last record in the output ring (RingRecord.done), not a message.
  await scope.onmessage!(
    new MessageEvent("message", {
      data: {
        type: "execute",
        id: 1,
        request: { code: "print(1)", chunkName: "=(command line)", echo: false },
      },
    }),
  );
  const done = new RingReader(output).drain().find((c) => c.stream === RingRecord.done);
  const outcome = done && JSON.parse(new TextDecoder().decode(done.data)).outcome;
  if (outcome?.status !== "ok") throw new Error(JSON.stringify(outcome));
  marks.worker_execute_done = epochNow();
  toMain(marks);
} else if (import.meta.main) {
  const marks: Marks = { main_first_line: epochNow() };
  const mode = Deno.args[0] ?? "--pieces";
  if (mode === "--pieces") {
    // As the Engine of `exec` does (a batch engine): the compile starts first.
    const { compileEngineWasm } = await import("../src/engine/host/wasm_module.ts");
    const wasm = compileEngineWasm(false);
    const worker = new Worker(import.meta.url, { type: "module" });
    marks.main_worker_created = epochNow();
    wasm.then(({ module }) => {
      marks.main_wasm_compiled = epochNow();
      worker.postMessage({ type: "wasm", module } satisfies ToWorker);
    });
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
    const { Engine } = await import("../src/engine/host/handle.ts");
    marks.main_handle_imported = epochNow();
    const engine = new Engine();
    marks.main_worker_created = epochNow();
    await engine.init({
      securityLevel: "safe",
      allowedPaths: [Deno.cwd()],
      maxMemoryBytes: 0,
      timeoutMs: 0,
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
