/**
 * The profiler's overhead (issue 18): the CPU-bound scripts of bench (b) (bench/lua/*.lua,
 * each timing its own work with os.clock(), so process start-up is excluded) run with
 * `llmspell profile` at the default rate (1000 Hz) against `llmspell run`, in pairs whose
 * order alternates every round, so that load from elsewhere falls on both alike. The ratio
 * is the median of the per-round (paired) ratios. It includes the profiled engine's shared
 * memory (an interruptible engine: docs/decisions/0004-shared-memory-and-poke.md) as well
 * as the sampling. Goal: <= 1.1x on every script.
 *
 * Usage: deno run -A bench/profile.ts [--quick] [--rounds N] [--only NAME]
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
import { V8_FLAGS_ARG } from "../src/engine/host/v8_flags.ts";
import { SCRIPTS } from "./lua_cpu.ts";

export const PROFILE_GOAL = 1.1;

export interface ProfileBenchResult {
  text: string;
  met: boolean;
}

export async function runProfileBench(
  opts: { quick?: boolean; rounds?: number; only?: string } = {},
): Promise<ProfileBenchResult> {
  const rounds = opts.rounds ?? (opts.quick ? 3 : 9);
  const scripts = SCRIPTS.filter((s) => !opts.only || s === opts.only);
  const out = await Deno.makeTempDir({ prefix: "llmspell_bench_profile_" });
  const loadBefore = loadAvg();
  const systems = {
    run: (f: string) => [DENO, ["run", "-A", V8_FLAGS_ARG, "main.ts", "run", f]] as const,
    profile: (f: string) =>
      [DENO, [
        "run",
        "-A",
        V8_FLAGS_ARG,
        "main.ts",
        "profile",
        "--out",
        path.join(out, "p"),
        f,
      ]] as const,
  };
  const samples: Record<string, { run: number[]; profile: number[]; samples: number[] }> = {};
  try {
    for (const s of scripts) {
      samples[s] = { run: [], profile: [], samples: [] };
      const file = path.join("bench", "lua", `${s}.lua`);
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? ["run", "profile"] as const : ["profile", "run"] as const;
        for (const key of order) {
          const [cmd, args] = systems[key](file);
          const r = await runRetry(cmd, [...args]);
          samples[s][key].push(parseMetric(r.stdout));
          if (key === "profile") {
            const n = /in (\d+) samples/.exec(r.stderr);
            samples[s].samples.push(n ? Number(n[1]) : 0);
          }
        }
      }
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  let met = true;
  const rows = scripts.map((s) => {
    const x = samples[s];
    const paired = median(x.profile.map((p, i) => p / x.run[i]));
    met &&= paired <= PROFILE_GOAL;
    const ms = median(x.profile);
    return [
      s,
      fmt(median(x.run)),
      fmt(ms),
      fmt(mad(x.profile)),
      `${fmt(paired, 2)}x`,
      ratio(Math.min(...x.profile), Math.min(...x.run)),
      fmt(median(x.samples), 0),
      fmt(median(x.samples) / (ms / 1000), 0),
      paired <= PROFILE_GOAL ? "yes" : "no",
    ];
  });
  const text = [
    `## (d) profile at the default rate vs run: elapsed_ms from os.clock(); medians of ${rounds} ` +
    `paired rounds`,
    table(
      [
        "script",
        "run ms",
        "profile ms",
        "MAD",
        "x run",
        "min x",
        "samples",
        "samples/s",
        `<=${PROFILE_GOAL}x`,
      ],
      rows,
    ),
    `profile <= ${PROFILE_GOAL}x run on every script: ${verdict(met)}`,
    `load average: ${loadBefore} (before), ${loadAvg()} (after)`,
  ].join("\n");
  return { text, met };
}

if (import.meta.main) {
  Deno.chdir(ROOT);
  const onlyIdx = Deno.args.indexOf("--only");
  const r = await runProfileBench({
    quick: hasFlag("--quick"),
    rounds: hasFlag("--rounds") ? flagValue("--rounds", 9) : undefined,
    only: onlyIdx >= 0 ? Deno.args[onlyIdx + 1] : undefined,
  });
  console.log(r.text);
}
