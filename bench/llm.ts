/**
 * LLM benchmark (issue 17): agent creation and tool registration in Lua, llmspell's overhead
 * per LLM call against a plain `fetch` of the same request to the same local server in the
 * same run, and the time from a streamed token leaving the server to its stdout event on
 * llmspell's main thread (what `run` writes to stdout at once, and the kernel to IOPub).
 *
 * The server (bench/llm_server.ts) runs in its own process; the engine is the one `run` uses
 * (a worker; host calls to the main thread, providers loaded at the first call).
 *
 *   deno run -A bench/llm.ts [--calls 40] [--delay-ms 20] [--tokens 200]
 */
import * as path from "node:path";
import { Engine } from "../src/engine/host/handle.ts";
import { provideApi } from "../src/api/globals.ts";
import { flagValue, fmt, loadAvg, machine, median, ROOT, table, verdict } from "./lib.ts";

const calls = flagValue("--calls", 40);
const delayMs = flagValue("--delay-ms", 20);
const tokens = flagValue("--tokens", 200);
const now = () => performance.timeOrigin + performance.now();

const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    path.join(ROOT, "bench", "llm_server.ts"),
    String(delayMs),
    String(tokens),
    "5",
  ],
  stdout: "piped",
}).spawn();
const reader = server.stdout.getReader();
const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
reader.releaseLock();
const base = `http://127.0.0.1:${port}/v1`;

provideApi();
const engine = new Engine({ interruptible: true });
await engine.init({
  securityLevel: "safe",
  allowedPaths: [ROOT],
  maxMemoryBytes: 0,
  timeoutMs: 0,
  cwd: ROOT,
  llm: {
    providers: {
      openai: {
        provider_type: "openai",
        base_url: base,
        timeout_ms: 60_000,
        max_retries: 0,
        max_concurrency: 8,
      },
    },
    toolSettings: {},
  },
});

/** Runs a chunk; returns its stdout and, per stdout event, the time it reached this thread. */
async function lua(code: string): Promise<{ out: string; events: { at: number; text: string }[] }> {
  const events: { at: number; text: string }[] = [];
  const dec = new TextDecoder();
  for await (const ev of engine.execute({ code, chunkName: "=bench", echo: false })) {
    if (ev.type === "stream" && ev.name === "stdout") {
      events.push({ at: now(), text: dec.decode(ev.data) });
    } else if (ev.type === "error") throw new Error(ev.error.message);
  }
  return { out: events.map((e) => e.text).join(""), events };
}

Deno.env.set("OPENAI_API_KEY", "bench");
const rows: string[][] = [];
const verdicts: string[] = [];

// 1. Agent creation and tool registration, timed inside Lua (after the first, which loads the
// global's Lua side).
const create = await lua(`
local N = 2000
Agent.builder():model("openai/gpt-4o-mini"):build()
local t0 = os.clock()
for i = 1, N do
  Agent.builder():name("a" .. i):model("openai/gpt-4o-mini"):system_prompt("You help."):temperature(0.2):build()
end
local t1 = os.clock()
local first0 = os.clock()
Tool.exists("calculator")
local first1 = os.clock()
local M = 500
local r0 = os.clock()
for i = 1, M do
  Tool.register("t" .. i, {description = "a tool", parameters = {type = "object", properties = {x = {type = "number"}}}, execute = function(p) return p.x end})
end
local r1 = os.clock()
print((t1 - t0) / N * 1000, (first1 - first0) * 1000, (r1 - r0) / M * 1000)
`);
const [agentMs, toolsFirstMs, toolMs] = create.out.trim().split("\t").map(Number);
rows.push([
  "agent creation (builder → build)",
  `${fmt(agentMs * 1000, 1)} µs`,
  "≤ 1 ms",
  verdict(agentMs <= 1),
]);
rows.push([
  "tool registration (Tool.register)",
  `${fmt(toolMs * 1000, 1)} µs`,
  "≤ 1 ms",
  verdict(toolMs <= 1),
]);
rows.push(["tools' first use (loads src/tools/)", `${fmt(toolsFirstMs, 1)} ms`, "", ""]);

// 2. Per call: plain fetch vs agent:execute, interleaved in rounds so both see the same load.
const body = JSON.stringify({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "ping" }],
});
async function plainFetch(): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${base}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer bench" },
    body,
  });
  await res.json();
  return performance.now() - t;
}
await lua(
  `bench_agent = Agent.builder():model("openai/gpt-4o-mini"):memory(0):build() bench_agent:execute("ping")`,
);
await plainFetch();
const fetchTimes: number[] = [];
const agentTimes: number[] = [];
const ROUND = 10;
for (let done = 0; done < calls; done += ROUND) {
  for (let i = 0; i < ROUND; i++) fetchTimes.push(await plainFetch());
  const t = performance.now();
  await lua(`for i = 1, ${ROUND} do bench_agent:execute("ping") end`);
  agentTimes.push((performance.now() - t) / ROUND);
}
const f = median(fetchTimes);
const a = median(agentTimes);
rows.push([`plain fetch, ${delayMs} ms response (median)`, `${fmt(f, 2)} ms`, "", ""]);
rows.push([
  `agent:execute, same server (median of ${ROUND}-call means)`,
  `${fmt(a, 2)} ms`,
  "",
  "",
]);
rows.push(["overhead ratio agent / fetch", `${fmt(a / f, 3)}x`, "≤ 1.1x", verdict(a / f <= 1.1)]);

// 3. Token → stdout: each token carries the time the server sent it.
const streamed = await lua(`bench_agent:stream("go", function(t) io.write(t) end)`);
const lat: number[] = [];
for (const e of streamed.events) {
  for (const line of e.text.split("\n")) {
    if (line.trim() !== "") lat.push(e.at - Number(line) / 1000);
  }
}
lat.sort((x, y) => x - y);
const med = median(lat);
rows.push([
  `token sent → stdout event (median of ${lat.length})`,
  `${fmt(med, 3)} ms`,
  "≤ 2 ms",
  verdict(med <= 2),
]);
rows.push([
  "token sent → stdout event (p95)",
  `${fmt(lat[Math.floor(lat.length * 0.95)] ?? NaN, 3)} ms`,
  "",
  "",
]);

engine.close();
server.kill();
await server.status;

console.log(`## llm (bench/llm.ts) ${new Date().toISOString()}`);
console.log(`machine: ${machine()}; load average: ${loadAvg()}`);
console.log(table(["measure", "value", "goal", ""], rows));
for (const v of verdicts) console.log(v);
Deno.exit(0);
