/**
 * Paired A/B of two trees of llmspell (two commits) on the benches that a change of layout
 * must leave alone: (a) start-up, (b) Lua CPU, (c) the interruptible engine, and the kernel's
 * start and round trip. Issue 14 (folders by thread and layer, big files split) asks for it:
 * the tree before the structure work against today's, in the same run.
 *
 * Each tree is checked out as a temporary git worktree (`deno install` into it, sharing the
 * Deno cache), built as install.sh builds it (scripts/build.ts, then the launcher of
 * bench/startup.ts around that tree's bundle and V8 flags) and its kernelspec installed from
 * its sources. Then, after one warm-up round (transpile and code caches of a fresh tree),
 * every round runs each measure on both trees back to back, the order alternating from one
 * pair to the next, so that the machine's changes of speed fall on both alike:
 *
 *   (a)      `exec 'print(1)'` through the launcher: wall time spawn → exit, ms
 *   (b)      each script of bench/lua/ under `llmspell run` (from the sources, as
 *            bench/lua_cpu.ts runs it): the script's own os.clock() time, ms
 *   (c)      the same scripts through the tree's bench/engine_harness.ts, interruptible with
 *            a time limit armed, and the batch engine of `run`: os.clock() time, ms
 *   kernel   bench/kernel_driver.py (jupyter_client) against the tree's kernelspec: start →
 *            first kernel_info_reply (reconnect 1 ms), start → first `x=1` reply, and the
 *            `x=1` round trip median of the light Session client
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
 *        [--kernel-rtt N] [--only a,b,c,kernel]
 *
 * --old defaults to 6637b31, the tree before issue 14's first move (bench/RESULTS.md,
 * "Structure A/B"), --new to HEAD; 10 rounds, 4 exec pairs a round, 300 round trips per
 * kernel run. On the shared 2-core machine run it under `chrt -r 1` (every child inherits the
 * real-time policy, so the threads of a run get the cores as on an idle machine).
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { SCRIPTS } from "./lua_cpu.ts";
import {
  DENO,
  fmt,
  installKernelspec,
  loadAvg,
  machine,
  median,
  mustRun,
  parseMetric,
  ROOT,
} from "./lib.ts";

/** The parent of 9b5b66a, issue 14's first commit that moved code (bench/RESULTS.md). */
const BASE = "6637b31";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    old: { type: "string", default: BASE },
    new: { type: "string", default: "HEAD" },
    rounds: { type: "string", default: "10" },
    "exec-per-round": { type: "string", default: "4" },
    "kernel-rtt": { type: "string", default: "300" },
    only: { type: "string", default: "a,b,c,kernel" },
  },
});
const rounds = Number(opt.rounds);
const execPerRound = Number(opt["exec-per-round"]);
const kernelRtt = Number(opt["kernel-rtt"]);
const groups = new Set(opt.only.split(","));

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
  await installKernelspec(path.join(tmp, "prefix"), t.env, t.kernel, dir);
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

/** One run on one tree, giving one sample of each of its figures (keyed by label). */
interface Measure {
  group: string;
  /** Pairs per round. */
  pairs: number;
  run: (t: Tree) => Promise<Record<string, number>>;
}

const lua = (s: string) => path.join(ROOT, "bench", "lua", `${s}.lua`);
const luaTime = async (t: Tree, args: string[]) =>
  parseMetric((await mustRun(DENO, ["run", "-A", ...args], { cwd: t.dir, env: t.env })).stdout);

const ALL_MEASURES: Measure[] = [
  {
    group: "a",
    pairs: execPerRound,
    run: async (t) => ({
      "(a) exec 'print(1)', launcher, wall ms":
        (await mustRun(t.launcher, ["exec", "print(1)"], { env: t.env })).wallMs,
    }),
  },
  ...SCRIPTS.flatMap((s): Measure[] => [
    {
      group: "b",
      pairs: 1,
      run: async (t) => ({
        [`(b) run ${s}, ms`]: await luaTime(t, [t.v8, "main.ts", "run", lua(s)]),
      }),
    },
    {
      group: "c",
      pairs: 1,
      run: async (t) => ({
        [`(c) ${s} interruptible, limit armed, ms`]: await luaTime(t, [
          "bench/engine_harness.ts",
          lua(s),
          "--timeout-ms",
          "600000",
        ]),
      }),
    },
    {
      group: "c",
      pairs: 1,
      run: async (t) => ({
        [`(c) ${s} batch engine, ms`]: await luaTime(t, [
          "bench/engine_harness.ts",
          lua(s),
          "--batch",
        ]),
      }),
    },
  ]),
  {
    group: "kernel",
    pairs: 1,
    run: async (t) => {
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
      };
    },
  },
];
const MEASURES = ALL_MEASURES.filter((m) => groups.has(m.group));

/** Median of the ratios and its bootstrap 90% interval (1000 resamples, as bench/ab.py). */
function pairedRatio(ratios: number[]): [number, number, number] {
  const boots = Array.from(
    { length: 1000 },
    () => median(ratios.map(() => ratios[Math.floor(Math.random() * ratios.length)])),
  ).sort((a, b) => a - b);
  return [median(ratios), boots[50], boots[950]];
}

function report(trees: Tree[], samples: Map<string, Record<Tree["name"], number[]>>): string {
  const out = [
    "| measure | old median | new median | new/old (paired median) | 90% interval | n | |",
  ];
  out.push("| --- | --- | --- | --- | --- | --- | --- |");
  for (const [label, s] of samples) {
    const [r, lo, hi] = pairedRatio(s.new.map((x, i) => x / s.old[i]));
    const verdict = lo <= 1 && hi >= 1
      ? "within noise"
      : `new ${fmt(Math.abs(r - 1) * 100)}% ${r > 1 ? "slower" : "faster"}`;
    const digits = label.includes("round trip") ? 0 : 1;
    out.push(
      `| ${label} | ${fmt(median(s.old), digits)} | ${fmt(median(s.new), digits)} | ` +
        `${fmt(r, 3)}× | [${fmt(lo, 3)}, ${fmt(hi, 3)}] | ${s.old.length} | ${verdict} |`,
    );
  }
  const [o, n] = trees;
  out.unshift(
    `old ${o.rev} (${o.title.slice(0, 70)}); new ${n.rev} (${n.title.slice(0, 70)})`,
    `${machine()}; scheduling policy ${schedPolicy()}; ${rounds} rounds ` +
      `(${execPerRound} exec pairs a round) after a warm-up round`,
    "",
  );
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
  const trees = [await setUp(tmp, "old", opt.old), await setUp(tmp, "new", opt.new)];
  const samples = new Map<string, Record<Tree["name"], number[]>>();
  const loads = [loadAvg()];
  for (let round = -1; round < rounds; round++) { // round -1 warms the caches up, unrecorded
    for (const m of MEASURES) {
      for (let p = 0; p < m.pairs; p++) {
        const pair = (round + 1) * m.pairs + p; // each measure alternates its own order
        for (const t of pair % 2 ? [trees[1], trees[0]] : trees) {
          const figures = await m.run(t);
          if (round < 0) continue;
          for (const [label, v] of Object.entries(figures)) {
            if (!samples.has(label)) samples.set(label, { old: [], new: [] });
            samples.get(label)![t.name].push(v);
          }
        }
      }
    }
    loads.push(loadAvg());
    console.error(
      `${round < 0 ? "warm-up" : `round ${round + 1}/${rounds}`}: load ${loads.at(-1)}`,
    );
  }
  console.log(report(trees, samples));
  console.log(
    `load average (1, 5, 15 min) at start and after each round: ${loads.join(" → ")}; ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
} finally {
  await tearDown(tmp);
}
