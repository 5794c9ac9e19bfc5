/**
 * The cost of OpenTelemetry (src/telemetry/tracing.ts). jupyter_client drives our kernel with
 * tracing off and on (OTEL_DENO=true, exporting to a local OTLP/HTTP receiver in this process
 * that accepts and drops), alternating per repeat: `x=1` round trip medians (each cell makes an
 * execute_request span and an execute span) and the paired ratio on/off. Goal ≤ 1.02×.
 *
 *   deno run -A bench/telemetry.ts [--rounds 2000] [--repeat 5]
 *
 * Start-up with tracing off is measured against the commit before tracing with bench/ab.py
 * (bench/RESULTS.md says how).
 */
import { flagValue, installKernelspec, loadAvg, machine, median, ROOT } from "./lib.ts";

const rounds = flagValue("--rounds", 2000);
const repeat = flagValue("--repeat", 5);
const dir = await Deno.makeTempDir({ prefix: "llmspell_bench_otel_" });
const base = { LLMSPELL_HOME: `${dir}/home`, JUPYTER_PATH: `${dir}/prefix/share/jupyter` };

let exported = 0;
const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  await req.arrayBuffer();
  if (new URL(req.url).pathname === "/v1/traces") exported++;
  return new Response("{}", { headers: { "content-type": "application/json" } });
});
const on = {
  ...base,
  OTEL_DENO: "true",
  OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.addr.port}`,
};

await installKernelspec(`${dir}/prefix`, base);

type Result = Record<string, number>;
async function runOne(env: Record<string, string>): Promise<Result> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [`${ROOT}/bench/kernel_driver.py`, "llmspell", String(rounds)],
    env,
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  if (!out.success) throw new Error(`kernel_driver.py failed: ${lines.join("\n")}`);
  return JSON.parse(lines[lines.length - 1]);
}

const off: Result[] = [];
const onRes: Result[] = [];
const loads = [loadAvg()];
for (let r = 0; r < repeat; r++) {
  for (const which of r % 2 === 0 ? ["off", "on"] : ["on", "off"]) {
    const res = await runOne(which === "on" ? on : base);
    (which === "on" ? onRes : off).push(res);
    console.error(which, JSON.stringify(res));
  }
  loads.push(loadAvg());
}
await receiver.shutdown();
if (exported === 0) throw new Error("tracing on exported no spans: the bench measured nothing");

console.log(`\n${machine()}; load ${loads.join(" → ")}; ${rounds} rounds × ${repeat}`);
console.log("| x=1 round trip, µs | tracing off | tracing on | ratio (paired) | goal |");
console.log("| --- | --- | --- | --- | --- |");
for (
  const [label, key] of [["light Session client, median", "rtt_light_median_us"], [
    "BlockingKernelClient, median",
    "rtt_median_us",
  ]]
) {
  const a = median(off.map((r) => r[key]));
  const b = median(onRes.map((r) => r[key]));
  const ratio = median(off.map((r, i) => onRes[i][key] / r[key]));
  console.log(`| ${label} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${ratio.toFixed(3)}× | ≤ 1.02× |`);
}
await Deno.remove(dir, { recursive: true });
