/**
 * State from Lua against raw node:sqlite, in the same process and the same run.
 *
 * Lua: `State.set` and `State.get` in a loop, through an Engine made here as `run` makes
 * it (the calls cross the host-call channel to this thread, which serves them from the
 * store). Its session is recorded, as by default: each State.set commits with its record.
 * A second engine with `[sessions] enabled = false` shows what the record costs. Raw: the
 * same writes and reads on the same kind of database (WAL, synchronous NORMAL, the same
 * upsert and select on a table of the same shape) with prepared statements and no Lua at
 * all. Rounds alternate the two, so load on the machine falls on both alike; each ratio is
 * the median of the rounds' ratios (paired).
 *
 * Goals: get >= 0.5x raw's rate, set (recorded) >= 0.3x.
 *
 * Usage: deno run -A bench/state.ts [--rounds N] [--ops N]
 */
import { DatabaseSync } from "node:sqlite";
import { Engine } from "../src/engine/host/handle.ts";
import { encodeValue } from "../src/engine/shared/host_values.ts";
import { provideApi } from "../src/api/globals.ts";
import { flagValue, fmt, loadAvg, machine, median, table, verdict } from "./lib.ts";

const ROUNDS = flagValue("--rounds", 5);
const OPS = flagValue("--ops", 5000);
const GET_GOAL = 0.5;
const SET_GOAL = 0.3;

const home = await Deno.makeTempDir({ prefix: "llmspell-bench-state-" });
Deno.env.set("LLMSPELL_HOME", home);

provideApi();
async function engineFor(recordSessions: boolean): Promise<Engine> {
  const e = new Engine({ interruptible: false });
  await e.init({
    securityLevel: "safe",
    allowedPaths: [],
    maxMemoryBytes: 0,
    timeoutMs: 0,
    cwd: home,
    recordSessions,
  });
  return e;
}
const engine = await engineFor(true);
const unrecorded = await engineFor(false);

/** Runs a chunk to its end; ms of wall time on this thread. */
async function lua(code: string, on = engine): Promise<number> {
  const t0 = performance.now();
  for await (const ev of on.execute({ code, chunkName: "=bench", echo: false })) {
    if (ev.type === "error") throw new Error(ev.error.message);
  }
  return performance.now() - t0;
}

// The raw side: the same table as migration 3, the same statements as the repository.
const raw = new DatabaseSync(`${home}/raw.db`);
raw.exec("PRAGMA journal_mode = WAL");
raw.exec("PRAGMA synchronous = NORMAL");
raw.exec(`CREATE TABLE state (scope TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
  version INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (scope, key)) STRICT, WITHOUT ROWID`);
const upsert = raw.prepare(
  `INSERT INTO state (scope, key, value, version, updated_at) VALUES (?, ?, ?, 1, ?)
   ON CONFLICT (scope, key) DO UPDATE
   SET value = excluded.value, version = version + 1, updated_at = excluded.updated_at`,
);
const select = raw.prepare("SELECT value FROM state WHERE scope = ? AND key = ?");

function rawSet(): number {
  const t0 = performance.now();
  for (let i = 1; i <= OPS; i++) {
    upsert.run("global", `k${i % 100}`, encodeValue(BigInt(i)), new Date().toISOString());
  }
  return performance.now() - t0;
}

function rawGet(): number {
  const t0 = performance.now();
  let n = 0;
  for (let i = 1; i <= OPS; i++) {
    const row = select.get("global", `k${i % 100}`) as { value: Uint8Array };
    n += row.value.length;
  }
  if (n === 0) throw new Error("raw get read nothing");
  return performance.now() - t0;
}

const LUA_SET = `for i = 1, ${OPS} do State.set("k" .. (i % 100), i) end`;
const LUA_GET = `local n = 0 for i = 1, ${OPS} do n = n + State.get("k" .. (i % 100)) end
assert(n > 0)`;

// Warm-up: loads the host server and the store, fills the keys.
await lua(LUA_SET);
await lua(LUA_SET, unrecorded);
rawSet();

const rates = {
  luaSet: [] as number[],
  unrecordedSet: [] as number[],
  rawSet: [] as number[],
  luaGet: [] as number[],
  rawGet: [] as number[],
};
const perSecond = (ms: number) => OPS / (ms / 1000);
for (let r = 0; r < ROUNDS; r++) {
  const luaFirst = r % 2 === 0;
  if (!luaFirst) rates.rawSet.push(perSecond(rawSet()));
  rates.luaSet.push(perSecond(await lua(LUA_SET)));
  rates.unrecordedSet.push(perSecond(await lua(LUA_SET, unrecorded)));
  if (luaFirst) rates.rawSet.push(perSecond(rawSet()));
  if (luaFirst) rates.luaGet.push(perSecond(await lua(LUA_GET)));
  rates.rawGet.push(perSecond(rawGet()));
  if (!luaFirst) rates.luaGet.push(perSecond(await lua(LUA_GET)));
}
engine.close();
unrecorded.close();
raw.close();
await Deno.remove(home, { recursive: true });

const paired = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]));
const setRatio = paired(rates.luaSet, rates.rawSet);
const unrecordedRatio = paired(rates.unrecordedSet, rates.rawSet);
const getRatio = paired(rates.luaGet, rates.rawGet);
console.log(
  `State from Lua vs raw node:sqlite: ${OPS} ops x ${ROUNDS} rounds (${machine()}, load ${loadAvg()})`,
);
console.log(table(["op", "Lua State/s", "raw node:sqlite/s", "ratio", "goal", ""], [
  [
    "set (session recorded)",
    fmt(median(rates.luaSet), 0),
    fmt(median(rates.rawSet), 0),
    fmt(setRatio, 2) + "x",
    `>= ${SET_GOAL}x`,
    verdict(setRatio >= SET_GOAL),
  ],
  [
    "set (sessions off)",
    fmt(median(rates.unrecordedSet), 0),
    fmt(median(rates.rawSet), 0),
    fmt(unrecordedRatio, 2) + "x",
    "",
    "",
  ],
  [
    "get",
    fmt(median(rates.luaGet), 0),
    fmt(median(rates.rawGet), 0),
    fmt(getRatio, 2) + "x",
    `>= ${GET_GOAL}x`,
    verdict(getRatio >= GET_GOAL),
  ],
]));
