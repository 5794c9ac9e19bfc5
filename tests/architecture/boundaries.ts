/**
 * The import rules of docs/architecture.md ("Boundaries"), read from its table, and a checker
 * that applies them to a module graph read with `deno info --json`. boundaries_test.ts runs it
 * on the real tree and on small graphs made up to break each rule.
 */

export const ROOT = new URL("../../", import.meta.url);
export const ARCHITECTURE_MD = new URL("docs/architecture.md", ROOT);

/** One import: `from` a repository path, `to` a repository path or an external specifier. */
export interface Edge {
  from: string;
  /** A repository path (`src/engine/host/handle.ts`) or `node:x`, `npm:name`. */
  to: string;
  /** A type-only import (`import type`): counts for layering, not for cycles or the worker. */
  typeOnly: boolean;
}

/** The graph the rules apply to. */
export interface Graph {
  /** Every import of every module of main.ts, src/, scripts/ and bench/. */
  edges: Edge[];
  /** The modules of the engine worker's graph (from WORKER_ENTRIES, dynamic imports too). */
  worker: Set<string>;
}

/** unit → what it may import: unit ids (`src/engine/`, `src/*.ts`, `main.ts`), externals, `*`. */
export type Rules = Map<string, Set<string>>;

/** Violations that exist today and are allowed until fixed (debt.ts). */
export interface Debt {
  /** `from -> to` imports. */
  edges: { from: string; to: string; why: string }[];
  /** Import cycles between modules, by their member modules. */
  cycles: { modules: string[]; why: string }[];
}

const UTILITIES = "src/*.ts";

/**
 * Reads a rules table: the Boundaries table (between `<!-- boundaries:begin -->` and
 * `:end -->`), or with `table` another one, e.g. `engine-boundaries` (the engine's folders).
 */
export function parseRules(markdown: string, table = "boundaries"): Rules {
  const m = markdown.match(new RegExp(`<!-- ${table}:begin -->([\\s\\S]*?)<!-- ${table}:end -->`));
  if (!m) throw new Error(`docs/architecture.md has no ${table} table`);
  const rules: Rules = new Map();
  for (const line of m[1].split("\n")) {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (cells.length < 2 || !cells[0].startsWith("`")) continue;
    const unit = cells[0].replaceAll("`", "");
    const allowed = new Set([...cells[1].matchAll(/`([^`]+)`/g)].map((t) => t[1]));
    rules.set(unit, allowed);
  }
  return rules;
}

/** The unit of a repository path: the longest unit folder containing it, or undefined. */
export function unitOf(path: string, rules: Rules): string | undefined {
  if (rules.has(path)) return path;
  let best: string | undefined;
  for (const unit of rules.keys()) {
    if (unit.endsWith("/") && path.startsWith(unit) && unit.length > (best?.length ?? 0)) {
      best = unit;
    }
  }
  if (best) return best;
  if (/^src\/[^/]+\.ts$/.test(path) && rules.has(UTILITIES)) return UTILITIES;
  return undefined;
}

function isExternal(spec: string): boolean {
  return /^[a-z]+:/.test(spec);
}

/** Strongly connected components with more than one node (Tarjan). */
export function cycles(nodes: Iterable<string>, next: (n: string) => Iterable<string>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out;
}

function adjacency(pairs: Iterable<[string, string]>): Map<string, Set<string>> {
  const adj = new Map<string, Set<string>>();
  for (const [a, b] of pairs) {
    if (!adj.has(a)) adj.set(a, new Set());
    if (!adj.has(b)) adj.set(b, new Set());
    adj.get(a)!.add(b);
  }
  return adj;
}

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** Every broken rule, one line each; empty when the graph keeps them all. */
export function check(graph: Graph, rules: Rules, debt: Debt): string[] {
  const problems: string[] = [];
  const isDebt = (e: Edge) => debt.edges.some((d) => d.from === e.from && d.to === e.to);
  const usedDebt = new Set<string>();

  // The rules table itself must not allow a cycle between units.
  const ruleCycles = cycles(
    rules.keys(),
    (u) => [...(rules.get(u) ?? [])].filter((t) => rules.has(t) && !rules.get(t)!.has("*")),
  );
  for (const c of ruleCycles) {
    problems.push(`the rules allow a cycle between units: ${c.join(", ")}`);
  }

  // Each import of another unit, or of an external module, must be allowed.
  const unitEdges: [string, string][] = [];
  for (const e of graph.edges) {
    const from = unitOf(e.from, rules);
    if (!from) {
      problems.push(`${e.from} is in no unit: add its folder to the boundaries table`);
      continue;
    }
    const external = isExternal(e.to);
    const to = external ? e.to : unitOf(e.to, rules);
    if (!to) {
      problems.push(`${e.to} (imported by ${e.from}) is in no unit: add its folder to the table`);
      continue;
    }
    if (to === from) continue;
    if (isDebt(e)) {
      usedDebt.add(`${e.from} -> ${e.to}`);
      continue;
    }
    if (!external) unitEdges.push([from, to]);
    const allowed = rules.get(from)!;
    if (!allowed.has("*") && !allowed.has(to)) {
      problems.push(`forbidden import: ${e.from} -> ${e.to} (${from} may not import ${to})`);
    }
  }

  // No import cycle between units (known debt aside).
  const units = adjacency(unitEdges);
  for (const c of cycles(units.keys(), (u) => units.get(u)!)) {
    problems.push(`import cycle between units: ${c.join(", ")}`);
  }

  // No import cycle between modules, type-only imports aside.
  const modules = adjacency(
    graph.edges.filter((e) => !e.typeOnly && !isExternal(e.to)).map((e) => [e.from, e.to]),
  );
  for (const c of cycles(modules.keys(), (m) => modules.get(m)!)) {
    const known = debt.cycles.find((d) => sameSet(d.modules, c));
    if (known) usedDebt.add(`cycle ${known.modules.join(", ")}`);
    else problems.push(`import cycle between modules: ${c.join(", ")}`);
  }

  // The engine worker loads no Node.js module or npm package.
  for (const e of graph.edges) {
    if (graph.worker.has(e.from) && !e.typeOnly && /^(node|npm):/.test(e.to)) {
      problems.push(`the engine worker's graph loads ${e.to} (from ${e.from})`);
    }
  }

  // Debt that no longer occurs must leave the list, so that it cannot come back unnoticed.
  for (const d of debt.edges) {
    if (!usedDebt.has(`${d.from} -> ${d.to}`)) {
      problems.push(`known debt no longer occurs, remove it from debt.ts: ${d.from} -> ${d.to}`);
    }
  }
  for (const d of debt.cycles) {
    if (!usedDebt.has(`cycle ${d.modules.join(", ")}`)) {
      problems.push(`known debt no longer occurs, remove it from debt.ts: cycle ${d.modules}`);
    }
  }
  return problems;
}

/**
 * The rules between the folders of one unit (`inside`, e.g. `src/engine/`): every module of
 * the unit must be in a folder of `rules`, and an import between two of its folders must be
 * listed (type-only imports count). One line per broken rule.
 */
export function checkInside(graph: Graph, inside: string, rules: Rules): string[] {
  const problems: string[] = [];
  const folderOf = (path: string) => {
    let best: string | undefined;
    for (const f of rules.keys()) {
      if (path.startsWith(f) && f.length > (best?.length ?? 0)) best = f;
    }
    return best;
  };
  const modules = new Set(graph.edges.flatMap((e) => [e.from, e.to]));
  for (const m of [...modules].sort()) {
    if (m.startsWith(inside) && !folderOf(m)) {
      problems.push(`${m} is in no folder of ${inside}: move it into one of the table's folders`);
    }
  }
  for (const e of graph.edges) {
    if (!e.from.startsWith(inside) || !e.to.startsWith(inside)) continue;
    const from = folderOf(e.from);
    const to = folderOf(e.to);
    if (!from || !to || from === to) continue;
    if (!rules.get(from)!.has(to)) {
      problems.push(`forbidden import: ${e.from} -> ${e.to} (${from} may not import ${to})`);
    }
  }
  return problems;
}

interface InfoDependency {
  specifier: string;
  code?: { specifier: string };
  type?: { specifier: string };
}

interface Info {
  modules: { specifier: string; dependencies?: InfoDependency[] }[];
}

async function denoInfo(root: string): Promise<Info> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", new URL("deno.json", ROOT).pathname, root],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`deno info ${root}: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** `npm:@scope/name@1.2.3/x` → `npm:@scope/name`; a repository URL → its path. */
function normalize(spec: string): string | undefined {
  if (spec.startsWith(ROOT.href)) return spec.slice(ROOT.href.length);
  const npm = spec.match(/^npm:\/?((?:@[^/@]+\/)?[^/@]+)/);
  if (npm) return `npm:${npm[1]}`;
  if (spec.startsWith("node:")) return spec;
  return undefined;
}

function edgesOf(info: Info): Edge[] {
  const edges: Edge[] = [];
  for (const m of info.modules) {
    const from = normalize(m.specifier);
    if (!from || isExternal(from)) continue;
    for (const d of m.dependencies ?? []) {
      const target = d.code?.specifier ?? d.type?.specifier;
      const to = target === undefined ? undefined : normalize(target);
      if (to !== undefined) edges.push({ from, to, typeOnly: d.code === undefined });
    }
  }
  return edges;
}

async function tsFiles(dir: URL, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      out.push(...await tsFiles(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`));
    } else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(`${prefix}${e.name}`);
  }
  return out;
}

/**
 * The entries of the engine worker's graph: the worker, and the debugger that a debugging
 * engine's worker loads (named by the program, src/debug/provide.ts, not imported).
 */
export const WORKER_ENTRIES = [
  "src/engine/worker/worker.ts",
  "src/debug/worker/worker_debugger.ts",
];

/**
 * The graph of every module in main.ts, src/, scripts/ and bench/ (one `deno info` of a
 * temporary module that imports them all, so that modules no entry reaches count too), and
 * the engine worker's graph.
 */
export async function readGraph(): Promise<Graph> {
  const files = ["main.ts"];
  for (const dir of ["src", "scripts", "bench"]) {
    files.push(...await tsFiles(new URL(`${dir}/`, ROOT), `${dir}/`));
  }
  const tmp = await Deno.makeTempDir({ prefix: "llmspell-boundaries-" });
  try {
    const root = `${tmp}/all.ts`;
    await Deno.writeTextFile(
      root,
      files.map((f) => `import "${new URL(f, ROOT).href}";\n`).join(""),
    );
    const all = await denoInfo(root);
    const workerModules = new Set<string>();
    for (const entry of WORKER_ENTRIES) {
      const worker = await denoInfo(new URL(entry, ROOT).pathname);
      for (const m of worker.modules) {
        const s = normalize(m.specifier);
        if (s !== undefined && !isExternal(s)) workerModules.add(s);
      }
    }
    return { edges: edgesOf(all), worker: workerModules };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
