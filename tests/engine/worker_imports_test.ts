import { assert, assertEquals } from "../helpers/assert.ts";
import { WORKER_DEBUGGER_URL } from "../../src/debug/provide.ts";

Deno.test("the engine worker imports no Node.js module (each costs ~20 ms of start-up)", async () => {
  // Walk the worker's import graph from its entry: static imports and the modules it
  // imports dynamically on every start (worker.ts), and from the debugger that a debugging
  // engine's worker loads (named by the program: src/debug/provide.ts).
  const seen = new Set<string>();
  const todo = [
    new URL("../../src/engine/worker/worker.ts", import.meta.url).href,
    WORKER_DEBUGGER_URL,
  ];
  const nodeImports: string[] = [];
  while (todo.length > 0) {
    const url = todo.pop()!;
    if (seen.has(url)) continue;
    seen.add(url);
    const text = await Deno.readTextFile(new URL(url));
    const statics = text.matchAll(/^\s*import\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gm);
    const dynamics = text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g);
    for (const m of [...statics, ...dynamics]) {
      const spec = m[1];
      if (spec.startsWith("node:") || !spec.startsWith(".")) nodeImports.push(`${url}: ${spec}`);
      else todo.push(new URL(spec, url).href);
    }
  }
  assert(seen.size > 5, "the walk found the worker's modules");
  assert(
    seen.has(new URL("../../src/debug/worker/hook.ts", import.meta.url).href),
    "and the debugger's",
  );
  assertEquals(nodeImports, []);
});
