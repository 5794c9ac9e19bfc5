/**
 * Benchmarks (b) and (c): CPU-bound Lua scripts (bench/lua/*.lua) that time their own work
 * with os.clock() and print `elapsed_ms=<n>`, so process start-up is excluded.
 *
 * (b) `llmspell run FILE` against raw wasmoon (bench/raw_wasmoon.ts, a bare
 *     `createEngine()`) and native lua5.4. Goal: llmspell <= 1.05x raw wasmoon on every
 *     script.
 * (c) the same scripts through the Engine with the interrupt count hook armed
 *     (bench/engine_harness.ts --interactive) against the same harness without it.
 *     Goal: <= 1.6x on every script.
 *
 * Every round runs every (script, system) pair once, in a rotating order, so that load from
 * other processes on the machine falls on all systems alike; figures are medians over
 * rounds. A diagnostic system, raw wasmoon with `traceAllocations: true` (what llmspell's
 * engine uses for its memory limit), shows how much of a gap the JS allocator explains.
 *
 * Usage: deno run -A bench/lua_cpu.ts [--quick] [--rounds N] [--only NAME]
 */
import * as path from "node:path";
import {
  DENO,
  flagValue,
  fmt,
  hasFlag,
  loadAvg,
  mad,
  median,
  parseMetric,
  ratio,
  ROOT,
  runRetry,
  table,
  verdict,
} from "./lib.ts";

export const SCRIPTS = ["fib", "loop", "strings", "tables", "closures"] as const;
export const WASMOON_GOAL = 1.05;
export const HOOK_GOAL = 1.6;

interface System {
  key: string;
  label: string;
  argv: (file: string) => [string, string[]];
}

const SYSTEMS: System[] = [
  {
    key: "llmspell",
    label: "llmspell run",
    argv: (f) => [DENO, ["run", "-A", "main.ts", "run", f]],
  },
  {
    key: "raw",
    label: "raw wasmoon",
    argv: (f) => [DENO, ["run", "-A", "bench/raw_wasmoon.ts", f]],
  },
  { key: "native", label: "lua5.4", argv: (f) => ["lua5.4", [f]] },
  {
    key: "harness",
    label: "Engine harness",
    argv: (f) => [DENO, ["run", "-A", "bench/engine_harness.ts", f]],
  },
  {
    key: "hooked",
    label: "Engine harness --interactive",
    argv: (f) => [DENO, ["run", "-A", "bench/engine_harness.ts", f, "--interactive"]],
  },
  {
    key: "rawTrace",
    label: "(diag) raw wasmoon traceAllocations",
    argv: (f) => [DENO, ["run", "-A", "bench/raw_wasmoon.ts", f, "--trace-allocations"]],
  },
];

export interface LuaCpuResult {
  text: string;
  /** script -> system key -> median elapsed_ms */
  medians: Record<string, Record<string, number>>;
  wasmoonMet: boolean;
  hookMet: boolean;
}

export async function runLuaCpu(
  opts: { quick?: boolean; rounds?: number; only?: string } = {},
): Promise<LuaCpuResult> {
  const rounds = opts.rounds ?? (opts.quick ? 2 : 5);
  const scripts = SCRIPTS.filter((s) => !opts.only || s === opts.only);
  const loadBefore = loadAvg();
  const samples: Record<string, Record<string, number[]>> = {};
  for (const s of scripts) samples[s] = Object.fromEntries(SYSTEMS.map((y) => [y.key, []]));
  const pairs = scripts.flatMap((s) => SYSTEMS.map((y) => ({ s, y })));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < pairs.length; i++) {
      // rotate by one system per round so each system follows a different one each time
      const { s, y } = pairs[(i + round * (SYSTEMS.length + 1)) % pairs.length];
      const [cmd, args] = y.argv(path.join("bench", "lua", `${s}.lua`));
      const r = await runRetry(cmd, args);
      samples[s][y.key].push(parseMetric(r.stdout));
    }
  }
  const medians: Record<string, Record<string, number>> = {};
  for (const s of scripts) {
    medians[s] = Object.fromEntries(SYSTEMS.map((y) => [y.key, median(samples[s][y.key])]));
  }

  let wasmoonMet = true, hookMet = true;
  const bRows: string[][] = [], cRows: string[][] = [];
  for (const s of scripts) {
    const m = medians[s];
    const bOk = m.llmspell <= WASMOON_GOAL * m.raw;
    const cOk = m.hooked <= HOOK_GOAL * m.harness;
    wasmoonMet &&= bOk;
    hookMet &&= cOk;
    bRows.push([
      s,
      fmt(m.llmspell),
      fmt(mad(samples[s].llmspell)),
      fmt(m.raw),
      fmt(m.native),
      ratio(m.llmspell, m.raw),
      ratio(m.llmspell, m.native),
      ratio(m.raw, m.native),
      fmt(m.rawTrace),
      ratio(m.rawTrace, m.raw),
      bOk ? "yes" : "no",
    ]);
    cRows.push([
      s,
      fmt(m.hooked),
      fmt(mad(samples[s].hooked)),
      fmt(m.harness),
      fmt(m.llmspell),
      ratio(m.hooked, m.harness),
      ratio(m.hooked, m.llmspell),
      ratio(m.hooked, m.native),
      cOk ? "yes" : "no",
    ]);
  }
  const out: string[] = [];
  out.push(
    `## (b) Lua CPU, elapsed_ms from os.clock() inside the script, medians of ${rounds} ` +
      `interleaved rounds`,
  );
  out.push(table(
    [
      "script",
      "llmspell",
      "MAD",
      "raw wasmoon",
      "lua5.4",
      "x wasmoon",
      "x native",
      "wasmoon x native",
      "(diag) raw+trace",
      "trace x raw",
      "<=1.05x",
    ],
    bRows,
  ));
  out.push(`llmspell run <= ${WASMOON_GOAL}x raw wasmoon on every script: ${verdict(wasmoonMet)}`);
  out.push("");
  out.push(`## (c) interrupt hook armed (Engine interactive: true), same rounds`);
  out.push(table(
    [
      "script",
      "hooked",
      "MAD",
      "harness no hook",
      "llmspell run",
      "x no hook",
      "x llmspell run",
      "x native",
      "<=1.6x",
    ],
    cRows,
  ));
  out.push(`hooked <= ${HOOK_GOAL}x unhooked on every script: ${verdict(hookMet)}`);
  out.push(`load average: ${loadBefore} (before), ${loadAvg()} (after)`);
  return { text: out.join("\n"), medians, wasmoonMet, hookMet };
}

if (import.meta.main) {
  Deno.chdir(ROOT);
  const onlyIdx = Deno.args.indexOf("--only");
  const r = await runLuaCpu({
    quick: hasFlag("--quick"),
    rounds: hasFlag("--rounds") ? flagValue("--rounds", 5) : undefined,
    only: onlyIdx >= 0 ? Deno.args[onlyIdx + 1] : undefined,
  });
  console.log(r.text);
}
