/**
 * Runs every benchmark and prints its table: (a) start-up (bench/startup.ts), (b) and (c)
 * Lua CPU with and without the interrupt hook (bench/lua_cpu.ts), (d) the profiler's
 * overhead on the same scripts (bench/profile.ts), then the zmtp, kernel, debug, repl, llm,
 * state and recording benches, each as a subprocess. `deno task bench` calls this.
 *
 * Usage: deno run -A bench/run.ts [--quick] [--hyperfine] [--skip-startup] [--skip-lua]
 *        [--skip-profile] [--skip-zmtp] [--skip-kernel] [--skip-debug] [--skip-repl]
 *        [--skip-llm] [--skip-state] [--skip-recording]
 */
import * as path from "node:path";
import { runLuaCpu } from "./lua_cpu.ts";
import { PROFILE_GOAL, runProfileBench } from "./profile.ts";
import { DENO, hasFlag, loadAvg, machine, ROOT } from "./lib.ts";
import { runStartup } from "./startup.ts";

Deno.chdir(ROOT);
const quick = hasFlag("--quick");
const started = performance.now();
console.log(`# llmspell benchmarks ${new Date().toISOString()}${quick ? " (--quick)" : ""}`);
console.log(`machine: ${machine()}`);
console.log(`load average at start: ${loadAvg()}`);
console.log("");

const verdicts: string[] = [];
let failed = false;

if (!hasFlag("--skip-startup")) {
  const r = await runStartup({ quick, hyperfine: hasFlag("--hyperfine") });
  console.log(r.text + "\n");
  verdicts.push(`(a) start-up <= 3x deno hello: ${r.met ? "yes" : "no"}`);
}
if (!hasFlag("--skip-lua")) {
  const r = await runLuaCpu({ quick });
  console.log(r.text + "\n");
  verdicts.push(`(b) llmspell <= 1.05x raw wasmoon: ${r.wasmoonMet ? "yes" : "no"}`);
  verdicts.push(`(c) interrupt hook <= 1.6x: ${r.hookMet ? "yes" : "no"}`);
}
if (!hasFlag("--skip-profile")) {
  const r = await runProfileBench({ quick });
  console.log(r.text + "\n");
  verdicts.push(`(d) profile <= ${PROFILE_GOAL}x run: ${r.met ? "yes" : "no"}`);
}
/** Benches that run as their own process: name, file, and whether they take --quick. */
const SUBPROCESS_BENCHES: [string, string, boolean][] = [
  ["zmtp", "zmtp.ts", true],
  ["kernel", "kernel.ts", false],
  ["debug", "debug.ts", false],
  ["repl", "repl.ts", true],
  ["llm", "llm.ts", false],
  ["state", "state.ts", false],
  ["recording", "recording.ts", false],
];
for (const [name, file, takesQuick] of SUBPROCESS_BENCHES) {
  if (hasFlag(`--skip-${name}`)) continue;
  const args = [
    "run",
    "-A",
    path.join(ROOT, "bench", file),
    ...(quick && takesQuick ? ["--quick"] : []),
  ];
  const status = await new Deno.Command(DENO, { args, stdout: "inherit", stderr: "inherit" })
    .spawn().status;
  if (!status.success) {
    failed = true;
    console.log(`bench/${file} exited ${status.code}`);
  }
  console.log("");
}

console.log("## summary");
for (const v of verdicts) console.log(v);
console.log(
  `total ${((performance.now() - started) / 1000).toFixed(0)} s; load average at end: ${loadAvg()}`,
);
if (failed) Deno.exit(1);
