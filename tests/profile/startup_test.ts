/**
 * Nothing of the profiler loads unless a run is profiled: the static module graphs of the
 * program's start (main.ts and what an `exec`/`run` loads), of the kernel and the REPL, and
 * of the engine worker reach neither src/profile/ nor src/engine/worker/sampler.ts; only dynamic
 * imports do.
 */
import { assertEquals } from "../helpers/assert.ts";

const ROOT = new URL("../../", import.meta.url);

const ROOTS = [
  "main.ts",
  "src/cli/script_line.ts",
  "src/cli/program.ts",
  "src/cli/script_cmd.ts",
  "src/cli/connected.ts",
  "src/client/in_process.ts",
  "src/kernel/kernel.ts",
  "src/repl/session.ts",
  "src/engine/worker/worker.ts",
  "src/engine/worker/runtime.ts",
];

interface Dependency {
  code?: { specifier: string };
  type?: { specifier: string };
  isDynamic?: boolean;
}

/** The modules `root` imports statically, transitively (type-only imports aside). */
async function staticGraph(root: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", root],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: { specifier: string; dependencies?: Dependency[] }[];
  };
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...graph.roots];
  while (todo.length > 0) {
    const url = todo.pop()!;
    if (seen.has(url)) continue;
    seen.add(url);
    for (const d of modules.get(url)?.dependencies ?? []) {
      if (d.code?.specifier && !d.isDynamic) todo.push(d.code.specifier);
    }
  }
  return [...seen].map((u) => u.replace(ROOT.href, ""));
}

Deno.test("profile: start-up, the kernel, the REPL and the worker load nothing of the profiler", async () => {
  for (const root of ROOTS) {
    const graph = await staticGraph(root);
    const profiler = graph.filter((m) =>
      m.startsWith("src/profile/") || m === "src/engine/worker/sampler.ts"
    );
    assertEquals(profiler, [], `${root} loads ${profiler.join(", ")}`);
  }
});
