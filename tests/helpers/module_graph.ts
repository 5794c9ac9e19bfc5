/**
 * The static module graph of an entry as Deno loads it at start-up, for the tests that keep
 * modules off a start-up path: what `deno info --json` reports, walked from the entry along
 * static imports only (a dynamic import loads when it runs, a type-only import never does).
 */

const ROOT = new URL("../../", import.meta.url);

/**
 * What an embedded `exec` loads: main.ts, the runner of the command lines it reads itself
 * (script_line.ts), the command tree's way (program.ts and the command module it imports for
 * `exec`), and what script.ts imports for an embedded run.
 */
export const EXEC_ROOTS = [
  "main.ts",
  "src/cli/script_line.ts",
  "src/cli/program.ts",
  "src/cli/script_cmd.ts",
  "src/client/in_process.ts",
  "src/cli/connected.ts",
];

interface Dependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}

export interface StaticGraph {
  /** Every module reached, the entry's too: repository paths, or `node:x`, `npm:...` as is. */
  modules: string[];
  /** Every static import on the way, as `importer -> imported` (the same forms). */
  edges: string[];
}

/** The static graph of `root`, a path relative to the repository. */
export async function staticGraph(root: string): Promise<StaticGraph> {
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
  const name = (url: string) => url.replace(ROOT.href, "");
  const seen = new Set<string>();
  const edges: string[] = [];
  const todo = [...graph.roots];
  while (todo.length > 0) {
    const url = todo.pop()!;
    if (seen.has(url)) continue;
    seen.add(url);
    for (const d of modules.get(url)?.dependencies ?? []) {
      const target = d.code?.specifier;
      if (target === undefined || d.isDynamic) continue;
      edges.push(`${name(url)} -> ${name(target)}`);
      todo.push(target);
    }
  }
  return { modules: [...seen].map(name), edges };
}
