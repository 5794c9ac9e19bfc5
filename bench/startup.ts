/**
 * Benchmark (a): cold start-up of `llmspell exec 'print(1)'` as install.sh installs it where
 * `deno compile` cannot run (a /bin/sh launcher running the JavaScript bundle of
 * scripts/build.ts, built here into a temporary directory), against `deno run` of a
 * hello-world file and `lua5.4 -e 'print(1)'`. Goal: at most 3x the Deno hello-world.
 *
 * The commands are run in interleaved rounds (one of each per round) after warm-up rounds,
 * so that load from other processes hits them alike; the figures are medians of the wall
 * time from spawn to exit. Diagnostic rows (not part of the goal) split the gap: the CLI
 * without the engine, a Deno process that starts one worker, and a bare wasmoon process.
 * Then bench/startup_breakdown.ts gives in-process marks of where the time goes.
 *
 * Usage: deno run -A bench/startup.ts [--quick] [--runs N] [--hyperfine]
 */
import * as path from "node:path";
import * as os from "node:os";
import {
  DENO,
  flagValue,
  fmt,
  hasFlag,
  loadAvg,
  loadLine,
  mad,
  median,
  min,
  mustRun,
  pairedRounds,
  ratio,
  ROOT,
  runRetry,
  table,
  verdict,
} from "./lib.ts";
import { build } from "../scripts/build.ts";
import { V8_FLAGS_ARG } from "../src/engine/host/v8_flags.ts";

export const STARTUP_GOAL = 3;

interface Cmd {
  key: string;
  label: string;
  cmd: string;
  args: string[];
  diagnostic?: boolean;
}

async function fixtures(): Promise<string> {
  const dir = path.join(os.tmpdir(), "llmspell-bench");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path.join(dir, "hello.js"), 'console.log("hello");\n');
  await Deno.writeTextFile(
    path.join(dir, "hello_worker.js"),
    "const w = new Worker(new URL('data:text/javascript,postMessage(1)'), { type: 'module' });\n" +
      "w.onmessage = () => { console.log('hello'); w.terminate(); };\n",
  );
  await Deno.writeTextFile(path.join(dir, "print1.lua"), "print(1)\n");
  await build(path.join(dir, "dist"));
  // The launcher install.sh writes (its offline branch), pointed at this bundle.
  const launcher = path.join(dir, "llmspell");
  await Deno.writeTextFile(
    launcher,
    `#!/bin/sh\nexec "${DENO}" run -A --quiet --no-prompt --no-config --cached-only ${V8_FLAGS_ARG} ` +
      `"${path.join(dir, "dist", "cli", "main.js")}" "$@"\n`,
  );
  await Deno.chmod(launcher, 0o755);
  return dir;
}

function commands(dir: string): Cmd[] {
  return [
    {
      key: "llmspell",
      label: "llmspell exec 'print(1)'",
      cmd: path.join(dir, "llmspell"),
      args: ["exec", "print(1)"],
    },
    {
      key: "deno",
      label: "deno run hello.js",
      cmd: DENO,
      args: ["run", path.join(dir, "hello.js")],
    },
    { key: "lua", label: "lua5.4 -e 'print(1)'", cmd: "lua5.4", args: ["-e", "print(1)"] },
    {
      key: "sources",
      label: "(diag) deno run main.ts exec (sources)",
      cmd: DENO,
      args: ["run", "-A", V8_FLAGS_ARG, "main.ts", "exec", "print(1)"],
      diagnostic: true,
    },
    {
      key: "cli",
      label: "(diag) llmspell --version",
      cmd: path.join(dir, "llmspell"),
      args: ["--version"],
      diagnostic: true,
    },
    {
      key: "worker",
      label: "(diag) deno run: start 1 worker",
      cmd: DENO,
      args: ["run", "-A", path.join(dir, "hello_worker.js")],
      diagnostic: true,
    },
    {
      key: "raw",
      label: "(diag) raw wasmoon print(1)",
      cmd: DENO,
      args: ["run", "-A", "bench/raw_wasmoon.ts", path.join(dir, "print1.lua")],
      diagnostic: true,
    },
  ];
}

type Marks = Record<string, number>;

async function breakdownRuns(mode: string, runs: number): Promise<Marks> {
  const all: Marks[] = [];
  for (let i = 0; i < runs; i++) {
    const spawnEpoch = performance.timeOrigin + performance.now();
    const r = await runRetry(DENO, [
      "run",
      "-A",
      V8_FLAGS_ARG,
      "bench/startup_breakdown.ts",
      mode,
    ], {
      env: { BENCH_SPAWN_EPOCH: String(spawnEpoch) },
    });
    const m: Marks = JSON.parse(r.stdout.trim().split("\n").pop()!);
    m.process_exit = r.wallMs;
    all.push(m);
  }
  const out: Marks = {};
  for (const k of Object.keys(all[0])) out[k] = median(all.map((m) => m[k]));
  return out;
}

/** The breakdown as rows: step, ms since spawn at its end, duration of the step. */
function steps(marks: Marks, order: [string, string][]): string[][] {
  let prev = 0;
  return order.filter(([k]) => marks[k] !== undefined).map(([k, label]) => {
    const row = [label, fmt(marks[k]), fmt(marks[k] - prev)];
    prev = marks[k];
    return row;
  });
}

async function hyperfine(cmds: Cmd[], runs: number): Promise<string> {
  const json = await Deno.makeTempFile({ suffix: ".json" });
  const quote = (s: string) => /^[\w./=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
  const args = ["-N", "-w", "3", "-r", String(runs), "--export-json", json, "--style", "none"];
  for (const c of cmds) args.push([c.cmd, ...c.args].map(quote).join(" "));
  await mustRun("hyperfine", args);
  const res = JSON.parse(await Deno.readTextFile(json)).results as {
    command: string;
    median: number;
    mean: number;
  }[];
  await Deno.remove(json);
  return table(
    ["hyperfine (sequential, not interleaved)", "median ms", "mean ms"],
    res.map((r, i) => [cmds[i].label, fmt(r.median * 1000), fmt(r.mean * 1000)]),
  );
}

export interface StartupResult {
  text: string;
  llmspellMs: number;
  denoMs: number;
  luaMs: number;
  met: boolean;
}

export async function runStartup(
  opts: { quick?: boolean; runs?: number; hyperfine?: boolean } = {},
): Promise<StartupResult> {
  const runs = opts.runs ?? (opts.quick ? 7 : 21);
  const warmup = 2;
  const dir = await fixtures();
  const cmds = commands(dir);
  const loadBefore = loadAvg();
  const byKey = new Map(cmds.map((c) => [c.key, c]));
  const { exec: times } = await pairedRounds({
    rounds: runs,
    warmup,
    groups: ["exec"],
    systems: cmds.map((c) => c.key),
    measure: async (key) => {
      const c = byKey.get(key)!;
      return (await runRetry(c.cmd, c.args)).wallMs;
    },
  });
  const med = (k: string) => median(times[k]);
  const llmspellMs = med("llmspell"), denoMs = med("deno"), luaMs = med("lua");
  const met = llmspellMs <= STARTUP_GOAL * denoMs;
  const rows = cmds.map((c) => [
    c.label,
    fmt(med(c.key)),
    fmt(min(times[c.key])),
    fmt(mad(times[c.key])),
    ratio(med(c.key), denoMs),
  ]);
  const out: string[] = [];
  out.push(`## (a) start-up: ${runs} interleaved rounds after ${warmup} warm-up rounds`);
  out.push(
    table(["command", "median ms", "min ms", "MAD ms", "x deno hello"], rows),
  );
  out.push(
    `llmspell / deno hello = ${ratio(llmspellMs, denoMs)} (goal <= ${STARTUP_GOAL}x), ` +
      `llmspell / lua5.4 = ${ratio(llmspellMs, luaMs)}; ${verdict(met)}`,
  );

  const bRuns = opts.quick ? 3 : 7;
  const pieces = await breakdownRuns("--pieces", bRuns);
  const engine = await breakdownRuns("--engine", bRuns);
  const cli = await breakdownRuns("--cli", bRuns);
  out.push("");
  out.push(
    `### breakdown (bench/startup_breakdown.ts, medians of ${bRuns} processes, ms since spawn)`,
  );
  out.push(
    "Engine start-up step by step (src/engine/worker/worker.ts in a worker that marks its steps):",
  );
  out.push(table(
    ["step", "at ms", "step ms"],
    steps(pieces, [
      ["deno_time_origin", "deno boot (runtime up, time origin)"],
      ["main_first_line", "main module loaded, first line"],
      ["main_worker_created", "new Worker() returns (blocks main)"],
      ["worker_first_line", "worker isolate up, first line"],
      ["main_wasm_compiled", "glue.wasm compiled (main, off-thread)"],
      ["worker_module_loaded", "worker.ts loaded (its modules)"],
      ["worker_wasm_received", "glue.wasm received from main"],
      ["worker_create_engine_done", "instance, Lua state (newstate, openlibs)"],
      ["worker_prepared", "formatter, prelude loaded (LuaRuntime.prepare)"],
      ["worker_prelude_done", "init: host table, sandbox, kernel API; ready"],
      ["worker_execute_done", "execute print(1)"],
      ["main_got_result", "main thread has the result"],
      ["process_exit", "process exit seen by parent"],
    ]),
  ));
  out.push("Real path (src/engine/host/handle.ts Engine, as exec uses it):");
  out.push(table(
    ["step", "at ms", "step ms"],
    steps(engine, [
      ["deno_time_origin", "deno boot (time origin)"],
      ["main_first_line", "first line"],
      ["main_handle_imported", "import engine handle"],
      ["main_worker_created", "new Engine() (worker created)"],
      ["main_engine_ready", "init resolved (worker + wasm + state + prelude)"],
      ["main_first_output", "first output chunk"],
      ["main_execute_done", "execute done"],
      ["process_exit", "process exit seen by parent"],
    ]),
  ));
  out.push("exec on the main thread without the engine (in parallel with the worker):");
  out.push(table(
    ["step", "at ms", "step ms"],
    steps(cli, [
      ["deno_time_origin", "deno boot (time origin)"],
      ["main_first_line", "first line"],
      ["main_cli_imported", "import src/cli/program.ts (commander, config)"],
      ["main_program_built", "command tree for exec (script_cmd.ts)"],
      ["main_config_loaded", "config loaded (engine options posted here)"],
      ["main_kernel_imported", "import in-process kernel + cell renderer"],
      ["process_exit", "process exit seen by parent"],
    ]),
  ));
  if (opts.hyperfine) {
    out.push("");
    out.push(await hyperfine(cmds, opts.quick ? 10 : 30));
  }
  out.push(loadLine(loadBefore));
  return { text: out.join("\n"), llmspellMs, denoMs, luaMs, met };
}

if (import.meta.main) {
  Deno.chdir(ROOT);
  const r = await runStartup({
    quick: hasFlag("--quick"),
    runs: hasFlag("--runs") ? flagValue("--runs", 21) : undefined,
    hyperfine: hasFlag("--hyperfine"),
  });
  console.log(r.text);
}
