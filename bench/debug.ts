/**
 * Debugger overhead on the Lua CPU scripts (bench/lua/), each a ratio to the same script
 * on an engine without the debugger (interruptible in both: no hook, see engine/poke.ts):
 *   (a) debugger attached, no breakpoints;
 *   (b) a breakpoint in a function that is never called;
 *   (c) a conditional breakpoint in the hot loop that is never true;
 * and step latency (step request → stopped event), median of 200 steps: on the main thread
 * (the engine's DebugPort), and through `llmspell dap` over stdio (a DAP client's round trip: `next`
 * request out, `stopped` event back, Content-Length framing both ways).
 *
 * `deno run -A bench/debug.ts [--rounds N] [--skip-c]`
 */
import * as path from "node:path";
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { Engine } from "../src/engine/handle.ts";
import { provideWorkerDebugger } from "../src/debug/provide.ts";
import { V8_FLAGS_ARG } from "../src/engine/v8_flags.ts";
import { frame, readMessages } from "../src/debug/session/framing.ts";
import type { EngineOptions } from "../src/engine/protocol.ts";
import { flagValue, hasFlag, median, ROOT } from "./lib.ts";

provideWorkerDebugger();
const rounds = flagValue("--rounds", 3);
const skipC = hasFlag("--skip-c");

/** Hot-loop line and a condition that is never true there. */
const SCRIPTS: Record<string, { line: number; cond: string }> = {
  fib: { line: 3, cond: "n < 0" },
  loop: { line: 5, cond: "i < 0" },
  strings: { line: 5, cond: "i < 0" },
  tables: { line: 5, cond: "i < 0" },
  closures: { line: 8, cond: "i < 0" },
};

const NEVER = "\nlocal function never_called()\n  return 42\nend\n";

const dir = await Deno.makeTempDir({ prefix: "llmspell_bench_debug_" });

function options(debug: boolean): EngineOptions {
  return {
    securityLevel: "safe",
    allowedPaths: [dir],
    maxMemoryBytes: 0,
    timeoutMs: 0,
    cwd: dir,
    debug,
  };
}

type Mode = "base" | "a" | "b" | "c";

async function runOnce(name: string, mode: Mode): Promise<number> {
  const file = path.join(dir, mode === "b" ? `${name}_b.lua` : `${name}.lua`);
  const code = await Deno.readTextFile(file);
  const e = new Engine();
  await e.init(options(mode !== "base"));
  try {
    if (mode === "b") {
      const line = code.split("\n").length - 2; // `return 42` of never_called
      const r = await e.debug.request<DP.SetBreakpointsResponse>("setBreakpoints", {
        source: { path: file },
        breakpoints: [{ line }],
      });
      if (!r.body.breakpoints[0].verified) {
        throw new Error(`(b) not verified: ${JSON.stringify(r)}`);
      }
    } else if (mode === "c") {
      const s = SCRIPTS[name];
      await e.debug.request("setBreakpoints", {
        source: { path: file },
        breakpoints: [{ line: s.line, condition: s.cond }],
      });
    }
    let out = "";
    const dec = new TextDecoder();
    for await (const ev of e.execute({ code, chunkName: "@" + file, echo: false })) {
      if (ev.type === "stream") out += dec.decode(ev.data);
      if (ev.type === "error") throw new Error(`${name}/${mode}: ${ev.error.message}`);
    }
    const m = /elapsed_ms=([\d.]+)/.exec(out);
    if (!m) throw new Error(`${name}/${mode}: no elapsed_ms in ${out}`);
    return Number(m[1]);
  } finally {
    e.close();
  }
}

async function stepLatency(): Promise<{ median: number; p90: number; n: number }> {
  const file = path.join(dir, "steps.lua");
  await Deno.writeTextFile(
    file,
    "local s = 0\nfor i = 1, 1000 do\n  s = s + i\n  s = s - 1\nend\nprint(s)\n",
  );
  const e = new Engine();
  await e.init(options(true));
  const times: number[] = [];
  let resolveStop: (() => void) | undefined;
  e.debug.onEvent((ev) => {
    if (ev.event === "stopped") resolveStop?.();
  });
  const nextStop = () => new Promise<void>((r) => (resolveStop = r));
  await e.debug.request("setBreakpoints", { source: { path: file }, breakpoints: [{ line: 3 }] });
  const first = nextStop();
  const run = (async () => {
    for await (
      const _ of e.execute({
        code: await Deno.readTextFile(file),
        chunkName: "@" + file,
        echo: false,
      })
    ) { /* */ }
  })();
  await first;
  await e.debug.request("setBreakpoints", { source: { path: file }, breakpoints: [] });
  for (let i = 0; i < 200; i++) {
    const stopped = nextStop();
    const t0 = performance.now();
    e.debug.request("next", { threadId: 1 });
    await stopped;
    times.push(performance.now() - t0);
  }
  await e.debug.request("continue", { threadId: 1 });
  await run;
  e.close();
  times.sort((a, b) => a - b);
  return {
    median: times[times.length >> 1],
    p90: times[Math.floor(times.length * 0.9)],
    n: times.length,
  };
}

/** `next` → `stopped` through `llmspell dap` on stdio, as an editor sees it. */
async function dapStepLatency(): Promise<{ median: number; p90: number; n: number }> {
  const file = path.join(dir, "steps.lua");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", V8_FLAGS_ARG, path.join(ROOT, "main.ts"), "dap"],
    cwd: dir,
    env: { LLMSPELL_HOME: dir },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const w = child.stdin.getWriter();
  let seq = 1;
  const send = (command: string, args: unknown = {}) =>
    w.write(frame({ seq: seq++, type: "request", command, arguments: args }));
  const messages = readMessages(child.stdout);
  const until = async (pred: (m: DP.ProtocolMessage) => boolean) => {
    for (;;) {
      const { value, done } = await messages.next();
      if (done) throw new Error("llmspell dap ended");
      const m = value as DP.ProtocolMessage;
      if (pred(m)) return m;
    }
  };
  const isEvent = (name: string) => (m: DP.ProtocolMessage) =>
    m.type === "event" && (m as DP.Event).event === name;
  await send("initialize", { adapterID: "bench" });
  await send("launch", { program: file });
  await until(isEvent("initialized"));
  await send("setBreakpoints", { source: { path: file }, breakpoints: [{ line: 3 }] });
  await send("configurationDone");
  await until(isEvent("stopped"));
  await send("setBreakpoints", { source: { path: file }, breakpoints: [] });
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await send("next", { threadId: 1 });
    await until(isEvent("stopped"));
    times.push(performance.now() - t0);
  }
  await send("disconnect", { terminateDebuggee: true });
  await until((m) => m.type === "response" && (m as DP.Response).command === "disconnect");
  await w.close();
  await child.status;
  times.sort((a, b) => a - b);
  return {
    median: times[times.length >> 1],
    p90: times[Math.floor(times.length * 0.9)],
    n: times.length,
  };
}

for (const name of Object.keys(SCRIPTS)) {
  const src = await Deno.readTextFile(path.join(ROOT, "bench/lua", `${name}.lua`));
  await Deno.writeTextFile(path.join(dir, `${name}.lua`), src);
  await Deno.writeTextFile(path.join(dir, `${name}_b.lua`), src + NEVER);
}

const modes: Mode[] = skipC ? ["base", "a", "b"] : ["base", "a", "b", "c"];
const results: Record<string, Record<Mode, number[]>> = {};
const ratios: Record<string, Record<Mode, number[]>> = {};
for (let r = 0; r < rounds; r++) {
  for (const name of Object.keys(SCRIPTS)) {
    results[name] ??= { base: [], a: [], b: [], c: [] };
    ratios[name] ??= { base: [], a: [], b: [], c: [] };
    const order = r % 2 ? [...modes].reverse() : modes;
    const got: Partial<Record<Mode, number>> = {};
    for (const m of order) got[m] = await runOnce(name, m);
    for (const m of modes) {
      results[name][m].push(got[m]!);
      ratios[name][m].push(got[m]! / got.base!);
    }
  }
  console.error(`round ${r + 1}/${rounds} done`);
}

console.log(
  `| script | base ms | (a) ms | (a) × | (b) ms | (b) × |${skipC ? "" : " (c) ms | (c) × |"}`,
);
console.log(`| --- | --- | --- | --- | --- | --- |${skipC ? "" : " --- | --- |"}`);
for (const name of Object.keys(SCRIPTS)) {
  const r = results[name];
  const q = ratios[name];
  const cell = (m: Mode) => `${median(r[m]).toFixed(0)} | ${median(q[m]).toFixed(2)}×`;
  console.log(
    `| ${name} | ${median(r.base).toFixed(0)} | ${cell("a")} | ${cell("b")} |${
      skipC ? "" : ` ${cell("c")} |`
    }`,
  );
}
const lat = await stepLatency();
console.log(
  `\nstep latency (next → stopped), ${lat.n} steps: median ${lat.median.toFixed(3)} ms, p90 ${
    lat.p90.toFixed(3)
  } ms`,
);
const dapLat = await dapStepLatency();
console.log(
  `DAP step round trip through llmspell dap (stdio), ${dapLat.n} steps: median ${
    dapLat.median.toFixed(3)
  } ms, p90 ${dapLat.p90.toFixed(3)} ms (goal: median ≤ 2 ms)`,
);
await Deno.remove(dir, { recursive: true });
