/**
 * Kernel benchmark: jupyter_client drives our kernel and Debian's ipykernel in the same
 * run, alternating (bench/kernel_driver.py says what each figure is): start → first
 * kernel_info_reply; `x=1` round trip (reply + idle) median and p99; 10 and 50 clients with
 * one print(1) each in flight, every client receiving every output.
 *
 * Each figure is the median over the repeats; the ratio is the median of the per-repeat
 * (paired) ratios, so both kernels of a pair saw the same machine load.
 *
 * Our kernel runs as users run it: the kernelspec is installed by the bundle that install.sh's
 * launcher runs (scripts/build.ts, no config). `--sources` installs it from main.ts instead, as
 * a developer's `deno task start kernel install` does: Deno then reads deno.json's lockfile and
 * the sources' whole module graph at each start.
 *
 * `--no-clients` leaves out the 10- and 50-client rows (the start and round-trip rows only).
 *
 *   deno run -A bench/kernel.ts [--rounds 2000] [--repeat 3] [--sources] [--no-clients]
 */
import * as path from "node:path";
import { build } from "../scripts/build.ts";
import { flagValue, hasFlag, installKernelspec, loadAvg, machine, median, ROOT } from "./lib.ts";

const rounds = flagValue("--rounds", 2000);
const repeat = flagValue("--repeat", 3);
const dir = await Deno.makeTempDir({ prefix: "llmspell_bench_kernel_" });
const env = { LLMSPELL_HOME: `${dir}/home`, JUPYTER_PATH: `${dir}/prefix/share/jupyter` };

const sources = hasFlag("--sources");
const clients = hasFlag("--no-clients") ? [] : ["10", "50"];
if (!sources) await build(path.join(dir, "dist"));
await installKernelspec(
  `${dir}/prefix`,
  env,
  "llmspell_bench",
  sources ? path.join(ROOT, "main.ts") : path.join(dir, "dist", "cli", "main.js"),
);

type Result = Record<string, number | string>;
async function runOne(kernel: string): Promise<Result> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [`${ROOT}/bench/kernel_driver.py`, kernel, String(rounds), ...clients],
    env,
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  if (!out.success) throw new Error(`kernel_driver.py ${kernel} failed: ${lines.join("\n")}`);
  return JSON.parse(lines[lines.length - 1]);
}

const OURS = "llmspell_bench";
const THEIRS = "python3";
const results: Record<string, Result[]> = { [OURS]: [], [THEIRS]: [] };
const loads = [loadAvg()];
for (let r = 0; r < repeat; r++) {
  for (const k of r % 2 === 0 ? [OURS, THEIRS] : [THEIRS, OURS]) {
    const res = await runOne(k);
    results[k].push(res);
    console.error(JSON.stringify(res));
  }
  loads.push(loadAvg());
}

const rows: [string, string, string, number][] = [
  ["start → first kernel_info_reply (jupyter_client as is), ms", "start_ms", "≤ 0.2×", 0],
  ["start → first kernel_info_reply (client reconnect 1 ms), ms", "start_fast_ms", "≤ 0.2×", 0],
  [
    "start → first `x=1` reply, right after kernel_info (reconnect 1 ms), ms",
    "first_exec_ms",
    "",
    0,
  ],
  ["x=1 round trip median, BlockingKernelClient, µs", "rtt_median_us", "≤ 0.3×", 0],
  ["x=1 round trip p99, BlockingKernelClient, µs", "rtt_p99_us", "", 0],
  ["x=1 round trip median, light Session client, µs", "rtt_light_median_us", "≤ 0.3×", 0],
  ["x=1 round trip p99, light Session client, µs", "rtt_light_p99_us", "", 0],
  ["10 clients, threads in one process, s", "clients_10_s", "", 3],
  ["50 clients, threads in one process, s", "clients_50_s", "throughput ≥ 3×", 3],
  ["10 clients, 5 processes, light, s", "mp_clients_10_s", "", 3],
  ["50 clients, 5 processes, light, s", "mp_clients_50_s", "throughput ≥ 3×", 3],
  ["10 clients, 5 processes, light, stream topics only, s", "mp_stream_clients_10_s", "", 3],
  [
    "50 clients, 5 processes, light, stream topics only, s",
    "mp_stream_clients_50_s",
    "throughput ≥ 3×",
    3,
  ],
  ["(diag) 50 clients, light: client CPU, s", "mp_clients_50_client_cpu_s", "", 3],
  ["(diag) 50 clients, stream topics: client CPU, s", "mp_stream_clients_50_client_cpu_s", "", 3],
];
const col = (k: string, f: string) => results[k].map((r) => Number(r[f]));
console.log(
  `${machine()}; load average ${loads.join(" → ")}; ${repeat} repeats, ${rounds} rounds; ` +
    `our kernel from ${sources ? "the sources" : "the bundle"}`,
);
console.log(`| test | llmspell | ipykernel | ratio (paired median) | per repeat | goal |`);
console.log(`| --- | --- | --- | --- | --- | --- |`);
for (const [label, f, goal, digits] of rows.filter(([, f]) => f in results[OURS][0])) {
  const a = col(OURS, f), b = col(THEIRS, f);
  const paired = a.map((x, i) => x / b[i]);
  // Wall times of N clients: the goal is on throughput, the inverse ratio.
  const wall = f.endsWith("_s") && !f.endsWith("cpu_s");
  const shown = wall ? paired.map((p) => 1 / p) : paired;
  const unit = wall ? "× throughput" : "×";
  console.log(
    `| ${label} | ${median(a).toFixed(digits)} | ${median(b).toFixed(digits)} | ${
      median(shown).toFixed(2)
    }${unit} | ${shown.map((p) => p.toFixed(2)).join(" ")} | ${goal} |`,
  );
}
for (const k of clients.length ? [OURS, THEIRS] : []) {
  const all = results[k].every((r) =>
    r.clients_10_complete === 10 && r.clients_50_complete === 50 &&
    r.mp_clients_10_complete === 10 && r.mp_clients_50_complete === 50 &&
    r.mp_stream_clients_10_complete === 10 && r.mp_stream_clients_50_complete === 50
  );
  console.log(`${k}: every client got every output in every run: ${all}`);
}
await Deno.remove(dir, { recursive: true });
