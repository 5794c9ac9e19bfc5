/**
 * The import rules of docs/architecture.md hold on the real tree, and the checker fails on
 * each kind of forbidden import (the test of the test, on small made-up graphs).
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import {
  ARCHITECTURE_MD,
  check,
  checkInside,
  type Debt,
  type Edge,
  type Graph,
  parseRules,
  readGraph,
  type Rules,
} from "./boundaries.ts";
import { KNOWN_DEBT } from "./debt.ts";

const RULES = parseRules(await Deno.readTextFile(ARCHITECTURE_MD));
const NO_DEBT: Debt = { edges: [], cycles: [] };
const ENGINE = "src/engine/";
const ENGINE_RULES = parseRules(await Deno.readTextFile(ARCHITECTURE_MD), "engine-boundaries");

Deno.test("the module graph keeps the boundaries of docs/architecture.md (known debt aside)", async () => {
  const graph = await readGraph();
  assert(graph.edges.length > 300, `the graph was read (${graph.edges.length} imports)`);
  assert(graph.worker.has("src/engine/worker/runtime.ts"), "the worker's graph was read");
  assert(graph.worker.has("src/debug/worker/hook.ts"), "with the debugger it loads");
  assertEquals(check(graph, RULES, KNOWN_DEBT), []);
  assertEquals(checkInside(graph, ENGINE, ENGINE_RULES), []);
});

Deno.test("the boundaries table names the layers the issue asks for", () => {
  assert(RULES.size >= 12, "the table was read");
  assert(!RULES.get("src/engine/")!.has("src/debug/"), "engine may not import debug");
  assert(!RULES.get("src/repl/")!.has("src/cli/"), "repl may not import cli");
  // Logging (src/telemetry/, which imports only utilities) sits with the utilities: the one
  // logger shape is the protocols' too.
  const utilities = new Set(["src/*.ts", "src/telemetry/"]);
  const lows = ["src/telemetry/", "src/protocol/zmtp/", "src/protocol/jupyter/", "src/store/"];
  for (const low of lows) {
    const above = [...RULES.get(low)!].filter((t) => RULES.has(t) && !utilities.has(t));
    assertEquals(above, [], `${low} imports only utilities`);
  }
  assertEquals([...RULES.get("src/*.ts")!], [], "utilities import nothing");
});

/** A small tree that keeps the rules; each test below adds one import that breaks one. */
function tree(...extra: Edge[]): Graph {
  const e = (from: string, to: string, typeOnly = false): Edge => ({ from, to, typeOnly });
  return {
    edges: [
      e("main.ts", "src/cli/program.ts"),
      e("src/cli/program.ts", "src/kernel/kernel.ts"),
      e("src/kernel/kernel.ts", "src/engine/host/handle.ts"),
      e("src/engine/host/handle.ts", "src/engine/shared/protocol.ts"),
      e("src/engine/worker/worker.ts", "src/engine/shared/protocol.ts"),
      e("src/engine/worker/worker.ts", "src/errors.ts"),
      e("src/store/store.ts", "node:sqlite"),
      e("src/debug/console.ts", "src/engine/host/handle.ts"),
      ...extra,
    ],
    worker: new Set([
      "src/engine/worker/worker.ts",
      "src/engine/shared/protocol.ts",
      "src/errors.ts",
    ]),
  };
}
const edge = (from: string, to: string, typeOnly = false): Edge => ({ from, to, typeOnly });

Deno.test("checker: the small tree passes", () => {
  assertEquals(check(tree(), RULES, NO_DEBT), []);
});

Deno.test("checker: engine → debug fails, even type-only", () => {
  const problems = check(
    tree(edge("src/engine/worker/runtime.ts", "src/debug/x.ts", true)),
    RULES,
    NO_DEBT,
  );
  assert(
    problems.some((p) => p.startsWith("forbidden import: src/engine/worker/runtime.ts")),
    problems.join("\n"),
  );
});

Deno.test("checker: repl → cli fails", () => {
  const problems = check(tree(edge("src/repl/session.ts", "src/cli/script.ts")), RULES, NO_DEBT);
  assert(
    problems.some((p) => p.includes("src/repl/ may not import src/cli/")),
    problems.join("\n"),
  );
});

Deno.test("checker: protocol, store or a utility importing anything above them fails", () => {
  for (
    const [from, to] of [
      ["src/protocol/zmtp/socket.ts", "src/kernel/kernel.ts"],
      ["src/protocol/jupyter/wire.ts", "src/engine/shared/protocol.ts"],
      ["src/store/store.ts", "src/config/mod.ts"],
      ["src/path.ts", "src/engine/posix_path.ts"],
    ]
  ) {
    const problems = check(tree(edge(from, to)), RULES, NO_DEBT);
    assert(problems.some((p) => p.startsWith(`forbidden import: ${from}`)), `${from}: ${problems}`);
  }
});

Deno.test("checker: a Node.js module or npm package in the worker's graph fails", () => {
  for (const to of ["node:path", "npm:wasmoon"]) {
    const problems = check(tree(edge("src/engine/worker/worker.ts", to)), RULES, NO_DEBT);
    assert(
      problems.some((p) => p.startsWith(`the engine worker's graph loads ${to}`)),
      problems.join("\n"),
    );
  }
  // A type-only import of an npm package loads nothing.
  const typeOnly = edge("src/engine/shared/protocol.ts", "npm:@vscode/debugprotocol", true);
  const problems = check(tree(typeOnly), RULES, NO_DEBT);
  assert(!problems.some((p) => p.includes("worker")), problems.join("\n"));
});

Deno.test("checker: a cycle between units fails, even through allowed imports", () => {
  // kernel may import engine; engine importing kernel back is forbidden and a cycle.
  const problems = check(
    tree(edge("src/engine/host/handle.ts", "src/kernel/kernel.ts")),
    RULES,
    NO_DEBT,
  );
  assert(problems.some((p) => p.startsWith("import cycle between units")), problems.join("\n"));
  // The rules table itself may not allow one.
  const rules: Rules = new Map(RULES);
  rules.set("src/engine/", new Set([...RULES.get("src/engine/")!, "src/kernel/"]));
  assert(
    check(tree(), rules, NO_DEBT).some((p) => p.startsWith("the rules allow a cycle")),
    "a cycle in the rules",
  );
});

Deno.test("checker: a cycle between modules fails; type-only imports do not make one", () => {
  const a = edge("src/cli/a.ts", "src/cli/b.ts");
  const problems = check(tree(a, edge("src/cli/b.ts", "src/cli/a.ts")), RULES, NO_DEBT);
  assert(problems.some((p) => p.startsWith("import cycle between modules")), problems.join("\n"));
  assertEquals(check(tree(a, edge("src/cli/b.ts", "src/cli/a.ts", true)), RULES, NO_DEBT), []);
});

Deno.test("checker: a module outside every unit fails", () => {
  const problems = check(tree(edge("src/nowhere/x.ts", "src/store/store.ts")), RULES, NO_DEBT);
  assert(problems.some((p) => p.startsWith("src/nowhere/x.ts is in no unit")), problems.join("\n"));
});

Deno.test("checker: known debt is allowed, and debt that no longer occurs fails", () => {
  const bad = edge("src/repl/session.ts", "src/cli/script.ts");
  const debt: Debt = { edges: [{ from: bad.from, to: bad.to, why: "test" }], cycles: [] };
  assertEquals(check(tree(bad), RULES, debt), []);
  const problems = check(tree(), RULES, debt);
  assert(problems.some((p) => p.startsWith("known debt no longer occurs")), problems.join("\n"));
});

Deno.test("checker: known debt covers only its own edge", () => {
  const debt = KNOWN_DEBT.edges.map((d) => edge(d.from, d.to));
  const cycleEdges = KNOWN_DEBT.cycles.flatMap(({ modules }) =>
    modules.map((m, i) => edge(m, modules[(i + 1) % modules.length]))
  );
  const graph = tree(...debt, ...cycleEdges, edge("src/engine/vm/lua_wasm.ts", "src/debug/hit.ts"));
  const forbidden = check(graph, RULES, KNOWN_DEBT).filter((p) => p.startsWith("forbidden"));
  assertEquals(forbidden, [
    "forbidden import: src/engine/vm/lua_wasm.ts -> src/debug/hit.ts " +
    "(src/engine/ may not import src/debug/)",
  ]);
});

Deno.test("the engine's table keeps the threads apart", () => {
  assertEquals([...ENGINE_RULES.keys()].sort(), [
    "src/engine/host/",
    "src/engine/shared/",
    "src/engine/vm/",
    "src/engine/wasm/",
    "src/engine/worker/",
  ]);
  assert(
    !ENGINE_RULES.get("src/engine/host/")!.has("src/engine/worker/"),
    "host may not import worker",
  );
  assert(
    !ENGINE_RULES.get("src/engine/worker/")!.has("src/engine/host/"),
    "worker may not import host",
  );
  for (const low of ["src/engine/shared/", "src/engine/wasm/"]) {
    assertEquals([...ENGINE_RULES.get(low)!], [], `${low} imports nothing of the engine`);
  }
});

Deno.test("checker: inside the engine, the small tree passes", () => {
  assertEquals(checkInside(tree(), ENGINE, ENGINE_RULES), []);
});

Deno.test("checker: inside the engine, host ↔ worker and a lower folder importing up fail", () => {
  for (
    const [from, to] of [
      ["src/engine/host/handle.ts", "src/engine/worker/runtime.ts"],
      ["src/engine/worker/runtime.ts", "src/engine/host/handle.ts"],
      ["src/engine/shared/protocol.ts", "src/engine/vm/capi.ts"],
      ["src/engine/vm/capi.ts", "src/engine/worker/runtime.ts"],
      ["src/engine/wasm/wasm_encode.ts", "src/engine/vm/lua_h.ts"],
    ]
  ) {
    // Type-only imports count too.
    const problems = checkInside(tree(edge(from, to, true)), ENGINE, ENGINE_RULES);
    assert(problems.some((p) => p.startsWith(`forbidden import: ${from}`)), `${from}: ${problems}`);
  }
});

Deno.test("checker: a module of the engine outside its folders fails", () => {
  const problems = checkInside(
    tree(edge("src/engine/loose.ts", "src/engine/shared/protocol.ts")),
    ENGINE,
    ENGINE_RULES,
  );
  assert(
    problems.some((p) => p.startsWith("src/engine/loose.ts is in no folder")),
    problems.join("\n"),
  );
});
