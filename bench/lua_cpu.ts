/**
 * Benchmarks (b) and (c): CPU-bound Lua scripts (bench/lua/*.lua) that time their own work
 * with os.clock() and print `elapsed_ms=<n>`, so process start-up is excluded.
 *
 * (b) `llmspell run FILE` against raw wasmoon (bench/raw_wasmoon.ts, a bare
 *     `createEngine()`) and native lua5.4. Goal: llmspell <= 1.05x raw wasmoon on every
 *     script.
 * (c) the same scripts through an interruptible Engine, as the kernel and REPL create it,
 *     with a time limit armed (bench/engine_harness.ts --timeout-ms), against the Engine
 *     as `run` creates it (--batch). Interrupts and timeouts reach Lua by a poke into its
 *     shared memory (src/engine/vm/poke.ts), so no hook runs until one happens; before that
 *     a count hook cost up to 1.7x here.
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
  flagText,
  flagValue,
  fmt,
  hasFlag,
  loadAvg,
  loadLine,
  mad,
  median,
  min,
  pairedRatio,
  pairedRounds,
  parseMetric,
  ratio,
  ROOT,
  runRetry,
  table,
  times,
  verdict,
} from "./lib.ts";
import { V8_FLAGS_ARG } from "../src/engine/host/v8_flags.ts";

export const SCRIPTS = ["fib", "loop", "strings", "tables", "closures"] as const;
type Script = typeof SCRIPTS[number];
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
    // As installed: the launcher passes the compile hints flag (src/engine/wasm/compile_hints.ts).
    argv: (f) => [DENO, ["run", "-A", V8_FLAGS_ARG, "main.ts", "run", f]],
  },
  {
    key: "raw",
    label: "raw wasmoon",
    argv: (f) => [DENO, ["run", "-A", "bench/raw_wasmoon.ts", f]],
  },
  { key: "native", label: "lua5.4", argv: (f) => ["lua5.4", [f]] },
  {
    key: "harness",
    label: "Engine harness --batch",
    argv: (f) => [DENO, ["run", "-A", "bench/engine_harness.ts", f, "--batch"]],
  },
  {
    key: "hooked",
    label: "Engine harness --timeout-ms (interruptible)",
    argv: (f) => [DENO, ["run", "-A", "bench/engine_harness.ts", f, "--timeout-ms", "600000"]],
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
  const rounds = opts.rounds ?? (opts.quick ? 2 : 7);
  const scripts = SCRIPTS.filter((s) => !opts.only || s === opts.only);
  const loadBefore = loadAvg();
  const byKey = new Map(SYSTEMS.map((y) => [y.key, y]));
  const samples = await pairedRounds({
    rounds,
    groups: scripts,
    systems: SYSTEMS.map((y) => y.key),
    measure: async (key, s) => {
      const [cmd, args] = byKey.get(key)!.argv(path.join("bench", "lua", `${s}.lua`));
      return parseMetric((await runRetry(cmd, args)).stdout);
    },
  });
  const paired = (s: Script, a: string, b: string) => pairedRatio(samples[s][a], samples[s][b]);
  const minOf = (s: Script, k: string) => min(samples[s][k]);
  const medians: Record<string, Record<string, number>> = {};
  for (const s of scripts) {
    medians[s] = Object.fromEntries(SYSTEMS.map((y) => [y.key, median(samples[s][y.key])]));
  }

  let wasmoonMet = true, hookMet = true;
  const bRows: string[][] = [], cRows: string[][] = [];
  for (const s of scripts) {
    const m = medians[s];
    const b = paired(s, "llmspell", "raw");
    const c = paired(s, "hooked", "harness");
    const bOk = b <= WASMOON_GOAL;
    const cOk = c <= HOOK_GOAL;
    wasmoonMet &&= bOk;
    hookMet &&= cOk;
    bRows.push([
      s,
      fmt(m.llmspell),
      fmt(mad(samples[s].llmspell)),
      fmt(m.raw),
      fmt(m.native),
      times(b),
      ratio(minOf(s, "llmspell"), minOf(s, "raw")),
      times(paired(s, "llmspell", "native")),
      times(paired(s, "raw", "native")),
      fmt(m.rawTrace),
      times(paired(s, "rawTrace", "raw")),
      bOk ? "yes" : "no",
    ]);
    cRows.push([
      s,
      fmt(m.hooked),
      fmt(mad(samples[s].hooked)),
      fmt(m.harness),
      times(c),
      ratio(minOf(s, "hooked"), minOf(s, "harness")),
      times(paired(s, "hooked", "llmspell")),
      times(paired(s, "hooked", "native")),
      cOk ? "yes" : "no",
    ]);
  }
  const out: string[] = [];
  out.push(
    `## (b) Lua CPU: elapsed_ms from os.clock() inside the script; medians of ${rounds} ` +
      `rounds; ratios are medians of per-round (paired) ratios, "min x" the ratio of minima`,
  );
  out.push(table(
    [
      "script",
      "llmspell ms",
      "MAD",
      "wasmoon ms",
      "lua5.4 ms",
      "x wasmoon",
      "min x",
      "x native",
      "wasmoon x native",
      "(diag) wasmoon+trace ms",
      "trace x",
      "<=1.05x",
    ],
    bRows,
  ));
  out.push(`llmspell run <= ${WASMOON_GOAL}x raw wasmoon on every script: ${verdict(wasmoonMet)}`);
  out.push("");
  out.push(`## (c) interruptible Engine with a 600 s time limit armed vs batch, same rounds`);
  out.push(table(
    [
      "script",
      "armed ms",
      "MAD",
      "batch ms",
      "x batch",
      "min x",
      "x llmspell run",
      "x native",
      "<=1.6x",
    ],
    cRows,
  ));
  out.push(`armed <= ${HOOK_GOAL}x batch on every script: ${verdict(hookMet)}`);
  out.push(loadLine(loadBefore));
  return { text: out.join("\n"), medians, wasmoonMet, hookMet };
}

if (import.meta.main) {
  Deno.chdir(ROOT);
  const r = await runLuaCpu({
    quick: hasFlag("--quick"),
    rounds: hasFlag("--rounds") ? flagValue("--rounds", 5) : undefined,
    only: flagText("--only"),
  });
  console.log(r.text);
}
