/**
 * `exec`, `run` and `kernel start` load no Node.js module on the main thread before they
 * run Lua or answer a client: the first one starts Deno's Node.js compatibility layer there
 * (docs/decisions/0001-no-node-modules-on-start-up.md). The engine worker has its own test
 * (tests/engine/vendor_test.ts).
 */
import { assertEquals } from "../helpers/assert.ts";

const ROOT = new URL("../../", import.meta.url);

/**
 * What an embedded `exec` loads: main.ts, the runner of the command lines it reads itself
 * (script_line.ts), the command tree's way (program.ts and the command module it imports for
 * `exec`), and what script.ts imports for an embedded run.
 */
const ROOTS = [
  "main.ts",
  "src/cli/script_line.ts",
  "src/cli/program.ts",
  "src/cli/script_cmd.ts",
  "src/client/in_process.ts",
  "src/cli/connected.ts",
];

interface Dependency {
  specifier: string;
  code?: { specifier: string };
  isDynamic?: boolean;
}

/** `importer -> node:x` for each Node.js module in the static graph of `root`. */
async function nodeImports(root: string): Promise<string[]> {
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
  const found: string[] = [];
  const todo = [...graph.roots];
  while (todo.length > 0) {
    const url = todo.pop()!;
    if (seen.has(url)) continue;
    seen.add(url);
    for (const d of modules.get(url)?.dependencies ?? []) {
      const target = d.code?.specifier;
      if (target === undefined || d.isDynamic) continue;
      if (target.startsWith("node:")) found.push(`${url.replace(ROOT.href, "")} -> ${target}`);
      else todo.push(target);
    }
  }
  return found;
}

Deno.test("exec and run load no Node.js module on the main thread", async () => {
  const found = new Set<string>();
  for (const root of ROOTS) for (const f of await nodeImports(root)) found.add(f);
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
