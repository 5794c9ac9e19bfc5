/**
 * The Workflow global through the real CLI, against local OpenAI-wire servers: each kind
 * (sequential, parallel, conditional, loop, the builder) with agent, tool, fn and nested
 * steps; parallel branches proven in flight together by a server that holds every request
 * until N are open (and max_concurrency proven to bound them); errors at construction and
 * on_error; a recorded parallel run replayed without the server.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { BarrierServer, openaiStream, openaiText, type Reply, ScriptedServer } from "./servers.ts";
import { driver, startKernel, until } from "../kernel/helpers.ts";

const DRIVER = new URL("./llm_driver.py", import.meta.url).pathname;

const KEY = "sk-test-workflow";

function llmEnv(url: string, home: string): Record<string, string> {
  return {
    OPENAI_API_KEY: KEY,
    LLMSPELL_PROVIDERS_OPENAI_BASE_URL: url + "/v1",
    LLMSPELL_HOME: home,
  };
}

/** Runs `script` as a file with `llmspell run` in a fresh home. */
async function runScript(script: string, url: string, home?: string) {
  const dir = home ?? await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/wf.lua`, script);
    return await cli(["run", "wf.lua"], { cwd: dir, env: llmEnv(url, dir) });
  } finally {
    if (!home) await Deno.remove(dir, { recursive: true });
  }
}

/** Answers each chat with `echo: <the last user message>`. */
const echo: Reply = (body) => {
  const user = (body.messages as { role: string; content: string }[])
    .filter((m) => m.role === "user").at(-1)?.content;
  return openaiText(`echo: ${user}`);
};

const PARALLEL = (n: number, max?: number) => `
local steps = {}
for i = 1, ${n} do
  steps[i] = {name = "b" .. i, agent = Agent.builder():name("a" .. i):model("openai/gpt-4o-mini"):build(),
    input = function(ctx) return ctx.input .. " " .. i end}
end
local wf = Workflow.parallel{name = "fan", steps = steps${max ? `, max_concurrency = ${max}` : ""}}
local r = wf:execute("q")
for i = 1, ${n} do print(r.outputs["b" .. i]) end
print(r.success, #r.errors)
`;

const expectedEchoes = (n: number) =>
  Array.from({ length: n }, (_, i) => `echo: q ${i + 1}`).join("\n") + "\ntrue\t0\n";

Deno.test("workflow: a sequential run passes each step's output on: agent, tool, fn and a nested workflow", async () => {
  const s = new ScriptedServer().script(echo, echo);
  try {
    const r = await runScript(
      `
local agent = Agent.builder():name("helper"):model("openai/gpt-4o-mini"):build()
local inner = Workflow.sequential{name = "inner", steps = {
  {name = "shout", fn = function(ctx, input) return input:upper() end},
  {name = "ask", agent = "helper"},
}}
local wf = Workflow.sequential{name = "outer", steps = {
  {name = "calc", tool = "calculator", input = {expression = "6 * 7"}},
  {name = "phrase", fn = function(ctx, input) return "the answer is " .. input.result end},
  {name = "ask", agent = agent},
  {name = "nested", workflow = inner},
  {name = "both", fn = function(ctx) return ctx.outputs.phrase .. " | " .. ctx.last end},
}}
local r = wf:execute()
print(r.success, r.name, r.kind, #r.errors)
print(r.outputs.ask)
print(r.outputs.nested)
print(r.output)
State.scope("workflow:outer"):set("k", 1)
print(Workflow.sequential{name = "outer2", steps = {
  {fn = function(ctx) return State.scope("workflow:outer"):get("k") + 1 end},
  {fn = function(ctx, n) ctx.state:set("n", n) return ctx.state:get("n") end},
}}:execute().output)
`,
      s.url,
    );
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(
      r.stdout,
      "true\touter\tsequential\t0\n" +
        "echo: the answer is 42\n" +
        "echo: ECHO: THE ANSWER IS 42\n" +
        "the answer is 42 | echo: ECHO: THE ANSWER IS 42\n" +
        "2\n",
    );
    assertEquals(s.requests.length, 2);
  } finally {
    await s.close();
  }
});

Deno.test("workflow: parallel agent branches are in flight together (the server answers none until all 4 are open)", async () => {
  // Held up to 15 s: only a run whose 4 requests are open at once gets its answers at once.
  const s = new BarrierServer(4, 15_000);
  try {
    const r = await runScript(PARALLEL(4), s.url);
    assertEquals([r.code, r.stderr], [0, ""]);
    // Answered last-first: each branch still gets its own answer.
    assertEquals(r.stdout, expectedEchoes(4));
    assertEquals(s.maxOpen, 4);
    assertEquals(s.aborted, []);
  } finally {
    await s.close();
  }
});

Deno.test("workflow: max_concurrency bounds the branches in flight (2 of 4 at a time; 1 is one at a time)", async () => {
  const s = new BarrierServer(2, 15_000);
  try {
    const r = await runScript(PARALLEL(4, 2), s.url);
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(r.stdout, expectedEchoes(4));
    assertEquals(s.maxOpen, 2);
  } finally {
    await s.close();
  }
  // Pairs would be answered at once; one at a time, each waits out the hold alone.
  const one = new BarrierServer(2, 300);
  try {
    const r = await runScript(PARALLEL(3, 1), one.url);
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(r.stdout, expectedEchoes(3));
    assertEquals(one.maxOpen, 1);
  } finally {
    await one.close();
  }
});

Deno.test("workflow: conditional, loop and the builder", async () => {
  const s = new ScriptedServer().script(echo);
  try {
    const r = await runScript(
      `
local c = Workflow.conditional{name = "size", condition = function(ctx) return ctx.input > 3 end,
  then_steps = {{name = "big", fn = function() return "big" end}},
  else_steps = {{name = "small", fn = function() return "small" end}}}
print(c:execute(5).output, c:execute(1).output, c:execute(1).branch)
local routed = Workflow.conditional{name = "route", branches = {
  {name = "greeting", condition = {type = "contains", text = "hello"},
   steps = {{name = "reply", agent = Agent.builder():model("openai/gpt-4o-mini"):build()}}},
  {name = "never", condition = {type = "never"}, steps = {{fn = function() return "no" end}}},
}, else_steps = {{name = "other", fn = function(ctx, input) return "other: " .. input end}}}
local r1 = routed:execute("hello there")
print(r1.branch, r1.output)
print(routed:execute("bye").output)
local doubling = Workflow.loop{name = "double", max_iterations = 10,
  stop_when = function(ctx) return ctx.last >= 20 end,
  steps = {{name = "x2", fn = function(ctx, n) return n * 2 end}}}
local l = doubling:execute(3)
print(l.output, #l.iterations, table.concat(l.iterations, ","))
local squares = Workflow.loop{name = "squares", over = {1, 2, 3},
  steps = {{name = "sq", tool = "calculator", input = function(ctx) return {expression = ctx.item .. "^2"} end}}}
local q = squares:execute()
print(q.iterations[1].result, q.iterations[2].result, q.iterations[3].result)
local b = Workflow.builder():name("built"):parallel():max_concurrency(2)
  :add_step{name = "one", fn = function() return 1 end}
  :add_step{name = "two", workflow = doubling}
  :build()
local br = b:execute(7)
print(br.kind, br.output.one, br.output.two, Workflow.get("built") == b)
`,
      s.url,
    );
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(
      r.stdout,
      "big\tsmall\telse\n" +
        "greeting\techo: hello there\n" +
        "other: bye\n" +
        "24\t3\t6,12,24\n" +
        "1\t4\t9\n" +
        "parallel\t1\t28\ttrue\n",
    );
  } finally {
    await s.close();
  }
});

Deno.test("workflow: bad configuration is an error at construction naming the field", async () => {
  const cases: [string, RegExp][] = [
    [
      `Workflow.sequential{name = "x", stepz = {}}`,
      /^error: wf\.lua:1: Workflow\.sequential: unknown field 'stepz'\n/,
    ],
    [
      `Workflow.parallel{name = "x", steps = {{name = "s"}}}`,
      /^error: wf\.lua:1: Workflow\.parallel: steps\[1\]: a step needs one of agent, tool, fn or workflow\n/,
    ],
    [
      `Workflow.sequential{steps = {{fn = print, tool = "calculator"}}}`,
      /^error: wf\.lua:1: Workflow\.sequential: steps\[1\]: a step has one of agent, tool, fn, workflow; it has tool and fn\n/,
    ],
    [
      `Workflow.parallel{steps = {{fn = print}}, max_concurrency = "2"}`,
      /^error: wf\.lua:1: Workflow\.parallel: 'max_concurrency' must be a number, got string\n/,
    ],
    [
      `Workflow.sequential{steps = {{fn = print, input = 3}}}`,
      /^error: wf\.lua:1: Workflow\.sequential: steps\[1\]: 'input' must be a string or table or function, got number\n/,
    ],
    [
      `Workflow.loop{steps = {{fn = print}}}`,
      /^error: wf\.lua:1: Workflow\.loop: a loop needs max_iterations or a list to go over/,
    ],
    [
      `Workflow.sequential{steps = {{fn = print, on_error = "ignore"}}}`,
      /^error: wf\.lua:1: Workflow\.sequential: steps\[1\]: on_error must be "fail" or "continue", got "ignore"\n/,
    ],
    [
      `Workflow.builder():name("b"):add_step{fn = print}:build()`,
      /^error: wf\.lua:1: Workflow\.builder: choose a kind first/,
    ],
  ];
  const dir = await tempDir();
  try {
    for (const [code, want] of cases) {
      await Deno.writeTextFile(`${dir}/wf.lua`, code + "\n");
      const r = await cli(["run", "wf.lua"], { cwd: dir, env: { LLMSPELL_HOME: dir } });
      assertEquals(r.code, 1, code);
      assertMatch(r.stderr, want);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workflow: a failing step fails the run with its name; on_error = continue collects it", async () => {
  const s = new ScriptedServer().script(
    { json: { error: { message: "no such model" } }, status: 404 },
  );
  try {
    const failed = await runScript(
      `
local wf = Workflow.sequential{name = "w", steps = {
  {name = "fine", fn = function() return 1 end},
  {name = "broken", fn = function() error("kaput") end},
  {name = "never", fn = function() print("not reached") end},
}}
wf:execute()
`,
      s.url,
    );
    assertEquals(failed.code, 1);
    assertEquals(failed.stdout, "");
    assertMatch(
      failed.stderr,
      /^error: wf\.lua:7: workflow 'w': step 'broken' failed: wf\.lua:4: kaput\n/,
    );

    const kept = await runScript(
      `
local wf = Workflow.parallel{name = "p", on_error = "continue", steps = {
  {name = "ok", fn = function() return "fine" end},
  {name = "model", agent = Agent.builder():model("openai/gpt-4o-mini"):build(), input = "hi"},
  {name = "boom", fn = function() error({code = "mine", message = "custom"}) end},
}}
local r = wf:execute()
print(r.success, r.outputs.ok, r.outputs.model, #r.errors)
for _, e in ipairs(r.errors) do print(e.step, e.error) end
`,
      s.url,
    );
    assertEquals([kept.code, kept.stderr], [0, ""]);
    const lines = kept.stdout.split("\n");
    assertEquals(lines[0], "false\tfine\tnil\t2");
    assertMatch(lines[1], /^model\t.*no such model/);
    assertEquals(lines[2], "boom\tcustom");
  } finally {
    await s.close();
  }
});

Deno.test("workflow: a failing parallel branch fails the run at once and aborts the other branches' requests", async () => {
  // The agent's request is held for the whole safety time: only a run that cancels its
  // branch ends before it.
  const s = new BarrierServer(2, 15_000);
  try {
    const started = performance.now();
    const r = await runScript(
      `
local wf = Workflow.parallel{name = "p", steps = {
  {name = "slow", agent = Agent.builder():model("openai/gpt-4o-mini"):build(), input = "wait"},
  {name = "broken", fn = function()
    -- Fails once the other branch's request is held by the server.
    repeat until Tool.http_request{url = "${s.url}/open"}.body == "1"
    error("kaput", 0)
  end},
}}
print(pcall(wf.execute, wf))
-- The cancelled branch's request is aborted: the server sees it closed, with the script alive.
repeat until Tool.http_request{url = "${s.url}/open"}.body == "0"
print("aborted")
`,
      s.url,
    );
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(r.stdout, "false\tworkflow 'p': step 'broken' failed: kaput\naborted\n");
    assertEquals([s.bodies.length, s.aborted.length], [1, 1]);
    assert(performance.now() - started < 12_000, "the run waited for the held request");
  } finally {
    await s.close();
  }
});

Deno.test("workflow: a recorded parallel run replays with the same results and no server", async () => {
  const home = await tempDir();
  const s = new BarrierServer(3, 15_000);
  try {
    const script = PARALLEL(3) + `
local seq = Workflow.sequential{name = "after", steps = {
  {name = "n", tool = "calculator", input = {expression = "2 + 3"}},
}}
print(seq:execute().output.result)
`;
    const first = await runScript(script, s.url, home);
    assertEquals([first.code, first.stderr], [0, ""]);
    assertEquals(first.stdout, expectedEchoes(3) + "5\n");
    assertEquals(s.maxOpen, 3);
    await s.close();
    const env = { LLMSPELL_HOME: home, OPENAI_API_KEY: KEY };
    const id = JSON.parse(
      (await cli(["session", "list", "--output", "json"], { cwd: home, env })).stdout,
    )[0].id;
    const replayed = await cli(["session", "replay", id, "--output", "json"], { cwd: home, env });
    assertEquals(replayed.code, 0, replayed.stderr);
    // The replay's output is compared with the record's: the same, in the same order.
    assertEquals(JSON.parse(replayed.stdout), { session: id, executions: 1, divergences: [] });
  } finally {
    await s.close().catch(() => {});
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("workflow: parallel Lua tools and State with no server (calls under C block instead; State stays fresh)", async () => {
  const r = await runScript(
    `
Tool.register("twice", {description = "doubles", parameters = {type = "object"},
  execute = function(p) return p.n * 2 end})
local wf = Workflow.parallel{name = "lua", steps = {
  {name = "a", tool = "twice", input = {n = 1}},
  {name = "b", tool = "twice", input = {n = 2}},
  -- A host call inside a sort comparator cannot yield (a C boundary): it blocks instead.
  {name = "c", fn = function()
    local t = {3, 1, 2}
    table.sort(t, function(x, y) return State.get("missing") == nil and x < y end)
    return table.concat(t, ",")
  end},
}}
local r = wf:execute()
print(r.output.a, r.output.b, r.output.c)
-- State answered in the worker (a kept State.get) sees another branch's write.
State.set("wf_k", 1)
local s = Workflow.parallel{name = "state", steps = {
  {name = "reader", fn = function()
    local first, last = State.get("wf_k"), nil
    for _ = 1, 3 do last = State.get("wf_k") end
    return first .. ">" .. last
  end},
  {name = "writer", fn = function() State.set("wf_k", 2) return "wrote" end},
}}:execute()
print(s.output.reader, s.output.writer)
`,
    "http://127.0.0.1:9",
  );
  assertEquals([r.code, r.stderr], [0, ""]);
  assertEquals(r.stdout, "2\t4\t1,2,3\n1>2\twrote\n");
});

Deno.test("workflow: interrupt_request during a parallel wait ends the cell at once and aborts every request", async () => {
  // Never answered by the barrier (4 of 3 cannot open): only the interrupt ends the cell.
  const s = new BarrierServer(4, 60_000);
  const k = await startKernel([], {
    env: { OPENAI_API_KEY: KEY, LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1" },
  });
  try {
    const r = await driver(["workflow_interrupt", k.connectionFile, s.url], {}, DRIVER);
    assertEquals(r.code, 0, r.stderr);
    const j = r.json as Record<string, string | number>;
    assertEquals(
      [j.opened, j.interrupt_reply, j.status, j.after],
      [3, "ok", "error", "42"],
    );
    assert(String(j.evalue).includes("interrupted"), String(j.evalue));
    assert(Number(j.ended_ms) < 5000, `the cell ended ${j.ended_ms} ms after the interrupt`);
    // Every held request was abandoned by the client, soon after the interrupt.
    await until(() => s.aborted.length === 3, 10_000);
    assertEquals(s.aborted.length, 3);
    for (const at of s.aborted) {
      assert(at - s.marks[0] < 2000, `aborted ${at - s.marks[0]} ms late`);
    }
  } finally {
    await k.stop();
    await s.close();
  }
});

Deno.test("workflow: streamed answers in parallel branches reach each branch's callback", async () => {
  const s = new ScriptedServer().script(
    openaiStream(["a", "b", "c"], { delayMs: 20 }),
    openaiStream(["x", "y"], { delayMs: 20 }),
  );
  try {
    const r = await runScript(
      `
local agent = Agent.builder():model("openai/gpt-4o-mini"):build()
local pieces = {}
local function streamed(ctx, input)
  local got = {}
  local r = agent:stream(input, function(piece) got[#got + 1] = piece end)
  pieces[#pieces + 1] = table.concat(got)
  return r.text
end
local r = Workflow.parallel{name = "streams", steps = {
  {name = "one", fn = streamed, input = "1"}, {name = "two", fn = streamed, input = "2"},
}}:execute()
table.sort(pieces)
print(r.output.one .. r.output.two, table.concat(pieces, " "))
`,
      s.url,
    );
    assertEquals([r.code, r.stderr], [0, ""]);
    // Which answer went to which branch is the server's order; each got a whole stream.
    assert(["abcxy\tabc xy", "xyabc\tabc xy"].includes(r.stdout.trim()), r.stdout);
    assertEquals(s.requests.length, 2);
  } finally {
    await s.close();
  }
});
