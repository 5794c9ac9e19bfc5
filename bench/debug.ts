/**
 * Debugger overhead on the Lua CPU scripts (bench/lua/), each a ratio to the same script
 * on an engine without the debugger (interruptible in both: no hook, see engine/vm/poke.ts):
 *   (a) debugger attached, no breakpoints;
 *   (b) a breakpoint in a function that is never called;
 *   (c) a conditional breakpoint in the hot loop that is never true;
 * and step latency (step request → stopped event), median of 200 steps: on the main thread
 * (the engine's DebugPort), through `llmspell dap` over stdio (a DAP client's round trip: `next`
 * request out, `stopped` event back, Content-Length framing both ways), and through a
 * `llmspell kernel` process as JupyterLab's debugger sees it (a `debug_request` `next` on the
 * control channel out, the `stopped` `debug_event` on IOPub back, over ZMTP).
 *
 * `deno run -A bench/debug.ts [--rounds N] [--skip-c] [--steps-only]` (--steps-only: the step
 * latencies alone, without the (a)/(b)/(c) rounds)
 */
import * as path from "node:path";
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { Engine } from "../src/engine/host/handle.ts";
import { provideWorkerDebugger } from "../src/debug/provide.ts";
import { V8_FLAGS_ARG } from "../src/engine/host/v8_flags.ts";
import { frame, readMessages } from "../src/debug/session/framing.ts";
import { KernelClient } from "../src/client/client.ts";
import { readConnectionFile } from "../src/protocol/jupyter/connection.ts";
import type { JsonObject } from "../src/protocol/jupyter/wire.ts";
import type { EngineOptions } from "../src/engine/shared/protocol.ts";
import { flagValue, hasFlag, median, ROOT } from "./lib.ts";

provideWorkerDebugger();
const rounds = flagValue("--rounds", 3);
const skipC = hasFlag("--skip-c");
const stepsOnly = hasFlag("--steps-only");

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

/** Step latencies: the median and the 90th percentile (ms), and how many steps. */
interface Latency {
  median: number;
  p90: number;
  n: number;
}

function latency(times: number[]): Latency {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    median: sorted[sorted.length >> 1],
    p90: sorted[Math.floor(sorted.length * 0.9)],
    n: sorted.length,
  };
}

async function stepLatency(): Promise<Latency> {
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
  return latency(times);
}

/** `next` → `stopped` through `llmspell dap` on stdio, as an editor sees it. */
async function dapStepLatency(): Promise<Latency> {
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
  return latency(times);
}

/**
 * `next` → `stopped` through a kernel's debug_request, as JupyterLab's debugger sees it: a
 * client attached, a cell stopped at a breakpoint in its dumped file, then `next` as a
 * debug_request on control and the `stopped` debug_event back on IOPub.
 */
async function jupyterStepLatency(): Promise<Latency> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", V8_FLAGS_ARG, path.join(ROOT, "main.ts"), "kernel", "start"],
    cwd: dir,
    env: { LLMSPELL_HOME: dir },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let out = "";
  const dec = new TextDecoder();
  const reader = child.stdout.getReader();
  while (!/connection file: .*\n/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`llmspell kernel start ended: ${out}`);
    out += dec.decode(value, { stream: true });
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  const client = await KernelClient.connect(
    await readConnectionFile(/connection file: (.+)\n/.exec(out)![1]),
  );
  let resolveStop: (() => void) | undefined;
  client.onIopub((m) => {
    if (m.header.msg_type === "debug_event" && m.content.event === "stopped") resolveStop?.();
  });
  const nextStop = () => new Promise<void>((r) => (resolveStop = r));
  let seq = 1;
  const debug = async (command: string, args: JsonObject = {}) => {
    const reply = await client.request("control", "debug_request", {
      type: "request",
      seq: seq++,
      command,
      arguments: args,
    });
    if (reply.content.success !== true) {
      throw new Error(`${command}: ${JSON.stringify(reply.content)}`);
    }
    return reply.content.body as JsonObject;
  };
  const code = "local s = 0\nfor i = 1, 1000 do\n  s = s + i\n  s = s - 1\nend\nprint(s)\n";
  await debug("initialize", { adapterID: "bench" });
  await debug("attach");
  const { sourcePath } = await debug("dumpCell", { code });
  const source = { path: String(sourcePath) };
  await debug("setBreakpoints", { source, breakpoints: [{ line: 3 }] });
  await debug("configurationDone");
  const first = nextStop();
  const cell = client.execute({ code, silent: false, store_history: true });
  await first;
  await debug("setBreakpoints", { source, breakpoints: [] });
  const times: number[] = [];
  const replies: Promise<unknown>[] = [];
  for (let i = 0; i < 200; i++) {
    const stopped = nextStop();
    const t0 = performance.now();
    replies.push(debug("next", { threadId: 1 }));
    await stopped;
    times.push(performance.now() - t0);
  }
  await Promise.all(replies);
  await debug("continue", { threadId: 1 });
  await cell;
  await debug("disconnect");
  await client.close();
  child.kill("SIGTERM");
  await child.status;
  return latency(times);
}

for (const name of Object.keys(SCRIPTS)) {
  const src = await Deno.readTextFile(path.join(ROOT, "bench/lua", `${name}.lua`));
  await Deno.writeTextFile(path.join(dir, `${name}.lua`), src);
  await Deno.writeTextFile(path.join(dir, `${name}_b.lua`), src + NEVER);
}

if (!stepsOnly) {
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
const jupyterLat = await jupyterStepLatency();
console.log(
  `Jupyter debug_request step round trip through llmspell kernel (ZMTP), ${jupyterLat.n} steps: ` +
    `median ${jupyterLat.median.toFixed(3)} ms, p90 ${
      jupyterLat.p90.toFixed(3)
    } ms (goal: median ≤ 2 ms)`,
);
await Deno.remove(dir, { recursive: true });
