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
 * Goal: on <= 1.05x off on every script, for both figures.
 *
 * Usage: deno run -A bench/recording.ts [--rounds N]
 */
import * as path from "node:path";
import { SCRIPTS } from "./lua_cpu.ts";
import {
  DENO,
  flagValue,
  fmt,
  loadAvg,
  machine,
  median,
  parseMetric,
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
const samples: Record<string, { on: Sample[]; off: Sample[] }> = {};
for (const s of SCRIPTS) samples[s] = { on: [], off: [] };

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

for (let round = 0; round < ROUNDS; round++) {
  for (const s of SCRIPTS) {
    // Alternate which goes first, so that a burst of load falls on both alike.
    const order = round % 2 === 0 ? ["on", "off"] as const : ["off", "on"] as const;
    for (const k of order) samples[s][k].push(await once(s, k === "on" ? on : off));
  }
}

// Every "on" run recorded a session; no "off" run did.
const { DatabaseSync } = await import("node:sqlite");
const db = new DatabaseSync(path.join(dir, "data", "llmspell.db"));
const sessions = Number(db.prepare("SELECT COUNT(*) AS n FROM sessions").get()!.n);
db.close();
if (sessions !== ROUNDS * SCRIPTS.length) {
  throw new Error(`expected ${ROUNDS * SCRIPTS.length} recorded sessions, found ${sessions}`);
}
await Deno.remove(dir, { recursive: true });

const paired = (s: string, k: keyof Sample) =>
  median(samples[s].on.map((x, i) => x[k] / samples[s].off[i][k]));
let met = true;
const rows = SCRIPTS.map((s) => {
  const work = paired(s, "work");
  const wall = paired(s, "wall");
  met &&= work <= GOAL && wall <= GOAL;
  return [
    s,
    fmt(median(samples[s].on.map((x) => x.work))),
    fmt(median(samples[s].off.map((x) => x.work))),
    `${fmt(work, 3)}x`,
    fmt(median(samples[s].on.map((x) => x.wall))),
    fmt(median(samples[s].off.map((x) => x.wall))),
    `${fmt(wall, 3)}x`,
  ];
});
console.log(
  `Recording a session: llmspell run, sessions on vs [sessions] enabled = false, ${ROUNDS} paired rounds (${machine()}, load ${loadAvg()})`,
);
console.log(table(
  ["script", "work on ms", "work off ms", "work x", "wall on ms", "wall off ms", "wall x"],
  rows,
));
console.log(`recording <= ${GOAL}x on every script (work and wall): ${verdict(met)}`);
