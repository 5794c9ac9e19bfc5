/**
 * The cost of recording a session on bench (b)'s scripts (bench/lua/*.lua): `llmspell run`
 * with sessions on (the default) against `[sessions] enabled = false`, paired per round.
 *
 * A script that makes no host call opens no database and records nothing, so each script
 * runs here after a first line that makes one recorded call (`State.set`): with sessions on
 * the run then opens its session, records that call and, at its end, the execution (code,
 * output, result, timings); with sessions off it writes the same value and nothing else.
 * Two figures per script: the work the script times itself with os.clock() (what (b)
 * compares), and the wall time of the whole process (spawn → exit), which also holds the
 * session's row, its records and the status at the end.
 *
 * Each ratio is the median of the per-round ratios with its bootstrap 90% interval; "all"
 * pools the per-round ratios of every script, which narrows the interval five times the data.
 *
 * Goal: on <= 1.05x off, for both figures (the pooled median; each script's is shown).
 *
 * Usage: deno run -A bench/recording.ts [--rounds N]
 */
import * as path from "node:path";
import { SCRIPTS } from "./lua_cpu.ts";
import {
  DENO,
  flagValue,
  fmt,
  fmtInterval,
  loadAvg,
  loadLine,
  machine,
  median,
  pairedRounds,
  parseMetric,
  ratioInterval,
  ROOT,
  runRetry,
  table,
  verdict,
} from "./lib.ts";
import { V8_FLAGS_ARG } from "../src/engine/host/v8_flags.ts";

const GOAL = 1.05;
const ROUNDS = flagValue("--rounds", 7);

const dir = await Deno.makeTempDir({ prefix: "llmspell-bench-recording-" });
const off = path.join(dir, "off.toml");
await Deno.writeTextFile(off, "[sessions]\nenabled = false\n");
const on = path.join(dir, "on.toml");
await Deno.writeTextFile(on, "");
for (const s of SCRIPTS) {
  const body = await Deno.readTextFile(path.join(ROOT, "bench", "lua", `${s}.lua`));
  await Deno.writeTextFile(path.join(dir, `${s}.lua`), `State.set("bench", "${s}")\n${body}`);
}

interface Sample {
  work: number;
  wall: number;
}
const before = loadAvg();

async function once(script: string, config: string): Promise<Sample> {
  const r = await runRetry(
    DENO,
    [
      "run",
      "-A",
      V8_FLAGS_ARG,
      path.join(ROOT, "main.ts"),
      "-c",
      config,
      "run",
      path.join(dir, `${script}.lua`),
    ],
    { cwd: dir, env: { LLMSPELL_HOME: dir } },
  );
  return { work: parseMetric(r.stdout), wall: r.wallMs };
}

const samples = await pairedRounds({
  rounds: ROUNDS,
  warmup: 1,
  groups: SCRIPTS,
  systems: ["on", "off"] as const,
  measure: (k, s) => once(s, k === "on" ? on : off),
});

// Every "on" run recorded a session; no "off" run did.
const { DatabaseSync } = await import("node:sqlite");
const db = new DatabaseSync(path.join(dir, "data", "llmspell.db"));
const sessions = Number(db.prepare("SELECT COUNT(*) AS n FROM sessions").get()!.n);
db.close();
if (sessions !== (ROUNDS + 1) * SCRIPTS.length) {
  throw new Error(`expected ${(ROUNDS + 1) * SCRIPTS.length} recorded sessions, found ${sessions}`);
}
await Deno.remove(dir, { recursive: true });

const ratios = (s: typeof SCRIPTS[number], k: keyof Sample) =>
  samples[s].on.map((x, i) => x[k] / samples[s].off[i][k]);
const rows = SCRIPTS.map((s) => [
  s,
  fmt(median(samples[s].on.map((x) => x.work))),
  fmt(median(samples[s].off.map((x) => x.work))),
  fmtInterval(ratioInterval(ratios(s, "work"))),
  fmt(median(samples[s].on.map((x) => x.wall))),
  fmt(median(samples[s].off.map((x) => x.wall))),
  fmtInterval(ratioInterval(ratios(s, "wall"))),
]);
const all = (k: keyof Sample) => ratioInterval(SCRIPTS.flatMap((s) => ratios(s, k)));
const work = all("work");
const wall = all("wall");
rows.push(["all", "", "", fmtInterval(work), "", "", fmtInterval(wall)]);
console.log(
  `Recording a session: llmspell run, sessions on vs [sessions] enabled = false, ${ROUNDS} paired rounds (${machine()})`,
);
console.log(table(
  ["script", "work on ms", "work off ms", "work x", "wall on ms", "wall off ms", "wall x"],
  rows,
));
console.log(loadLine(before));
console.log(
  `recording <= ${GOAL}x (pooled median, work and wall): ${
    verdict(work.median <= GOAL && wall.median <= GOAL)
  }`,
);
