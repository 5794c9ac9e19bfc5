/**
 * Breakpoints in a parallel workflow's branches, with the real debuggers (`llmspell debug`
 * through its console, `llmspell dap` through VS Code's DebugClient) against the scripted
 * OpenAI server: a breakpoint in a branch's step function stops there with the branch's
 * stack and locals; a breakpoint in the other branch stops while the first one's call is in
 * flight; `next` over the branch's model call (the branch yields to the scheduler until the
 * answer comes) stops on the branch's next line, in the same branch, with the answer; and
 * the workflow completes with each branch's answer. `next` over a nested parallel workflow in
 * a branch stops on the branch's next line too. A pause stops in a busy branch, and a
 * breakpoint set then stops in a branch that was suspended since before there was any.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { tempDir } from "../helpers/cli.ts";
import { launchWith, scopes, vars, withAdapter } from "../dap/helpers.ts";
import { PROMPT, withDebug } from "../debug/helpers.ts";
import { openaiText, type Reply, ScriptedServer } from "./servers.ts";

const SCRIPT =
  `local function ask(q) return Agent.builder():model("openai/gpt-4o-mini"):build():execute(q).text end
local function branch(ctx, input)
  local asked = "about " .. input
  local answer = ask(asked)
  local shout = answer:upper()
  return shout
end
local wf = Workflow.parallel{name = "p", steps = {
  {name = "one", fn = branch, input = "x"},
  {name = "two", fn = branch, input = "y"},
}}
local r = wf:execute()
print(r.output.one, r.output.two)
`;
const CALL_LINE = 4;
const OUTPUT = "ECHO: ABOUT X\tECHO: ABOUT Y\n";

/** Answers each chat with `echo: <the last user message>`. */
const echo: Reply = (body) => {
  const user = (body.messages as { role: string; content: string }[])
    .filter((m) => m.role === "user").at(-1)?.content;
  return openaiText(`echo: ${user}`);
};

async function withScript(
  fn: (home: string, env: Record<string, string>, s: ScriptedServer) => Promise<void>,
) {
  const home = await tempDir();
  await Deno.writeTextFile(`${home}/wf.lua`, SCRIPT);
  const s = new ScriptedServer().script(echo, echo);
  try {
    await fn(home, {
      OPENAI_API_KEY: "sk-test",
      LLMSPELL_PROVIDERS_OPENAI_BASE_URL: `${s.url}/v1`,
      NO_COLOR: "1",
    }, s);
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("debug: a breakpoint in a parallel branch stops there; next over its model call stays in the branch", async () => {
  await withScript(async (home, env, s) => {
    await withDebug(
      ["wf.lua", "--break-at", `wf.lua:${CALL_LINE}`],
      async (d) => {
        const first = await d.until(PROMPT);
        assertStringIncludes(first, `Stopped (breakpoint 1) at wf.lua:${CALL_LINE} in fn`);
        // The branch's stack: its step function over the workflow's own frames.
        const bt = await d.cmd("bt");
        assertStringIncludes(bt, `-> #0  fn at wf.lua:${CALL_LINE}`);
        assertStringIncludes(bt, "[Workflow] run_step");
        const locals = await d.cmd("locals");
        assertStringIncludes(locals, 'input = "x"');
        assertStringIncludes(locals, 'asked = "about x"');
        // next sends branch one's request; while it is in flight branch two runs, to the
        // same breakpoint.
        assertStringIncludes(
          await d.cmd("next"),
          `Stopped (breakpoint 1) at wf.lua:${CALL_LINE} in fn`,
        );
        assertEquals((await d.cmd("p input")).trim(), "y");
        assertEquals(s.requests.length, 1, "branch one's request is in flight");
        await d.cmd("delete");
        // next over branch two's call: branch one's answer may come first and resume it, but
        // the step stops in branch two, on its next line, with its answer.
        assertStringIncludes(
          await d.cmd("next"),
          `Stopped (step) at wf.lua:${CALL_LINE + 1} in fn`,
        );
        assertEquals((await d.cmd("p input .. ' ' .. answer")).trim(), "y echo: about y");
        assertStringIncludes(
          await d.cmd("next"),
          `Stopped (step) at wf.lua:${CALL_LINE + 2} in fn`,
        );
        assertEquals((await d.cmd("p shout")).trim(), "ECHO: ABOUT Y");
        const end = await d.cmd("c");
        assertStringIncludes(end, OUTPUT);
        assertStringIncludes(end, "Program finished");
        assertEquals(s.requests.length, 2);
      },
      env,
      home,
    );
  });
});

Deno.test("dap: a breakpoint in a parallel branch stops there with its stack and locals; next over its model call stays in the branch", async () => {
  await withScript(async (home, env, s) => {
    const program = `${home}/wf.lua`;
    await withAdapter("stdio", async ({ dc, events }) => {
      const { firstStop } = await launchWith(dc, { program, cwd: home, env }, async () => {
        await dc.setBreakpointsRequest({
          source: { path: program },
          breakpoints: [{ line: CALL_LINE }],
        });
      });
      const top = async () => (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      const locals = async () => {
        const frames = await top();
        return await vars(dc, (await scopes(dc, frames[0].id)).get("Locals")!);
      };
      const stopped = async (go: () => Promise<unknown>) => {
        const stop = dc.waitForEvent("stopped") as Promise<DP.StoppedEvent>;
        await go();
        return (await stop).body.reason;
      };

      assertEquals((await firstStop).body.reason, "breakpoint");
      const stack = await top();
      assertEquals([stack[0].source?.path, stack[0].line], [program, CALL_LINE]);
      assert(stack.some((f) => f.name === "[Workflow] run_step"), stack.map((f) => f.name).join());
      let l = await locals();
      assertEquals([l.get("input")?.value, l.get("asked")?.value], ['"x"', '"about x"']);

      // Branch one's call goes out; branch two reaches the breakpoint meanwhile.
      assertEquals(await stopped(() => dc.nextRequest({ threadId: 1 })), "breakpoint");
      assertEquals((await top())[0].line, CALL_LINE);
      assertEquals((await locals()).get("input")?.value, '"y"');
      await dc.setBreakpointsRequest({ source: { path: program }, breakpoints: [] });

      // Over branch two's call: the next line of branch two, with its answer.
      assertEquals(await stopped(() => dc.nextRequest({ threadId: 1 })), "step");
      assertEquals((await top())[0].line, CALL_LINE + 1);
      l = await locals();
      assertEquals([l.get("input")?.value, l.get("answer")?.value], ['"y"', '"echo: about y"']);
      assertEquals(await stopped(() => dc.nextRequest({ threadId: 1 })), "step");
      assertEquals((await top())[0].line, CALL_LINE + 2);
      assertEquals((await locals()).get("shout")?.value, '"ECHO: ABOUT Y"');

      const ended = dc.waitForEvent("terminated");
      await dc.continueRequest({ threadId: 1 });
      await ended;
      const out = events.filter((e) => e.event === "output" && e.body.category === "stdout")
        .map((e) => e.body.output).join("");
      assertEquals(out, OUTPUT);
      assertEquals(s.requests.length, 2);
    });
  });
});

const BUSY = `stop = false
local wf = Workflow.parallel{name = "p", steps = {
  {name = "waiter", fn = function()
    State.set("k", 1)
    local after = "resumed"
    return after
  end},
  {name = "spin", fn = function()
    print("spinning")
    local n = 0
    while not stop do n = n + 1 end
    return n > 0
  end},
}}
local r = wf:execute()
print(r.output.waiter, r.output.spin)
`;

Deno.test("debug: a pause stops in a busy branch; a breakpoint set then stops in a branch suspended since before it", async () => {
  const home = await tempDir();
  try {
    await Deno.writeTextFile(`${home}/wf.lua`, BUSY);
    await withDebug(
      ["wf.lua", "--no-stop-on-entry"],
      async (d) => {
        // "waiter" made its call (State.set) and waits, made when no thread needed events;
        // "spin" runs until told to stop.
        await d.until("spinning");
        await d.send("pause");
        const paused = await d.until(PROMPT);
        assertStringIncludes(paused, "Stopped (pause) at wf.lua:11 in fn");
        assertStringIncludes(await d.cmd("bt"), "[Workflow] run_step");
        await d.cmd("p stop = true");
        assertStringIncludes(await d.cmd("b 6"), "Breakpoint 1 at wf.lua:6");
        assertStringIncludes(await d.cmd("c"), "Stopped (breakpoint 1) at wf.lua:6 in fn");
        assertEquals((await d.cmd("p after")).trim(), "resumed");
        const end = await d.cmd("c");
        assertStringIncludes(end, "resumed\ttrue\n");
        assertStringIncludes(end, "Program finished");
      },
      { NO_COLOR: "1" },
      home,
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

const NESTED = `local inner = Workflow.parallel{name = "inner", steps = {
  {name = "a", fn = function() State.set("a", 1) return "a" end},
  {name = "b", fn = function() State.set("b", 2) return "b" end},
}}
local function branch(ctx, input)
  local before = input
  local r = inner:execute()
  local got = r.output.a .. r.output.b .. before
  return got
end
local wf = Workflow.parallel{name = "p", steps = {
  {name = "one", fn = branch, input = "x"},
  {name = "two", fn = function() State.set("c", 3) return "two" end},
}}
local r = wf:execute()
print(r.output.one, r.output.two)
`;

Deno.test("debug: next over a nested parallel workflow in a branch stops on the branch's next line", async () => {
  const home = await tempDir();
  try {
    await Deno.writeTextFile(`${home}/wf.lua`, NESTED);
    await withDebug(
      ["wf.lua", "--break-at", "wf.lua:7"],
      async (d) => {
        assertStringIncludes(await d.until(PROMPT), "Stopped (breakpoint 1) at wf.lua:7 in fn");
        // The nested workflow's scheduler yields its branches' calls to the outer one, and
        // branch "two" runs meanwhile: the step goes on in branch "one" all the same.
        assertStringIncludes(await d.cmd("next"), "Stopped (step) at wf.lua:8 in fn");
        assertEquals((await d.cmd("p r.output.a .. r.output.b .. before")).trim(), "abx");
        const end = await d.cmd("c");
        assertStringIncludes(end, "abx\ttwo\n");
        assertStringIncludes(end, "Program finished");
      },
      { NO_COLOR: "1" },
      home,
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
