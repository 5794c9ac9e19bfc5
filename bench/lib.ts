/**
 * Shared helpers for the benchmarks: spawning and timing processes, medians, load average,
 * machine description and plain-text tables.
 */
import * as path from "node:path";

export const ROOT = path.resolve(import.meta.dirname!, "..");
export const DENO = Deno.execPath();

export interface RunResult {
  /** Wall time from spawn to exit, in ms, measured by this process. */
  wallMs: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and times it from spawn to exit. */
export async function timeCommand(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const command = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd ?? ROOT,
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const t0 = performance.now();
  const out = await command.output();
  const wallMs = performance.now() - t0;
  const dec = new TextDecoder();
  return { wallMs, code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Runs a command until it exits 0, retrying a few times with a pause: the working tree is
 * shared with engineers who edit it while benchmarks run, so a run can hit a half-written
 * file. Throws with the last output if every attempt fails.
 */
export async function runRetry(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
  attempts = 5,
): Promise<RunResult> {
  let r: RunResult | undefined;
  for (let i = 0; i < attempts; i++) {
    r = await timeCommand(cmd, args, opts);
    if (r.code === 0) return r;
    console.error(`(retrying after exit ${r.code}: ${cmd} ${args.join(" ")})`);
    await new Promise((res) => setTimeout(res, 3000));
  }
  throw new Error(`${cmd} ${args.join(" ")} exited ${r!.code}\n${r!.stdout}\n${r!.stderr}`);
}

/** Runs a command and fails loudly if it does not exit 0. */
export async function mustRun(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const r = await timeCommand(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

/** The `key=<number>` value printed by a benchmark script. */
export function parseMetric(stdout: string, key = "elapsed_ms"): number {
  const m = stdout.match(new RegExp(`^${key}=([0-9.eE+-]+)\\s*$`, "m"));
  if (!m) throw new Error(`no ${key}= in output:\n${stdout}`);
  return Number(m[1]);
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function min(xs: number[]): number {
  return Math.min(...xs);
}

/** Median absolute deviation, as a rough spread figure. */
export function mad(xs: number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

export function loadAvg(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
}

export function machine(): string {
  let cpu = "unknown cpu";
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    cpu = info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpu;
  } catch { /* not Linux */ }
  return `${cpu}, ${navigator.hardwareConcurrency} cores, ${Deno.build.os}/${Deno.build.arch}, ` +
    `deno ${Deno.version.deno}`;
}

export function fmt(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return "n/a";
  return x.toFixed(digits);
}

/** A ratio already divided, as `1.23x`. */
export function times(x: number): string {
  return `${fmt(x, 2)}x`;
}

export function ratio(a: number, b: number): string {
  return times(a / b);
}

/** The line that closes a bench's table: the load average before it ran and now. */
export function loadLine(before: string): string {
  return `load average: ${before} (before), ${loadAvg()} (after)`;
}

/**
 * Samples of {@link pairedRounds}: group -> system -> one sample a round, in round order, so
 * that the i-th samples of two systems in a group were taken in the same round.
 */
export type RoundSamples<G extends string, K extends string, S> = Record<G, Record<K, S[]>>;

/**
 * Runs `warmup` rounds, whose samples are dropped, then `rounds` rounds. In every round each
 * group (a script, say) is measured on every system back to back, in an order rotated by one
 * each round (with two systems, alternating), so that a burst of load from other processes
 * falls on all systems alike and no system always follows another. Compare systems with
 * {@link pairedRatio} over the samples of the same rounds.
 */
export async function pairedRounds<G extends string, K extends string, S>(opts: {
  rounds: number;
  warmup?: number;
  groups: readonly G[];
  systems: readonly K[];
  measure: (system: K, group: G) => Promise<S>;
}): Promise<RoundSamples<G, K, S>> {
  const { systems, groups } = opts;
  const warmup = opts.warmup ?? 0;
  const samples = Object.fromEntries(
    groups.map((g) => [g, Object.fromEntries(systems.map((k) => [k, [] as S[]]))]),
  ) as RoundSamples<G, K, S>;
  for (let round = 0; round < warmup + opts.rounds; round++) {
    for (const g of groups) {
      for (let i = 0; i < systems.length; i++) {
        const k = systems[(i + round) % systems.length];
        const sample = await opts.measure(k, g);
        if (round >= warmup) samples[g][k].push(sample);
      }
    }
  }
  return samples;
}

/**
 * The median over rounds of a[i] / b[i], each pair measured in the same round: load that
 * moves between rounds cancels out of each ratio.
 */
export function pairedRatio(a: number[], b: number[]): number {
  return median(a.map((x, i) => x / b[i]));
}

/**
 * The median of paired ratios with its bootstrap 90% interval (as bench/ab.py prints it): the
 * 5th and 95th percentiles of the medians of 1000 resamples. Ratios given in groups (the rounds
 * of each of several kernel processes, say) are resampled in two levels, the groups and then
 * the ratios within each, so that the interval also holds how one group differs from another;
 * one group is the plain bootstrap of its ratios.
 */
export function ratioInterval(
  ratios: number[] | number[][],
): { median: number; low: number; high: number } {
  const groups = ratios.every(Array.isArray) ? ratios as number[][] : [ratios as number[]];
  const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];
  const boots: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const sample: number[] = [];
    for (let k = 0; k < groups.length; k++) {
      const group = pick(groups);
      for (let j = 0; j < group.length; j++) sample.push(pick(group));
    }
    boots.push(median(sample));
  }
  boots.sort((a, b) => a - b);
  return { median: median(groups.flat()), low: boots[50], high: boots[950] };
}

/** `1.012x [0.990, 1.031]`: a ratio with its interval. */
export function fmtInterval(r: { median: number; low: number; high: number }): string {
  return `${fmt(r.median, 3)}x [${fmt(r.low, 3)}, ${fmt(r.high, 3)}]`;
}

/** A plain-text table with right-aligned numeric columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join(
    "\n",
  );
}

export function hasFlag(name: string): boolean {
  return Deno.args.includes(name);
}

/** The word after `--name`, if it is given. */
export function flagText(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

/** The value after `--name`, or the default. */
export function flagValue(name: string, dflt: number): number {
  const i = Deno.args.indexOf(name);
  if (i < 0 || i + 1 >= Deno.args.length) return dflt;
  const v = Number(Deno.args[i + 1]);
  return Number.isFinite(v) ? v : dflt;
}

export function verdict(met: boolean): string {
  return `goal met: ${met ? "yes" : "no"}`;
}

/**
 * Installs a kernelspec named `name` under `prefix` (JUPYTER_PATH in `env` finds it), for the
 * benches that drive the kernel through jupyter_client, with `kernel install` run by `main`: a
 * tree's main.ts (the kernel then runs from the sources, with the tree's deno.json) or a
 * bundle's cli/main.js, as install.sh's launcher runs it (no config), which is how users run
 * the kernel.
 */
export async function installKernelspec(
  prefix: string,
  env: Record<string, string>,
  name = "llmspell",
  main = path.join(ROOT, "main.ts"),
): Promise<void> {
  const bundled = main.endsWith(".js");
  const out = await new Deno.Command(DENO, {
    args: [
      "run",
      "-A",
      "--quiet",
      ...(bundled ? ["--no-config"] : []),
      main,
      "kernel",
      "install",
      "--prefix",
      prefix,
      "--name",
      name,
    ],
    env,
    cwd: path.dirname(main),
    stdout: "null",
  }).output();
  if (!out.success) throw new Error(`kernel install failed (${main})`);
}
