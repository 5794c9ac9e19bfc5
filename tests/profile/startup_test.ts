/**
 * Nothing of the profiler loads unless a run is profiled: the static module graphs of the
 * program's start (main.ts and what an `exec`/`run` loads), of the kernel and the REPL, and
 * of the engine worker reach neither src/profile/ nor src/engine/worker/sampler.ts; only dynamic
 * imports do.
 */
import { assertEquals } from "../helpers/assert.ts";
import { EXEC_ROOTS, staticGraph } from "../helpers/module_graph.ts";

const ROOTS = [
  ...EXEC_ROOTS,
  "src/kernel/kernel.ts",
  "src/repl/session.ts",
  "src/engine/worker/worker.ts",
  "src/engine/worker/runtime.ts",
];

Deno.test("profile: start-up, the kernel, the REPL and the worker load nothing of the profiler", async () => {
  for (const root of ROOTS) {
    const { modules } = await staticGraph(root);
    const profiler = modules.filter((m) =>
      m.startsWith("src/profile/") || m === "src/engine/worker/sampler.ts"
    );
    assertEquals(profiler, [], `${root} loads ${profiler.join(", ")}`);
  }
});
