/**
 * Kernel benchmark: jupyter_client drives our kernel and Debian's ipykernel in the same
 * run (alternating): start → first kernel_info_reply; `x=1` round trip (reply + idle)
 * median and p99; 10 and 50 clients with one print(1) each in flight, every client
 * receiving every output.
 *
 *   deno run -A bench/kernel.ts [--rounds 2000] [--repeat 3]
 */
const args = Deno.args;
const opt = (name: string, d: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const rounds = opt("--rounds", 2000);
const repeat = opt("--repeat", 3);
const root = new URL("../", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "llmspell_bench_kernel_" });
const env = { LLMSPELL_HOME: `${dir}/home`, JUPYTER_PATH: `${dir}/prefix/share/jupyter` };

const install = await new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "--quiet",
    `${root}main.ts`,
    "kernel",
    "install",
    "--prefix",
    `${dir}/prefix`,
    "--name",
    "llmspell_bench",
  ],
  env,
  stdout: "null",
}).output();
if (!install.success) throw new Error("kernel install failed");

type Result = Record<string, number | string>;
async function runOne(kernel: string): Promise<Result> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [`${root}bench/kernel_driver.py`, kernel, String(rounds), "10", "50"],
    env,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

const results: Record<string, Result[]> = { llmspell_bench: [], python3: [] };
for (let r = 0; r < repeat; r++) {
  for (const k of ["llmspell_bench", "python3"]) {
    const res = await runOne(k);
    results[k].push(res);
    console.error(JSON.stringify(res));
  }
}
const best = (k: string, f: string, dirn: 1 | -1 = 1) =>
  results[k].map((r) => Number(r[f])).sort((a, b) => dirn * (a - b))[0];
const rows = [
  ["start → first kernel_info_reply, ms", "start_ms", "≤ 0.2×"],
  ["x=1 round trip median, µs", "rtt_median_us", "≤ 0.3×"],
  ["x=1 round trip p99, µs", "rtt_p99_us", ""],
  ["10 clients, one print(1) each, s", "clients_10_s", ""],
  ["50 clients, one print(1) each, s", "clients_50_s", "throughput ≥ 3×"],
];
console.log(`| test | llmspell | ipykernel | ratio | goal |`);
console.log(`| --- | --- | --- | --- | --- |`);
for (const [label, f, goal] of rows) {
  const a = best("llmspell_bench", f), b = best("python3", f);
  console.log(
    `| ${label} | ${a.toFixed(f.endsWith("_s") ? 3 : 0)} | ${
      b.toFixed(f.endsWith("_s") ? 3 : 0)
    } | ${(a / b).toFixed(2)}× | ${goal} |`,
  );
}
for (const k of Object.keys(results)) {
  console.log(
    `${k}: every client got every output in every run: ${
      results[k].every((r) => r.clients_10_complete === 10 && r.clients_50_complete === 50)
    }`,
  );
}
await Deno.remove(dir, { recursive: true });
