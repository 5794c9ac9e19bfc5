/**
 * The cost of OpenTelemetry (src/telemetry/tracing.ts) on a kernel round trip. Goal ≤ 1.02×.
 *
 * bench/telemetry_driver.py runs one kernel with tracing off and, beside it, one per way of
 * having it on (OTEL_DENO=true, exporting to bench/otlp_sink.ts, a stand-in collector in a
 * process of its own that reads each request and drops it), all at once, and drives them from
 * one jupyter_client process in rounds of `x=1` blocks, one block per kernel in a random order
 * (each cell makes an execute_request span and an execute span): first with the light Session
 * client, then with BlockingKernelClient. Each round gives, per way, the ratio on/off of the
 * blocks' median round trips (and of their means, which keep the slow round trips an export
 * may cause). The figures are the median of those ratios with a bootstrap 90% interval that
 * resamples the kernel sets and then the rounds within each, so that it includes how one
 * kernel process differs from another. With the A/A kernel (`off` among the ways), each way is
 * also given against the geometric mean of the two off kernels, per set, with an interval over
 * the sets: the figure bench/RESULTS.md reports.
 *
 * The ways on (`--protocol`, comma-separated): `default` leaves OTEL_EXPORTER_OTLP_PROTOCOL
 * unset (Deno's default, http/protobuf); `http/json`; `unsampled` makes the spans but samples
 * none (OTEL_TRACES_SAMPLER=always_off): the cost of making spans without exporting them;
 * `off` a second kernel with tracing off (an A/A check: how far two kernel processes differ).
 * `--tree DIR` adds a kernel run from another checkout (another commit) with the default
 * protocol, to compare two versions of the tracing code in the same rounds.
 *
 *   chrt -r 1 deno run -A bench/telemetry.ts [--sets 4] [--rounds 60] [--block 50]
 *     [--warmup 1000] [--protocol default,http/json] [--tree DIR]
 *
 * Start-up with tracing off is measured against the commit before tracing with bench/ab.py
 * (bench/RESULTS.md says how).
 */
import {
  flagText,
  flagValue,
  fmtInterval,
  installKernelspec,
  loadAvg,
  machine,
  median,
  ratioInterval,
  ROOT,
} from "./lib.ts";

const sets = flagValue("--sets", 4);
const rounds = flagValue("--rounds", 60);
const block = flagValue("--block", 50);
const warmup = flagValue("--warmup", 1000);
const protocols = (flagText("--protocol") ?? "default,http/json").split(",");
const tree = flagText("--tree");
const dir = await Deno.makeTempDir({ prefix: "llmspell_bench_otel_" });
const base = { LLMSPELL_HOME: `${dir}/home`, JUPYTER_PATH: `${dir}/prefix/share/jupyter` };

const sink = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", "--quiet", `${ROOT}/bench/otlp_sink.ts`],
  stdin: "piped",
  stdout: "piped",
}).spawn();
const sinkOut = sink.stdout.pipeThrough(new TextDecoderStream()).getReader();
const endpoint = `http://127.0.0.1:${Number((await sinkOut.read()).value)}`;

function onEnv(protocol: string): Record<string, string> {
  if (protocol === "off") return {};
  const env: Record<string, string> = { OTEL_DENO: "true", OTEL_EXPORTER_OTLP_ENDPOINT: endpoint };
  if (protocol === "unsampled") env.OTEL_TRACES_SAMPLER = "always_off";
  else if (protocol !== "default") env.OTEL_EXPORTER_OTLP_PROTOCOL = protocol;
  return env;
}

interface Arm {
  kernel: string;
  env: Record<string, string>;
}
const arms: Record<string, Arm> = { off: { kernel: "llmspell", env: {} } };
/** The second tracing-off kernel's arm (`--protocol off`). */
const AA = "off (A/A)";
for (const p of protocols) {
  arms[p === "off" ? AA : p] = { kernel: "llmspell", env: onEnv(p) };
}
await installKernelspec(`${dir}/prefix`, base);
if (tree) {
  arms[`default, ${tree}`] = { kernel: "llmspell_tree", env: onEnv("default") };
  await installKernelspec(`${dir}/prefix`, base, "llmspell_tree", `${tree}/main.ts`);
}
const ways = Object.keys(arms).filter((a) => a !== "off");

type Block = { median: number; mean: number };
type Round = Record<string, Block>;
type Client = "light" | "blocking";
type SetResult = Record<Client, Round[]>;

async function runSet(): Promise<SetResult> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      `${ROOT}/bench/telemetry_driver.py`,
      String(warmup),
      String(rounds),
      String(block),
      JSON.stringify(arms),
    ],
    cwd: `${ROOT}/bench`,
    env: base,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim().split("\n");
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) throw new Error(`telemetry_driver.py failed:\n${stderr}`);
  // The kernels' stderr: an exporter that failed would say so here.
  if (stderr) console.error(stderr);
  return JSON.parse(stdout[stdout.length - 1]);
}

const ratioOf = (way: string, stat: keyof Block) => (r: Round) => r[way][stat] / r.off[stat];

const results: SetResult[] = [];
const loads = [loadAvg()];
for (let i = 0; i < sets; i++) {
  const r = await runSet();
  results.push(r);
  loads.push(loadAvg());
  console.error(
    `set ${i + 1}: ` + ways.map((w) =>
      `${w} light ${median(r.light.map(ratioOf(w, "median"))).toFixed(3)}×, blocking ${
        median(r.blocking.map(ratioOf(w, "median"))).toFixed(3)
      }×`
    ).join("; ") + ` (load ${loads[loads.length - 1]})`,
  );
}
sink.stdin.close();
const received = JSON.parse((await sinkOut.read()).value ?? "{}");
await sink.status;
if (
  ways.some((w) => !["unsampled", AA].includes(w)) && !received["/v1/traces"]?.requests
) {
  throw new Error("tracing on exported no spans: the bench measured nothing");
}

/**
 * The median of `ratio` over all rounds, and its bootstrap 90% interval over the kernel sets and
 * the rounds within each.
 */
function interval(runs: Round[][], ratio: (r: Round) => number): string {
  return fmtInterval(ratioInterval(runs.map((run) => run.map(ratio))));
}

console.log(`\n${machine()}; load ${loads.join(" → ")}`);
console.log(
  `${sets} kernel sets × ${rounds} rounds × ${block} round trips per client after ${warmup}; ` +
    "sink received " +
    JSON.stringify(received),
);
/**
 * Each set's ratio (median over its rounds) against the geometric mean of its two tracing-off
 * kernels, and the median over sets with a bootstrap 90% interval over the sets: the first off
 * kernel can come out faster or slower than the second for a whole run (bench/RESULTS.md,
 * Telemetry), which the plain ratio, against the first alone, carries into every way's figure.
 * Needs the A/A kernel (`--protocol off,...`).
 */
function againstBothOff(runs: Round[][], way: string): string {
  if (!ways.includes(AA) || way === AA) return "";
  return fmtInterval(ratioInterval(runs.map((run) => {
    const aa = median(run.map(ratioOf(AA, "median")));
    return [median(run.map(ratioOf(way, "median"))) / Math.sqrt(aa)];
  })));
}

console.log(
  "| x=1 round trip | tracing on | off, median | on, median | ratio of medians [90%] | " +
    "ratio of means [90%] | against both off kernels [90%] | per kernel set | goal |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const client of ["light", "blocking"] as const) {
  const runs = results.map((r) => r[client]);
  const flat = runs.flat();
  for (const way of ways) {
    const perSet = runs.map((r) => median(r.map(ratioOf(way, "median"))).toFixed(3)).join(" ");
    console.log(
      `| ${client === "light" ? "light Session client" : "BlockingKernelClient"} | ${way} | ` +
        `${median(flat.map((r) => r.off.median)).toFixed(0)} µs | ` +
        `${median(flat.map((r) => r[way].median)).toFixed(0)} µs | ` +
        `${interval(runs, ratioOf(way, "median"))} | ${interval(runs, ratioOf(way, "mean"))} | ` +
        `${againstBothOff(runs, way)} | ${perSet} | ≤ 1.02× |`,
    );
  }
}
await Deno.remove(dir, { recursive: true });
