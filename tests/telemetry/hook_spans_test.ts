/**
 * Hook spans through the real CLI and Deno's exporter, to a local OTLP/HTTP receiver: each
 * hook run is a span `llmspell.hook` (point, name, index, target, action; a failed hook's
 * span is an error) under the execution, and what a hook calls (a tool) is its child.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { openaiText, openaiToolCalls, ScriptedServer } from "../llm/servers.ts";
import { OtlpReceiver, type ReceivedSpan } from "./otlp_receiver.ts";

const SCRIPT = `
Hook.register("BeforeAgentExecution", function(ctx) end, {name = "watch", priority = "high"})
Hook.register("BeforeToolExecution", function(ctx)
  -- A hook's own tool call: its span is the hook's child.
  local n = Tool.calculator{expression = "20 + 1"}.result
  return {action = "modify", input = {expression = ctx.input.expression .. " * " .. n}}
end, {name = "times21"})
Hook.register("AfterToolExecution", function(ctx)
  return {action = "cancel", reason = "too big"}
end, {name = "veto"})
local agent = Agent.builder():model("openai/gpt-4o-mini"):tools({"calculator"}):build()
print(agent:execute("go").text)
Hook.clear()
Hook.register("BeforeToolExecution", function() error("broken hook") end, {name = "broken"})
print(pcall(Tool.calculator, {expression = "1"}))
`;

function attrs(s: ReceivedSpan): unknown[] {
  const a = s.attributes;
  return [
    a["llmspell.hook.point"],
    a["llmspell.hook.name"],
    a["llmspell.hook.index"],
    a["llmspell.hook.target"],
    a["llmspell.hook.action"],
    a["llmspell.hook.reason"],
  ];
}

Deno.test("OTEL_DENO: each hook run is a span llmspell.hook under the execution, with what the hook did", async () => {
  const receiver = new OtlpReceiver();
  const s = new ScriptedServer().script(
    openaiToolCalls([{ id: "c1", name: "calculator", arguments: { expression: "2" } }]),
    openaiText("vetoed"),
  );
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/hooks.lua`, SCRIPT);
    const r = await cli(["run", "hooks.lua"], {
      cwd: dir,
      env: {
        OPENAI_API_KEY: "sk-test-otel",
        LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1",
        ...receiver.env,
      },
    });
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(
      r.stdout,
      "vetoed\nfalse\thook_failed: BeforeToolExecution hook 'broken' failed: " +
        "hooks.lua:14: broken hook\n",
    );
    // The model got the veto as the tool's error.
    const tool = s.requests[1].body.messages.find((m: { role: string }) => m.role === "tool");
    assertEquals(
      tool.content,
      "error: AfterToolExecution hook 'veto' cancelled tool 'calculator': too big",
    );
    await receiver.waitForSpan("llmspell.execute_request");
    const spans = receiver.spans;
    const execute = spans.find((x) => x.name === "llmspell.execute")!;
    const hooks = spans.filter((x) => x.name === "llmspell.hook").sort((a, b) => a.start - b.start);
    assertEquals(hooks.map(attrs), [
      ["BeforeAgentExecution", "watch", 1, "agent agent_1", "continue", undefined],
      ["BeforeToolExecution", "times21", 1, "tool calculator", "modify", undefined],
      ["AfterToolExecution", "veto", 1, "tool calculator", "cancel", "too big"],
      ["BeforeToolExecution", "broken", 1, "tool calculator", "fail", undefined],
    ]);
    for (const h of hooks) {
      assertEquals(h.parentSpanId, execute.spanId, h.name);
      assertEquals(h.traceId, execute.traceId);
      assert(execute.start <= h.start && h.end <= execute.end, JSON.stringify(h));
    }
    assertEquals(hooks.map((h) => h.status.code ?? 0), [0, 0, 0, 2]);
    assertEquals(hooks[3].attributes["error.type"], "hook_failed");
    assertEquals(
      hooks[3].status.message,
      "BeforeToolExecution hook 'broken' failed: hooks.lua:14: broken hook",
    );
    // The tool the hook called is the hook's child; the agent's own call is the execution's.
    const tools = spans.filter((x) => x.name === "llmspell.tool");
    assertEquals(tools.length, 2, JSON.stringify(tools));
    const underHook = tools.filter((t) => t.parentSpanId === hooks[1].spanId);
    const underExecute = tools.filter((t) => t.parentSpanId === execute.spanId);
    assertEquals([underHook.length, underExecute.length], [1, 1]);
    const inner = underHook[0];
    assert(hooks[1].start <= inner.start && inner.end <= hooks[1].end, JSON.stringify(inner));
    // The hook ran before the call it changed.
    assert(hooks[1].end <= underExecute[0].start, JSON.stringify([hooks[1], underExecute[0]]));
  } finally {
    await s.close();
    await receiver.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OTEL_DENO: a workflow's hooks are spans under the execution (the workflow's) and its step (a step's, and those of the calls the step makes)", async () => {
  const receiver = new OtlpReceiver();
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/wf.lua`,
      `
Hook.register("BeforeWorkflowStart", function() end, {name = "start"})
Hook.register("BeforeWorkflowStage", function() end, {name = "stage"})
Hook.register("BeforeToolExecution", function() end, {name = "tool"})
local wf = Workflow.sequential{name = "w", steps = {{name = "calc", tool = "calculator", input = {expression = "1 + 1"}}}}
print(wf:execute().output.result)
`,
    );
    const r = await cli(["run", "wf.lua"], {
      cwd: dir,
      env: {
        ...receiver.env,
      },
    });
    assertEquals([r.code, r.stdout, r.stderr], [0, "2\n", ""]);
    await receiver.waitForSpan("llmspell.execute_request");
    const spans = receiver.spans;
    const one = (name: string, hook?: string) => {
      const found = spans.filter((x) =>
        x.name === name && (hook === undefined || x.attributes["llmspell.hook.name"] === hook)
      );
      assertEquals(found.length, 1, `${name} ${hook ?? ""}: ${found.length}`);
      return found[0];
    };
    const execute = one("llmspell.execute");
    const workflow = one("llmspell.workflow");
    const step = one("llmspell.workflow.step");
    assertEquals(workflow.parentSpanId, execute.spanId);
    assertEquals(step.parentSpanId, workflow.spanId);
    assertEquals(one("llmspell.hook", "start").parentSpanId, execute.spanId);
    const stage = one("llmspell.hook", "stage");
    assertEquals(stage.parentSpanId, step.spanId);
    assertEquals(stage.attributes["llmspell.hook.target"], "step calc");
    assertEquals(one("llmspell.hook", "tool").parentSpanId, step.spanId);
    assertEquals(one("llmspell.tool").parentSpanId, step.spanId);
  } finally {
    await receiver.close();
    await Deno.remove(dir, { recursive: true });
  }
});
