/**
 * `exec`, `run` and `kernel start` load no Node.js module on the main thread before they
 * run Lua or answer a client: the first one starts Deno's Node.js compatibility layer there
 * (docs/decisions/0001-no-node-modules-on-start-up.md). The engine worker has its own test
 * (tests/engine/vendor_test.ts).
 */
import { assertEquals } from "../helpers/assert.ts";
import { EXEC_ROOTS, staticGraph } from "../helpers/module_graph.ts";

/** `importer -> node:x` for each Node.js module in the static graph of `root`. */
async function nodeImports(root: string): Promise<string[]> {
  return (await staticGraph(root)).edges.filter((e) => e.includes(" -> node:"));
}

Deno.test("exec and run load no Node.js module on the main thread", async () => {
  const found = new Set<string>();
  for (const root of EXEC_ROOTS) for (const f of await nodeImports(root)) found.add(f);
  assertEquals([...found].sort(), []);
});

/** What `kernel start` loads before it answers kernel_info: its store opens later. */
const KERNEL_ROOTS = [
  "main.ts",
  "src/cli/program.ts",
  "src/cli/kernel_cmd.ts",
  "src/kernel/service.ts",
];

Deno.test("kernel start loads no Node.js module before it answers", async () => {
  const found = new Set<string>();
  for (const root of KERNEL_ROOTS) for (const f of await nodeImports(root)) found.add(f);
  assertEquals([...found].sort(), []);
});
