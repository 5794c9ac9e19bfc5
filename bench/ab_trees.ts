/**
 * Paired A/B of two trees of llmspell (two commits) on the benches that a change of layout
 * must leave alone: (a) start-up, (b) Lua CPU, (c) the interruptible engine, and the kernel's
 * start and round trip. Issue 14 (folders by thread and layer, big files split) asks for it:
 * the tree before the structure work against today's, in the same run.
 *
 * Each tree is checked out as a temporary git worktree (`deno install` into it, sharing the
 * Deno cache), built as install.sh builds it (scripts/build.ts, then the launcher of
 * bench/startup.ts around that tree's bundle and V8 flags) and its kernelspec installed by
 * that bundle, as users install it (bench/lib.ts installKernelspec; `--sources`: by its
 * main.ts, so that the kernel runs from the sources as bench/kernel.ts --sources does). Then,
 * after one warm-up round (transpile and code caches of a fresh tree), every round runs each
 * measure on both trees back to back (lib.ts pairedRounds: which tree goes first alternates
 * from one round to the next), so that the machine's changes of speed fall on both alike:
 *
 *   (a)      `exec 'print(1)'` through the launcher: wall time spawn → exit, ms
 *   (b)      each script of bench/lua/ under `llmspell run` (from the sources, as
 *            bench/lua_cpu.ts runs it): the script's own os.clock() time, ms
 *   (c)      the same scripts through the tree's bench/engine_harness.ts, interruptible with
 *            a time limit armed, and the batch engine of `run`: os.clock() time, ms
 *   kernel   bench/kernel_driver.py (jupyter_client) against the tree's kernelspec: start →
 *            first kernel_info_reply (reconnect 1 ms), start → first `x=1` reply, the
 *            `x=1` round trip median of the light Session client, and the kernel's CPU
 *            per such round trip by thread (main, the engine's worker, the rest)
 *
 * Both trees run the same Lua files (this tree's bench/lua/) and the same driver (this
 * tree's bench/kernel_driver.py). For each figure it prints both trees' medians and the
 * median of the per-pair ratios new/old with a bootstrap 90% interval (as bench/ab.py); an
 * interval without 1 is a difference beyond this run's noise. The worktrees and every
 * temporary file are removed at the end, also when a run fails or is interrupted.
 *
 * It compares trees rather than measuring this one, so bench/run.ts does not run it.
 *
 *   deno run -A bench/ab_trees.ts [--old REV] [--new REV] [--rounds N] [--exec-per-round K]
 *        [--kernel-rtt N] [--only a,b,c,kernel] [--sources]
 *
 * --old defaults to 6637b31, the tree before issue 14's first move (bench/RESULTS.md,
 * "Structure A/B"), --new to HEAD; 10 rounds, 4 exec pairs a round, 300 round trips per
 * kernel run. On the shared 2-core machine run it under `chrt -r 1` (every child inherits the
 * real-time policy, so the threads of a run get the cores as on an idle machine).
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { SCRIPTS } from "./lua_cpu.ts";
import {
  DENO,
  flagText,
  flagValue,
  fmt,
  fmtInterval,
  hasFlag,
  installKernelspec,
  loadAvg,
  loadLine,
  machine,
  median,
  mustRun,
  pairedRounds,
  parseMetric,
  ratioInterval,
  ROOT,
} from "./lib.ts";

/** The parent of 9b5b66a, issue 14's first commit that moved code (bench/RESULTS.md). */
const BASE = "6637b31";

const rounds = flagValue("--rounds", 10);
const execPerRound = flagValue("--exec-per-round", 4);
const kernelRtt = flagValue("--kernel-rtt", 300);
const only = new Set((flagText("--only") ?? "a,b,c,kernel").split(","));

interface Tree {
  name: "old" | "new";
  rev: string;
  title: string;
  dir: string;
  /** The `--v8-flags=...` argument of the tree's own src/engine/.../v8_flags.ts. */
  v8: string;
  launcher: string;
  kernel: string;
  env: Record<string, string>;
}

const git = async (...args: string[]) =>
  (await mustRun("git", ["-C", ROOT, ...args])).stdout.trim();

async function v8FlagsArg(dir: string): Promise<string> {
  const file = (await mustRun("git", ["ls-files", "*/v8_flags.ts"], { cwd: dir })).stdout.trim();
  const mod: { V8_FLAGS_ARG: string } = await import(pathToFileURL(path.join(dir, file)).href);
  return mod.V8_FLAGS_ARG;
}

/** Checks out `rev` into `tmp/name` and makes it runnable as install.sh and Jupyter would. */
async function setUp(tmp: string, name: Tree["name"], rev: string): Promise<Tree> {
  const dir = path.join(tmp, name);
  await git("worktree", "add", "--detach", "--quiet", dir, rev);
  const t: Tree = {
    name,
    rev: await git("rev-parse", "--short", rev),
    title: await git("log", "-1", "--format=%s", rev),
    dir,
    v8: await v8FlagsArg(dir),
    launcher: path.join(tmp, `llmspell-${name}`),
    kernel: `llmspell_ab_${name}`,
    env: {
      LLMSPELL_HOME: path.join(tmp, `home-${name}`),
      JUPYTER_PATH: path.join(tmp, "prefix", "share", "jupyter"),
    },
  };
  await mustRun(DENO, ["install", "--quiet"], { cwd: dir });
  await mustRun(DENO, ["run", "-A", "--quiet", "scripts/build.ts"], { cwd: dir });
  // The launcher install.sh writes (its offline branch), as bench/startup.ts makes it.
  await Deno.writeTextFile(
    t.launcher,
    `#!/bin/sh\nexec "${DENO}" run -A --quiet --no-prompt --no-config --cached-only ` +
      `${t.v8} "${path.join(dir, "dist", "cli", "main.js")}" "$@"\n`,
  );
  await Deno.chmod(t.launcher, 0o755);
  await installKernelspec(
    path.join(tmp, "prefix"),
    t.env,
    t.kernel,
    path.join(dir, ...(hasFlag("--sources") ? ["main.ts"] : ["dist", "cli", "main.js"])),
  );
  return t;
}

async function tearDown(tmp: string): Promise<void> {
  for (const name of ["old", "new"]) {
    await mustRun("git", ["-C", ROOT, "worktree", "remove", "--force", path.join(tmp, name)])
      .catch(() => {});
  }
  await git("worktree", "prune");
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}

/**
 * The measures: each runs once on a tree and gives one sample of each of its figures, by
 * label. Keyed by group ((a), (b), (c), kernel) and a name; (a) is there once for each of
 * its pairs in a round.
 */
type Measure = (t: Tree) => Promise<Record<string, number>>;
const lua = (s: string) => path.join(ROOT, "bench", "lua", `${s}.lua`);
const luaTime = (label: string, args: (t: Tree) => string[]): Measure => async (t) => ({
  [label]: parseMetric(
    (await mustRun(DENO, ["run", "-A", ...args(t)], { cwd: t.dir, env: t.env })).stdout,
  ),
});
const exec: Measure = async (t) => ({
  "(a) exec 'print(1)', launcher, wall ms":
    (await mustRun(t.launcher, ["exec", "print(1)"], { env: t.env })).wallMs,
});
const kernel: Measure = async (t) => {
  const r = await mustRun(
    "/usr/bin/python3",
    [path.join(ROOT, "bench", "kernel_driver.py"), t.kernel, String(kernelRtt)],
    { cwd: t.dir, env: t.env },
  );
  const k = JSON.parse(r.stdout.trim().split("\n").pop()!);
  return {
    "kernel start → kernel_info_reply (reconnect 1 ms), ms": k.start_fast_ms,
    "kernel start → first x=1 reply, ms": k.first_exec_ms,
    "kernel x=1 round trip median, light client, µs": k.rtt_light_median_us,
    "kernel CPU per light round trip, main thread, µs": k.cpu_light_main_us,
    "kernel CPU per light round trip, engine worker, µs": k.cpu_light_worker_us,
    "kernel CPU per light round trip, other threads, µs": k.cpu_light_other_us,
  };
};
const ALL: [string, Measure][] = [
  ...Array.from({ length: execPerRound }, (_, i): [string, Measure] => [`a ${i}`, exec]),
  ...SCRIPTS.flatMap((s): [string, Measure][] => [
    [`b ${s}`, luaTime(`(b) run ${s}, ms`, (t) => [t.v8, "main.ts", "run", lua(s)])],
    [
      `c ${s} armed`,
      luaTime(
        `(c) ${s}, interruptible, limit armed, ms`,
        () => ["bench/engine_harness.ts", lua(s), "--timeout-ms", "600000"],
      ),
    ],
    [
      `c ${s} batch`,
      luaTime(`(c) ${s}, batch engine, ms`, () => ["bench/engine_harness.ts", lua(s), "--batch"]),
    ],
  ]),
  ["kernel", kernel],
];
const MEASURES = new Map(ALL.filter(([g]) => only.has(g.split(" ")[0])));

function report(trees: Tree[], samples: Map<string, Record<Tree["name"], number[]>>): string {
  const out = [
    `old ${trees[0].rev} (${trees[0].title.slice(0, 70)})`,
    `new ${trees[1].rev} (${trees[1].title.slice(0, 70)})`,
    `${machine()}; scheduling policy ${schedPolicy()}; ${rounds} rounds ` +
    `(${execPerRound} exec pairs a round) after a warm-up round; kernels run ` +
    `${hasFlag("--sources") ? "from the sources" : "by the bundle"}`,
    "",
    "| measure | old median | new median | new/old, paired median [90% interval] | n | |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const [label, s] of samples) {
    const r = ratioInterval(s.new.map((x, i) => x / s.old[i]));
    const verdict = r.low <= 1 && r.high >= 1
      ? "within noise"
      : `new ${fmt(Math.abs(r.median - 1) * 100)}% ${r.median > 1 ? "slower" : "faster"}`;
    const digits = label.includes("µs") ? 0 : 1;
    out.push(
      `| ${label} | ${fmt(median(s.old), digits)} | ${fmt(median(s.new), digits)} | ` +
        `${fmtInterval(r)} | ${s.old.length} | ${verdict} |`,
    );
  }
  return out.join("\n");
}

/** The policy this process runs under (`chrt -r 1` gives SCHED_RR). */
function schedPolicy(): string {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ["SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "", "SCHED_IDLE"][
    Number(fields[38])
  ] ?? fields[38];
}

const tmp = await Deno.makeTempDir({ prefix: "llmspell_ab_trees_" });
const onSignal = () => tearDown(tmp).finally(() => Deno.exit(130));
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);
try {
  const started = performance.now();
  const before = loadAvg();
  const trees = {
    old: await setUp(tmp, "old", flagText("--old") ?? BASE),
    new: await setUp(tmp, "new", flagText("--new") ?? "HEAD"),
  };
  const loads: number[] = [];
  let runs = 0;
  // pairedRounds alternates which tree goes first from one round to the next; the first
  // round warms up the fresh trees' transpile and code caches and is dropped.
  const raw = await pairedRounds({
    rounds,
    warmup: 1,
    groups: [...MEASURES.keys()],
    systems: ["old", "new"] as const,
    measure: async (tree, group) => {
      const figures = await MEASURES.get(group)!(trees[tree]);
      loads.push(Number(loadAvg().split(" ")[0]));
      const round = ++runs / (2 * MEASURES.size) - 1;
      if (Number.isInteger(round)) {
        console.error(`${round ? `round ${round}/${rounds}` : "warm-up round"}: load ${loadAvg()}`);
      }
      return figures;
    },
  });
  // By figure: (a)'s groups pool into one, each pair kept together.
  const samples = new Map<string, Record<Tree["name"], number[]>>();
  for (const bySystem of Object.values(raw)) {
    bySystem.old.forEach((figures, i) => {
      for (const [label, v] of Object.entries(figures)) {
        if (!samples.has(label)) samples.set(label, { old: [], new: [] });
        samples.get(label)!.old.push(v);
        samples.get(label)!.new.push(bySystem.new[i][label]);
      }
    });
  }
  console.log(report([trees.old, trees.new], samples));
  console.log(
    `${loadLine(before)}; 1-min load during the rounds ${Math.min(...loads)}–` +
      `${Math.max(...loads)}; ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
} finally {
  await tearDown(tmp);
}
