/**
 * bench/repl: keystroke → redraw and Tab → candidates shown, through a real pseudo-terminal,
 * with 10k entries in the history. Baseline: Python's REPL (GNU readline) in the same run.
 * Goal (issue 6): llmspell median ≤ 20 ms.
 *
 *   deno run -A bench/repl.ts [--quick]
 */
import { loadAvg, median } from "./lib.ts";
import { openStore } from "../src/store/mod.ts";
import { History } from "../src/kernel/history.ts";
import { resolvePaths } from "../src/config/mod.ts";

const quick = Deno.args.includes("--quick");
const N = quick ? 50 : 300;
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const PTY = new URL("./repl_pty.py", import.meta.url).pathname;

const home = await Deno.makeTempDir({ prefix: "llmspell_bench_repl_" });
const store = openStore(resolvePaths({ LLMSPELL_HOME: home }, home).dbPath);
const history = new History(store, "bench-seed");
store.transaction(() => {
  for (let i = 1; i <= 10_000; i++) history.add(i, `local v${i} = string.rep("x", ${i % 97})`);
});
store.close();

async function measure(mode: string, prompt: string, tabText: string, cmd: string[]) {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [PTY, mode, String(N), prompt, tabText, "--", ...cmd],
    env: { LLMSPELL_HOME: home, PYTHONSTARTUP: "" },
    cwd: home,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (out.code !== 0 || !text) {
    throw new Error(`${mode}: ${new TextDecoder().decode(out.stderr)}${text}`);
  }
  return JSON.parse(text.split("\n").pop()!) as { key: number[]; tab: number[] };
}

function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length * 0.9)];
}

const ours = await measure("llmspell", "llmspell> ", "string.", [
  Deno.execPath(),
  "run",
  "-A",
  "--quiet",
  MAIN,
  "repl",
]);
const base = await measure("readline", ">>> ", "str.", ["/usr/bin/python3", "-i", "-q"]);

const row = (name: string, a: number[], b: number[]) =>
  `${name.padEnd(22)} ${median(a).toFixed(2).padStart(8)} ${p90(a).toFixed(2).padStart(8)} ${
    median(b).toFixed(2).padStart(10)
  } ${(median(a) / median(b)).toFixed(2).padStart(6)}x ${median(a) <= 20 ? "yes" : "no"}`;
console.log(`REPL latency through a pty, 10k history entries, ${N} keys (ms)`);
console.log("test                     median      p90  python med  ratio  <=20ms");
console.log(row("keystroke -> redraw", ours.key, base.key));
console.log(row("Tab -> candidates", ours.tab, base.tab));
console.log(
  `load average: ${loadAvg()}`,
);
await Deno.remove(home, { recursive: true });
