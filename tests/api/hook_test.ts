/**
 * The `Hook` global through the real CLI (`llmspell run` and `exec`): hooks around tool calls
 * (a Lua tool, a built-in one, and those an agent's tool loop makes) and agent calls against
 * the scripted OpenAI-wire server on 127.0.0.1: each action, priority order, unregister and
 * clear, an unknown point, a hook that fails.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, type CliResult, tempDir } from "../helpers/cli.ts";
import {
  openaiStream,
  openaiText,
  openaiToolCalls,
  ScriptedServer,
  unauthorized,
} from "../llm/servers.ts";

/** Runs `code` as script.lua with `llmspell run`, with the server as OpenAI's, if given. */
async function runLua(code: string, s?: ScriptedServer): Promise<CliResult> {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/script.lua`, code);
    const env: Record<string, string> = s
      ? {
        OPENAI_API_KEY: "sk-test-hooks",
        LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1",
        LLMSPELL_PROVIDERS_OPENAI_MAX_RETRIES: "0",
      }
      : {};
    return await cli(["run", "script.lua"], { cwd: dir, env });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function ok(r: CliResult): string {
  assertEquals([r.code, r.stderr], [0, ""], r.stdout);
  return r.stdout;
}

/** A Lua tool that says when it runs. */
const ECHO_TOOL = `
Tool.register("echo", {
  description = "Echoes a text",
  parameters = {type = "object", properties = {text = {type = "string"}}, required = {"text"}},
  execute = function(p) print("echo ran with " .. p.text) return "echo: " .. p.text end,
})
`;

Deno.test("tool hooks: continue sees the context; modify changes a call's parameters and its result, for a Lua tool and a built-in one", async () => {
  const out = ok(
    await runLua(
      ECHO_TOOL + `
Hook.register("BeforeToolExecution", function(ctx)
  print("before", ctx.point, ctx.kind, ctx.name, ctx.input.text or ctx.input.expression)
end)
Hook.register("BeforeToolExecution", function(ctx)
  if ctx.name == "echo" then return {action = "modify", input = {text = ctx.input.text .. "!"}} end
  return {action = "modify", input = {expression = "6 * 7"}}
end)
Hook.register("AfterToolExecution", function(ctx)
  print("after", ctx.point, ctx.name, ctx.input.text or ctx.input.expression)
  if ctx.name == "echo" then return {action = "modify", output = ctx.output:upper()} end
  return "continue"
end)
print(Tool.invoke("echo", {text = "hi"}))
print(Tool.calculator{expression = "1 + 1"}.result)
`,
    ),
  );
  assertEquals(
    out,
    "before\tBeforeToolExecution\ttool\techo\thi\n" +
      "echo ran with hi!\n" +
      "after\tAfterToolExecution\techo\thi!\n" +
      "ECHO: HI!\n" +
      "before\tBeforeToolExecution\ttool\tcalculator\t1 + 1\n" +
      "after\tAfterToolExecution\tcalculator\t6 * 7\n" +
      "42\n",
  );
});

Deno.test("tool hooks: cancel stops the call (before) or drops its result (after) with an error naming the hook's reason; replace gives the result without the call", async () => {
  const r = await runLua(
    ECHO_TOOL + `
local guard = Hook.register("BeforeToolExecution", function(ctx)
  return {action = "cancel", reason = "echo is off today"}
end, {name = "guard"})
local ok, e = pcall(Tool.invoke, "echo", {text = "hi"})
print(ok, getmetatable(e) == Hook.Error, e.code, e.point, e.hook, e.reason)
print(e.message)
guard:unregister()
Hook.register("BeforeToolExecution", function(ctx) return {action = "replace", result = "cached " .. ctx.input.text} end)
Hook.register("AfterToolExecution", function(ctx) print("after sees", ctx.output) end)
print(Tool.invoke("echo", {text = "hi"}))
Hook.clear()
Hook.register("AfterToolExecution", function(ctx)
  return {action = "cancel", reason = "bad output " .. ctx.output}
end, {name = "check"})
print(select(2, pcall(Tool.invoke, "echo", {text = "x"})).message)
Hook.clear()
Hook.register("BeforeToolExecution", function() return {action = "cancel", reason = "no"} end, {name = "guard"})
Tool.invoke("echo", {text = "uncaught"})
`,
  );
  assertEquals(r.code, 1);
  assertEquals(
    r.stdout,
    "false\ttrue\thook_cancelled\tBeforeToolExecution\tguard\techo is off today\n" +
      "BeforeToolExecution hook 'guard' cancelled tool 'echo': echo is off today\n" +
      "after sees\tcached hi\n" +
      "cached hi\n" +
      "echo ran with x\n" +
      "AfterToolExecution hook 'check' cancelled tool 'echo': bad output echo: x\n",
  );
  assert(
    r.stderr.startsWith(
      "error: hook_cancelled: BeforeToolExecution hook 'guard' cancelled tool 'echo': no\n",
    ),
    r.stderr,
  );
});

Deno.test("hooks run by priority (names or numbers, smaller first), then in the order registered; list, unregister and clear", async () => {
  const out = ok(
    await runLua(`
local function hook(label) return function() print(label) end end
Hook.register("BeforeToolExecution", hook("normal 1"))
Hook.register("BeforeToolExecution", hook("lowest"), "lowest")
Hook.register("BeforeToolExecution", hook("high"), "high")
local n2 = Hook.register("BeforeToolExecution", hook("normal 2"), {name = "n2"})
Hook.register("BeforeToolExecution", hook("-150"), -150)
Hook.register("BeforeToolExecution", hook("highest"), {priority = "highest", name = "top"})
Hook.register("BeforeToolExecution", hook("low"), "low")
Hook.register("AfterToolExecution", hook("after"))
Tool.calculator{expression = "1"}
for _, h in ipairs(Hook.list("BeforeToolExecution")) do io.write(h.name, "=", tostring(h.priority), " ") end
print()
print(#Hook.list(), #Hook.list("AfterToolExecution"), #Hook.list("ToolError"))
print(n2:unregister(), Hook.unregister(n2), #Hook.list())
Tool.calculator{expression = "1"}
print(Hook.clear("BeforeToolExecution"), #Hook.list())
Tool.calculator{expression = "1"}
print(Hook.clear(), #Hook.list())
Tool.calculator{expression = "1"}
print("end")
`),
  );
  assertEquals(
    out,
    "highest\n-150\nhigh\nnormal 1\nnormal 2\nlow\nlowest\nafter\n" +
      "top=highest script.lua:2=-150 script.lua:2=high script.lua:2=normal n2=normal " +
      "script.lua:2=low script.lua:2=lowest \n" +
      "8\t1\t0\n" +
      "true\tfalse\t7\n" +
      "highest\n-150\nhigh\nnormal 1\nlow\nlowest\nafter\n" +
      "6\t1\n" +
      "after\n" +
      "1\t0\n" +
      "end\n",
  );
});

Deno.test("an unknown point is an error with a did-you-mean; bad priorities and answers are clear errors", async () => {
  const r = await cli(["exec", `Hook.register("BeforeToolExecuton", print)`]);
  assertEquals(r.code, 1);
  assert(
    r.stderr.startsWith(
      "error: exec:1: Hook.register: unknown hook point 'BeforeToolExecuton' " +
        "(did you mean 'BeforeToolExecution'?); Hook.points() lists them\n",
    ),
    r.stderr,
  );
  const out = ok(
    await runLua(`
print(select(2, pcall(Hook.list, "AfterAgentExecutoin")))
print(select(2, pcall(Hook.clear, "nothing like it")))
print(select(2, pcall(Hook.register, "ToolError", print, "urgent")))
print(select(2, pcall(Hook.register, "ToolError", print, 0/0)))
print(table.concat(Hook.points(), " "))
Hook.register("AfterToolExecution", function() return {action = "replace", result = 1} end, {name = "r"})
print(tostring(select(2, pcall(Tool.calculator, {expression = "1"}))))
Hook.clear()
Hook.register("BeforeToolExecution", function() return "cancel" end, {name = "c"})
print(tostring(select(2, pcall(Tool.calculator, {expression = "1"}))))
Hook.clear()
Hook.register("AfterToolExecution", function() return {action = "modify", input = {}} end, {name = "m"})
print(tostring(select(2, pcall(Tool.calculator, {expression = "1"}))))
`),
  );
  assertEquals(
    out,
    "Hook.list: unknown hook point 'AfterAgentExecutoin' (did you mean 'AfterAgentExecution'?); " +
      "Hook.points() lists them\n" +
      "Hook.clear: unknown hook point 'nothing like it'; Hook.points() lists them\n" +
      "Hook.register: priority must be highest, high, normal, low, lowest or a number, got 'urgent'\n" +
      "Hook.register: priority must be highest, high, normal, low, lowest or a number, got NaN\n" +
      "BeforeAgentExecution AfterAgentExecution AgentError BeforeToolExecution AfterToolExecution ToolError " +
      "BeforeWorkflowStart AfterWorkflowComplete WorkflowError BeforeWorkflowStage AfterWorkflowStage\n" +
      "hook_failed: AfterToolExecution hook 'r' returned the action 'replace', which an after point " +
      "does not take (continue, modify, cancel)\n" +
      "hook_failed: BeforeToolExecution hook 'c' returned 'cancel': a hook returns nothing, " +
      '"continue" or {action = ...} (continue, modify, cancel, replace)\n' +
      "hook_failed: AfterToolExecution hook 'm' returned modify without output\n",
  );
});

Deno.test("a hook that raises fails the call with its point and name in the error", async () => {
  const r = await runLua(
    ECHO_TOOL + `
Hook.register("BeforeToolExecution", function(ctx) error("no " .. ctx.name .. " today") end)
Tool.invoke("echo", {text = "hi"})
`,
  );
  assertEquals(r.code, 1);
  assert(
    r.stderr.startsWith(
      "error: hook_failed: BeforeToolExecution hook 'script.lua:8' failed: " +
        "script.lua:8: no echo today\n",
    ),
    r.stderr,
  );
  assertEquals(r.stdout, "");
});

Deno.test("calls a hook makes run no hooks, so a hook may call the tool it watches", async () => {
  const out = ok(
    await runLua(`
local depth = 0
Hook.register("BeforeToolExecution", function(ctx)
  depth = depth + 1
  local inner = Tool.calculator{expression = "10 * 10"}.result
  print("hook", depth, ctx.input.expression, inner)
  return {action = "modify", input = {expression = ctx.input.expression .. " + " .. inner}}
end)
Hook.register("AfterToolExecution", function(ctx) print("after", ctx.output.result) end)
print(Tool.calculator{expression = "1"}.result)
`),
  );
  assertEquals(out, "hook\t1\t1\t100\nafter\t101\n101\n");
});

Deno.test("ToolError hooks see a tool's error and may give a result instead; otherwise the error goes on", async () => {
  const r = await runLua(`
Tool.register("broken", {execute = function() error("it broke") end})
Hook.register("ToolError", function(ctx)
  print("saw", ctx.point, ctx.name, ctx.error)
  if ctx.name == "broken" then return {action = "replace", result = "fallback"} end
end)
Hook.register("AfterToolExecution", function(ctx) print("after", ctx.output) end)
print(Tool.invoke("broken"))
print(pcall(Tool.calculator, {expression = "1 +"}))
Tool.calculator{expression = "2 +"}
`);
  assertEquals(r.code, 1);
  assertEquals(
    r.stdout,
    "saw\tToolError\tbroken\tscript.lua:2: it broke\n" +
      "after\tfallback\n" +
      "fallback\n" +
      "saw\tToolError\tcalculator\tcalculator: Expected expression after + at character 3\n" +
      "false\tcalculator: Expected expression after + at character 3\n" +
      "saw\tToolError\tcalculator\tscript.lua:10: calculator: Expected expression after + at character 3\n",
  );
  assert(
    r.stderr.startsWith(
      "error: script.lua:10: calculator: Expected expression after + at character 3\n",
    ),
    r.stderr,
  );
});

Deno.test("error hooks do not see a hook's failure: it ends the call even when they would give a result", async () => {
  const r = await runLua(`
Tool.register("outer", {execute = function() return Tool.calculator{expression = "1"}.result end})
Hook.register("BeforeToolExecution", function(ctx)
  if ctx.name == "calculator" then error("inner hook bug", 0) end
end, {name = "buggy"})
Hook.register("ToolError", function(ctx)
  print("saw", ctx.name)
  return {action = "replace", result = "hidden"}
end)
print(Tool.invoke("outer"))
`);
  assertEquals(r.code, 1);
  assertEquals(r.stdout, "");
  assert(
    r.stderr.startsWith(
      "error: hook_failed: BeforeToolExecution hook 'buggy' failed: inner hook bug\n",
    ),
    r.stderr,
  );
});

Deno.test("agent hooks: modify changes the prompt the model receives and the answer the script gets", async () => {
  const s = new ScriptedServer().script(openaiText("the answer"));
  try {
    const out = ok(
      await runLua(
        `
Hook.register("BeforeAgentExecution", function(ctx)
  print("before", ctx.kind, ctx.name, ctx.input)
  return {action = "modify", input = ctx.input .. " (be brief)"}
end)
Hook.register("AfterAgentExecution", function(ctx)
  print("after", ctx.input, ctx.output.text, ctx.output.usage.input_tokens)
  return {action = "modify", output = {text = ctx.output.text:upper()}}
end)
local a = Agent.builder():name("writer"):model("openai/gpt-4o-mini"):build()
print(a:execute("Tell me").text)
`,
        s,
      ),
    );
    assertEquals(
      out,
      "before\tagent\twriter\tTell me\n" +
        "after\tTell me (be brief)\tthe answer\t10\n" +
        "THE ANSWER\n",
    );
    assertEquals(s.requests.length, 1);
    assertEquals(s.requests[0].body.messages, [{ role: "user", content: "Tell me (be brief)" }]);
  } finally {
    await s.close();
  }
});

Deno.test("agent hooks run around agent:stream too: the callback gets the pieces of the modified prompt's answer; a replaced call streams nothing", async () => {
  const s = new ScriptedServer().script(openaiStream(["Once", " upon"]));
  try {
    const out = ok(
      await runLua(
        `
local h = Hook.register("BeforeAgentExecution", function(ctx)
  return {action = "modify", input = "Story: " .. ctx.input}
end)
Hook.register("AfterAgentExecution", function(ctx)
  print("after", ctx.output.text)
end)
local a = Agent.builder():model("openai/gpt-4o-mini"):build()
local pieces = {}
local r = a:stream("dragons", function(p) pieces[#pieces + 1] = p end)
print(table.concat(pieces), r.text)
h:unregister()
Hook.register("BeforeAgentExecution", function() return {action = "replace", result = "cached"} end)
print(a:stream("dragons", function(p) print("piece", p) end).text)
`,
        s,
      ),
    );
    assertEquals(out, "after\tOnce upon\nOnce upon\tOnce upon\nafter\tcached\ncached\n");
    assertEquals(s.requests.length, 1);
    assertEquals(s.requests[0].body.stream, true);
    assertEquals(s.requests[0].body.messages, [{ role: "user", content: "Story: dragons" }]);
  } finally {
    await s.close();
  }
});

Deno.test("agent hooks: cancel and replace make no request; AgentError may answer instead of a failed call", async () => {
  const s = new ScriptedServer().script(unauthorized());
  try {
    const r = await runLua(
      `
local a = Agent.builder():name("writer"):model("openai/gpt-4o-mini"):build()
local h = Hook.register("BeforeAgentExecution", function(ctx)
  return {action = "cancel", reason = "over budget"}
end, {name = "budget"})
local ok, e = pcall(a.execute, a, "hi")
print(ok, e.code, e.reason, tostring(e))
h:unregister()
h = Hook.register("BeforeAgentExecution", function(ctx)
  return {action = "replace", result = "cached: " .. ctx.input}
end)
local r = a:execute("hi")
print(r.text, #r.tool_calls, r.usage.input_tokens, #a:history())
h:unregister()
Hook.register("AgentError", function(ctx)
  print("error", ctx.name, ctx.error.code)
  return {action = "replace", result = "sorry"}
end)
print(a:execute("hi").text)
`,
      s,
    );
    assertEquals(
      ok(r),
      "false\thook_cancelled\tover budget\t" +
        "hook_cancelled: BeforeAgentExecution hook 'budget' cancelled agent 'writer': over budget\n" +
        "cached: hi\t0\t0\t0\n" +
        "error\twriter\tauth\n" +
        "sorry\n",
    );
    // Only the last call reached the model.
    assertEquals(s.requests.length, 1);
  } finally {
    await s.close();
  }
});

Deno.test("an agent's tool loop runs the tool hooks: a cancelled call is an error the model sees, a failing hook ends the call", async () => {
  const s = new ScriptedServer().script(
    openaiToolCalls([
      { id: "c1", name: "echo", arguments: { text: "one" } },
      { id: "c2", name: "calculator", arguments: { expression: "2 + 2" } },
    ]),
    openaiText("done"),
    openaiToolCalls([{ id: "c3", name: "echo", arguments: { text: "two" } }]),
  );
  try {
    const r = await runLua(
      ECHO_TOOL + `
Hook.register("BeforeToolExecution", function(ctx)
  if ctx.name == "calculator" then return {action = "cancel", reason = "no maths"} end
end, {name = "guard"})
Hook.register("AfterToolExecution", function(ctx)
  return {action = "modify", output = ctx.output .. " (checked)"}
end)
local a = Agent.builder():model("openai/gpt-4o-mini"):tools({"echo", "calculator"}):build()
print(a:execute("go").text)
Hook.register("BeforeToolExecution", function() error("hook bug") end, {name = "buggy"})
a:execute("again")
`,
      s,
    );
    assertEquals(r.code, 1);
    assertEquals(r.stdout, "echo ran with one\ndone\n");
    assert(
      r.stderr.startsWith(
        "error: hook_failed: BeforeToolExecution hook 'buggy' failed: script.lua:16: hook bug\n",
      ),
      r.stderr,
    );
    const tools = s.requests[1].body.messages.filter((m: { role: string }) => m.role === "tool");
    assertEquals(tools.map((m: { content: string }) => m.content), [
      "echo: one (checked)",
      "error: BeforeToolExecution hook 'guard' cancelled tool 'calculator': no maths",
    ]);
    assertEquals(s.requests.length, 3);
  } finally {
    await s.close();
  }
});

Deno.test("workflow hooks: around the workflow and each step; modify, replace, cancel, WorkflowError; a failed hook ends the run despite on_error", async () => {
  const out = ok(
    await runLua(`
Hook.register("BeforeWorkflowStart", function(ctx)
  print("start", ctx.kind, ctx.name, ctx.input)
  return {action = "modify", input = ctx.input * 10}
end)
Hook.register("BeforeWorkflowStage", function(ctx)
  print("step", ctx.name, ctx.workflow, ctx.step_kind, ctx.index, ctx.input)
  if ctx.name == "skip" then return {action = "replace", result = 100} end
  if ctx.name == "banned" then return {action = "cancel", reason = "not today"} end
end)
Hook.register("AfterWorkflowStage", function(ctx)
  if ctx.name == "add" then return {action = "modify", output = ctx.output + 1} end
end)
Hook.register("AfterWorkflowComplete", function(ctx)
  print("complete", ctx.name, ctx.input, ctx.output.output, ctx.output.success)
end)
local wf = Workflow.sequential{name = "calc", on_error = "continue", steps = {
  {name = "add", fn = function(_, x) return x + 1 end},
  {name = "skip", fn = function() print("skip ran") return 0 end},
  {name = "banned", fn = function() print("banned ran") end},
  {name = "half", fn = function(_, x) return x // 2 end},
}}
local r = wf:execute(2)
print(r.output, r.errors[1].step, r.errors[1].error)
Hook.clear()
local h = Hook.register("BeforeWorkflowStart", function(ctx)
  if ctx.name == "cached" then return {action = "replace", result = "from cache"} end
  return {action = "cancel", reason = "closed"}
end)
local c = Workflow.sequential{name = "cached", steps = {{fn = function() print("cached ran") end}}}
local r2 = c:execute()
print(r2.output, r2.success, r2.name)
local e = select(2, pcall(wf.execute, wf, 1))
print(e.code, e.message)
h:unregister()
Hook.register("WorkflowError", function(ctx)
  print("error", ctx.name, ctx.error)
  return {action = "replace", result = "fallback"}
end)
local bad = Workflow.sequential{name = "bad", steps = {{name = "boom", fn = function() error("boom", 0) end}}}
print(bad:execute().output)
Hook.clear()
Hook.register("BeforeWorkflowStage", function() error("stage hook bug", 0) end, {name = "buggy"})
print(select(2, pcall(wf.execute, wf, 1)).message)
`),
  );
  assertEquals(
    out,
    "start\tworkflow\tcalc\t2\n" +
      "step\tadd\tcalc\tfn\t1\t20\n" +
      "step\tskip\tcalc\tfn\t2\t22\n" +
      "step\tbanned\tcalc\tfn\t3\t100\n" +
      "step\thalf\tcalc\tfn\t4\t100\n" +
      "complete\tcalc\t20\t50\tfalse\n" +
      "50\tbanned\thook_cancelled: BeforeWorkflowStage hook 'script.lua:6' cancelled step " +
      "'banned': not today\n" +
      "from cache\ttrue\tcached\n" +
      "hook_cancelled\tBeforeWorkflowStart hook 'script.lua:26' cancelled workflow 'calc': closed\n" +
      "error\tbad\tworkflow 'bad': step 'boom' failed: boom\n" +
      "fallback\n" +
      "BeforeWorkflowStage hook 'buggy' failed: stage hook bug\n",
  );
});

Deno.test("workflow hooks run in each branch of a parallel workflow, host calls of their own included", async () => {
  const out = ok(
    await runLua(`
Hook.register("BeforeWorkflowStage", function(ctx)
  -- A host call made in a scheduled branch: submitted, the branch yields.
  local n = Tool.calculator{expression = ctx.input .. " * " .. ctx.index}.result
  return {action = "modify", input = n}
end)
local seen = {}
Hook.register("AfterWorkflowStage", function(ctx) seen[#seen + 1] = ctx.name end)
local wf = Workflow.parallel{name = "fan", steps = {
  {name = "a", fn = function(_, x) return x + 1 end},
  {name = "b", fn = function(_, x) return x + 2 end},
  {name = "c", fn = function(_, x) return x + 3 end},
}}
local r = wf:execute(10)
print(r.output.a, r.output.b, r.output.c, #seen)
`),
  );
  assertEquals(out, "11\t22\t33\t3\n");
});

Deno.test("a time limit inside a hook ends the input as a time limit, not a hook failure; the hooks stay for the next input", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/llmspell.toml`, "[engines.lua]\ntimeout_ms = 500\n");
    const r = await cli(["repl"], {
      cwd: dir,
      stdin: `Hook.register("BeforeToolExecution", function(ctx)
  if ctx.input.expression == "spin" then while true do end end
  print("hook ran")
end)
Tool.calculator{expression = "spin"}
print(Tool.calculator{expression = "6 * 7"}.result, #Hook.list())
`,
    });
    assertEquals(r.stdout, "Hook(BeforeToolExecution, In[1]:1)\nhook ran\n42\t1\n");
    assertEquals(r.stderr, "error: timed out after 0.5 s\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an error of an agent or tool call points at the script's line with hooks around the call and without", async () => {
  const out = ok(
    await runLua(`
Tool.register("echo", {
  parameters = {type = "object", properties = {text = {type = "string"}}, required = {"text"}},
  execute = function(p) return p.text end,
})
local a = Agent.builder():name("w"):model("openai/gpt-4o-mini"):build()
local function calls(label)
  print(label, select(2, pcall(function() local r = Tool.invoke("echo", {}) return r end)))
  print(label, select(2, pcall(function() local r = Tool.calculator{expression = "1 +"} return r end)))
  print(label, select(2, pcall(function() local r = a:execute(42) return r end)))
  print(label, select(2, pcall(function() local r = a.execute({}, "hi") return r end)))
end
calls("plain")
-- Error hooks too: the call runs caught (pcall) then, and the error goes on unchanged.
for _, p in ipairs(Hook.points()) do Hook.register(p, function() end) end
calls("hooked")
`),
  );
  const lines = (label: string) =>
    `${label}\tscript.lua:8: tool 'echo': invalid parameters: missing required parameter 'text'\n` +
    `${label}\tscript.lua:9: calculator: Expected expression after + at character 3\n` +
    `${label}\tscript.lua:10: bad argument #1 to 'execute' (string or table expected, got number)\n` +
    `${label}\tscript.lua:11: Agent: call its methods with a colon (agent:execute(...))\n`;
  assertEquals(out, lines("plain") + lines("hooked"));
});
