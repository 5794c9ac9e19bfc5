/**
 * OpenTelemetry through the real CLI and Deno's built-in exporter, to a local OTLP/HTTP
 * receiver: the span tree of an agent run with a Lua tool and a built-in tool (names,
 * parents, GenAI attributes), `[telemetry]` in the config turning it on, kernel requests
 * over ZMTP, a stream of cells whose every span arrives, and nothing sent when it is off; a
 * workflow's run and steps, parents of the model and tool calls their steps make, in
 * parallel branches too.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { BarrierServer, openaiText, openaiToolCalls, ScriptedServer } from "../llm/servers.ts";
import { driver, startKernel } from "../kernel/helpers.ts";
import { OtlpReceiver, type ReceivedSpan } from "./otlp_receiver.ts";

const AGENT = `
Tool.register("shout", {
  description = "Upper-cases a text",
  parameters = {type = "object", properties = {text = {type = "string"}}, required = {"text"}},
  execute = function(p) return p.text:upper() end,
})
local agent = Agent.builder():model("openai/gpt-4o-mini"):temperature(0.5)
  :tools({"shout", "calculator"}):build()
print(agent:execute("go").text)
`;

function llmEnv(s: { url: string }): Record<string, string> {
  return {
    OPENAI_API_KEY: "sk-test-otel",
    LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1",
  };
}

function agentServer(): ScriptedServer {
  return new ScriptedServer().script(
    openaiToolCalls([
      { id: "c1", name: "shout", arguments: { text: "hi" } },
      { id: "c2", name: "calculator", arguments: { expression: "6 * 7" } },
    ]),
    openaiText("HI and 42"),
  );
}

function byName(spans: ReceivedSpan[], name: string): ReceivedSpan[] {
  return spans.filter((s) => s.name === name);
}

function one(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = byName(spans, name);
  assertEquals(found.length, 1, `${name}: ${found.length} spans`);
  return found[0];
}

/** `inner` started and ended within `outer`, which lies within [from, to] (ms since the epoch). */
function within(inner: ReceivedSpan, outer: ReceivedSpan, from: number, to: number): void {
  const times = (s: ReceivedSpan) => `${s.name} ${s.start}..${s.end}`;
  assert(from <= outer.start && outer.end <= to, `${times(outer)} not within ${from}..${to}`);
  assert(
    outer.start <= inner.start && inner.start <= inner.end && inner.end <= outer.end,
    `${times(inner)} not within ${times(outer)}`,
  );
}

/**
 * The span tree of an agent run that ran between `from` and `to` (ms since the epoch):
 * request → execute → chat ×2, tool ×2; fetch under chat; each child within its parent's time.
 */
function checkAgentTree(spans: ReceivedSpan[], service: string, from: number, to: number): void {
  const request = one(spans, "llmspell.execute_request");
  const execute = one(spans, "llmspell.execute");
  const chats = byName(spans, "chat gpt-4o-mini");
  const tools = byName(spans, "llmspell.tool");
  assertEquals(request.parentSpanId, "");
  assertEquals(request.kind, 2); // SERVER
  assertEquals(request.attributes["rpc.method"], "execute_request");
  assertEquals(request.service, service);
  assertEquals(execute.parentSpanId, request.spanId);
  within(execute, request, from, to);
  assertEquals(execute.attributes["llmspell.chunk"], "@agent.lua");
  assertEquals(chats.length, 2);
  for (const c of chats) {
    assertEquals(c.parentSpanId, execute.spanId);
    within(c, execute, from, to);
    assertEquals(c.traceId, request.traceId);
    assertEquals(c.kind, 3); // CLIENT
    assertEquals(c.attributes["gen_ai.operation.name"], "chat");
    assertEquals(c.attributes["gen_ai.system"], "openai");
    assertEquals(c.attributes["gen_ai.request.model"], "gpt-4o-mini");
    assertEquals(c.attributes["gen_ai.request.temperature"], 0.5);
    assertEquals(c.attributes["gen_ai.response.model"], "gpt-4o-mini");
    assertEquals(c.attributes["server.address"], "127.0.0.1");
  }
  const usage = (c: ReceivedSpan) => [
    c.attributes["gen_ai.response.finish_reasons"],
    c.attributes["gen_ai.usage.input_tokens"],
    c.attributes["gen_ai.usage.output_tokens"],
  ];
  assertEquals(chats.map(usage).sort(), [[["stop"], 10, 5], [["tool_calls"], 20, 10]]);
  // Deno traces the HTTP request itself, as a child of the model call.
  const fetches = spans.filter((s) => chats.some((c) => c.spanId === s.parentSpanId));
  assertEquals(fetches.length, 2, spans.map((s) => s.name).join(", "));
  // Each starts within its model call. Its end is Deno's: it closes the span when the body's
  // stream is released, which can come a turn of the event loop after the call returned.
  for (const f of fetches) {
    const chat = chats.find((c) => c.spanId === f.parentSpanId)!;
    assert(
      chat.start <= f.start && f.start <= chat.end && f.start <= f.end,
      `fetch ${f.start}..${f.end} in ${chat.start}..${chat.end}`,
    );
  }
  assertEquals(
    tools.map((t) => [t.attributes["gen_ai.tool.name"], t.attributes["llmspell.tool.source"]])
      .sort(),
    [["calculator", "builtin"], ["shout", "lua"]],
  );
  for (const t of tools) {
    assertEquals(t.parentSpanId, execute.spanId);
    within(t, execute, from, to);
    assertEquals(t.attributes["gen_ai.operation.name"], "execute_tool");
  }
}

Deno.test("OTEL_DENO: an agent run gives the span tree request → execute → chat and tool calls", async () => {
  const receiver = new OtlpReceiver();
  const s = agentServer();
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/agent.lua`, AGENT);
    const from = Date.now();
    const r = await cli(["run", "agent.lua"], {
      cwd: dir,
      env: {
        ...llmEnv(s),
        ...receiver.env,
        OTEL_SERVICE_NAME: "otel-test",
      },
    });
    const to = Date.now();
    assertEquals([r.code, r.stdout, r.stderr], [0, "HI and 42\n", ""]);
    await receiver.waitForSpan("llmspell.execute_request");
    checkAgentTree(receiver.spans, "otel-test", from, to);
  } finally {
    await s.close();
    await receiver.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[telemetry] enabled in the config turns tracing on (the process restarts with Deno's exporter)", async () => {
  const receiver = new OtlpReceiver();
  const s = agentServer();
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/agent.lua`, AGENT);
    await Deno.writeTextFile(
      `${dir}/llmspell.toml`,
      `[telemetry]\nenabled = true\nendpoint = "${receiver.endpoint}"\nprotocol = "http/json"\n`,
    );
    const from = Date.now();
    const r = await cli(["run", "agent.lua"], { cwd: dir, env: llmEnv(s) });
    const to = Date.now();
    assertEquals([r.code, r.stdout, r.stderr], [0, "HI and 42\n", ""]);
    await receiver.waitForSpan("llmspell.execute_request");
    checkAgentTree(receiver.spans, "llmspell", from, to);
  } finally {
    await s.close();
    await receiver.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kernel requests over ZMTP have spans; a failing cell's span is an error", async () => {
  const receiver = new OtlpReceiver();
  const k = await startKernel([], {
    env: {
      ...receiver.env,
    },
  });
  try {
    const opts = { cwd: k.home, env: { LLMSPELL_HOME: k.home } };
    assertEquals((await cli(["exec", "--connect", k.id, "1 + 1"], opts)).stdout, "2\n");
    assertEquals((await cli(["exec", "--connect", k.id, "error('boom')"], opts)).code, 1);
  } finally {
    await k.stop(); // its exit flushes what is left
  }
  try {
    await receiver.waitForSpan("llmspell.execute_request");
    const executes = byName(receiver.spans, "llmspell.execute");
    const failed = executes.filter((e) => e.status.code === 2);
    assertEquals([executes.length, failed.length], [2, 1], JSON.stringify(executes));
    assert(String(failed[0].status.message).includes("boom"), JSON.stringify(failed[0]));
    assertEquals(failed[0].attributes["error.type"], "lua.runtime");
    assert(
      byName(receiver.spans, "llmspell.kernel_info_request").length >= 1,
      receiver.spans.map((s) => s.name).join(", "),
    );
  } finally {
    await receiver.close();
  }
});

Deno.test("a stream of 3,000 cells: every span reaches the collector while the kernel runs, none lost or doubled", async () => {
  // Spans are handed to Deno's exporter in batches (src/telemetry/tracing.ts); Deno's queue
  // holds 2,048 and drops the rest. Its own batch delay is cut so that the test waits on our
  // hand-over, not on it.
  const receiver = new OtlpReceiver();
  const k = await startKernel([], {
    env: {
      ...receiver.env,
      OTEL_BSP_SCHEDULE_DELAY: "100",
    },
  });
  const n = 3000;
  const executes = () => byName(receiver.spans, "llmspell.execute");
  try {
    const r = await driver(["stream", k.connectionFile, String(n)]);
    assertEquals(r.json, { ok: n }, r.stderr);
    // Still running: what it handed over came without its exit's flush.
    await receiver.waitFor(
      () => executes().length >= n,
      () => `${executes().length} of ${n} execute spans while the kernel runs`,
    );
  } finally {
    await k.stop();
  }
  try {
    const requests = new Map(
      byName(receiver.spans, "llmspell.execute_request").map((s) => [s.spanId, s]),
    );
    assertEquals(executes().length, n);
    assertEquals(new Set(executes().map((s) => s.spanId)).size, n);
    assert(executes().every((s) => requests.has(s.parentSpanId)), "an execute without its request");
  } finally {
    await receiver.close();
  }
});

Deno.test("telemetry off: nothing is sent", async () => {
  const receiver = new OtlpReceiver();
  const dir = await tempDir();
  try {
    const r = await cli(["exec", "1 + 1"], {
      cwd: dir,
      env: {
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      },
    });
    assertEquals(r.stdout, "2\n");
    assertEquals(receiver.paths, []);
  } finally {
    await receiver.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OTEL_DENO: a workflow's run and steps are spans, parents of the model and tool calls their steps make, parallel branches too", async () => {
  const receiver = new OtlpReceiver();
  // Both branches' model calls are held until both are open: their spans overlap.
  const s = new BarrierServer(2, 15_000);
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/wf.lua`,
      `
local agent = Agent.builder():model("openai/gpt-4o-mini"):build()
local inner = Workflow.sequential{name = "inner", steps = {
  {name = "calc", tool = "calculator", input = {expression = "1 + 1"}},
  {name = "ask", agent = agent, input = "inner"},
}}
local wf = Workflow.parallel{name = "fan", steps = {
  {name = "left", agent = agent, input = "left"},
  {name = "right", workflow = inner},
  {name = "broken", fn = function() error("kaput") end, on_error = "continue"},
}}
local r = wf:execute()
print(r.outputs.left, r.outputs.right, #r.errors)
`,
    );
    const r = await cli(["run", "wf.lua"], {
      cwd: dir,
      env: {
        ...llmEnv(s),
        ...receiver.env,
      },
    });
    assertEquals([r.code, r.stdout, r.stderr], [0, "echo: left\techo: inner\t1\n", ""]);
    await receiver.waitForSpan("llmspell.execute_request");
    const spans = receiver.spans;
    const execute = one(spans, "llmspell.execute");
    const workflows = byName(spans, "llmspell.workflow");
    const fan = workflows.find((w) => w.attributes["llmspell.workflow.name"] === "fan")!;
    const inner = workflows.find((w) => w.attributes["llmspell.workflow.name"] === "inner")!;
    assertEquals(fan.parentSpanId, execute.spanId);
    assertEquals(
      [fan.attributes["llmspell.workflow.kind"], fan.attributes["llmspell.workflow.steps"]],
      ["parallel", 3],
    );
    const steps = byName(spans, "llmspell.workflow.step");
    const step = (name: string) =>
      steps.find((x) => x.attributes["llmspell.workflow.step.name"] === name)!;
    for (const [name, kind, index] of [["left", "agent", 1], ["right", "workflow", 2]] as const) {
      assertEquals(step(name).parentSpanId, fan.spanId, name);
      assertEquals(step(name).attributes["llmspell.workflow.step.kind"], kind);
      assertEquals(step(name).attributes["llmspell.workflow.step.index"], index);
      assertEquals(step(name).status.code ?? 0, 0);
    }
    // The failed step's span is an error, its message the step's.
    assertEquals(step("broken").parentSpanId, fan.spanId);
    assertEquals(step("broken").status.code, 2);
    assert(String(step("broken").status.message).includes("kaput"));
    // The nested workflow under its step; its steps under it.
    assertEquals(inner.parentSpanId, step("right").spanId);
    assertEquals(step("calc").parentSpanId, inner.spanId);
    assertEquals(step("ask").parentSpanId, inner.spanId);
    // Each model call and tool call under the step that made it, though the branches overlap.
    const chats = byName(spans, "chat gpt-4o-mini");
    assertEquals(
      chats.map((c) => c.parentSpanId).sort(),
      [step("left").spanId, step("ask").spanId].sort(),
    );
    const [left, ask] = [step("left"), step("ask")];
    assert(left.start < ask.end && ask.start < left.end, "the two branches' steps overlap in time");
    assertEquals(one(spans, "llmspell.tool").parentSpanId, step("calc").spanId);
  } finally {
    await s.close();
    await receiver.close();
    await Deno.remove(dir, { recursive: true });
  }
});
