/**
 * The debugger over LLM code, through `llmspell dap` and VS Code's DebugClient against the
 * scripted OpenAI server: `next` steps over an `agent:execute` line (the model call) and
 * stops on the following line with the answer in a local; a breakpoint inside a Lua tool
 * stops when the agent's tool loop calls it, with the tool's frame above the agent's
 * execute in the stack.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { assert, assertEquals } from "../helpers/assert.ts";
import { tempDir } from "../helpers/cli.ts";
import { launchWith, scopes, vars, withAdapter } from "../dap/helpers.ts";
import { openaiText, openaiToolCalls, ScriptedServer } from "./servers.ts";

const SCRIPT = `Tool.register("lookup", {
  description = "Looks a word up",
  parameters = {type = "object", properties = {word = {type = "string"}}, required = {"word"}},
  execute = function(p)
    local meaning = "a greeting"
    return {word = p.word, meaning = meaning}
  end,
})
local agent = Agent.builder():model("openai/gpt-4o-mini"):tools({"lookup"}):build()
local r = agent:execute("Say hi")
local first = r.text
local r2 = agent:execute("What does hello mean?")
print(first, r2.text)
`;
const EXECUTE_LINE = 10;
const TOOL_LINE = 5;

Deno.test("dap: next steps over agent:execute; a breakpoint in a Lua tool stops inside the agent's tool loop", async () => {
  const home = await tempDir();
  const program = `${home}/agent.lua`;
  await Deno.writeTextFile(program, SCRIPT);
  const s = new ScriptedServer().script(
    openaiText("hi there"),
    openaiToolCalls([{ id: "c1", name: "lookup", arguments: { word: "hello" } }]),
    openaiText("hello is a greeting"),
  );
  try {
    await withAdapter("stdio", async ({ dc, events }) => {
      const { firstStop } = await launchWith(dc, {
        program,
        cwd: home,
        env: { OPENAI_API_KEY: "sk-test", LLMSPELL_PROVIDERS_OPENAI_BASE_URL: `${s.url}/v1` },
      }, async () => {
        await dc.setBreakpointsRequest({
          source: { path: program },
          breakpoints: [{ line: EXECUTE_LINE }, { line: TOOL_LINE }],
        });
      });
      const top = async () => (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;

      const atExecute = await firstStop;
      assertEquals(atExecute.body.reason, "breakpoint");
      assertEquals((await top())[0].line, EXECUTE_LINE);
      assertEquals(s.requests.length, 0, "stopped before the model call");

      // next: over the model call, to the following line, the answer in the local r.
      const stepped = dc.waitForEvent("stopped") as Promise<DP.StoppedEvent>;
      await dc.nextRequest({ threadId: 1 });
      assertEquals((await stepped).body.reason, "step");
      const frames = await top();
      assertEquals([frames[0].source?.path, frames[0].line], [program, EXECUTE_LINE + 1]);
      assertEquals(s.requests.length, 1, "the model was called during the step");
      const locals = await vars(dc, (await scopes(dc, frames[0].id)).get("Locals")!);
      const r = locals.get("r")!;
      assert(r.variablesReference > 0, "r is a table");
      assertEquals((await vars(dc, r.variablesReference)).get("text")?.value, '"hi there"');

      // continue: the second execute calls the model, which calls the Lua tool.
      const inTool = dc.waitForEvent("stopped") as Promise<DP.StoppedEvent>;
      await dc.continueRequest({ threadId: 1 });
      assertEquals((await inTool).body.reason, "breakpoint");
      const stack = await top();
      assertEquals([stack[0].source?.path, stack[0].line], [program, TOOL_LINE]);
      const toolLocals = await vars(dc, (await scopes(dc, stack[0].id)).get("Locals")!);
      const p = await vars(dc, toolLocals.get("p")!.variablesReference);
      assertEquals(p.get("word")?.value, '"hello"');
      // Below the tool: the agent's tool loop as library frames (no source, not stepped
      // into), the agent's execute, then the script's line that called it.
      const caller = stack[stack.length - 1];
      assertEquals([caller.source?.path, caller.line], [program, EXECUTE_LINE + 2]);
      assertEquals(stack[stack.length - 2].name, "[Agent] execute");
      const between = stack.slice(1, -1);
      assert(between.some((f) => f.name === "[Agent] run_tool"), stack.map((f) => f.name).join());
      for (const f of between) {
        assertEquals([f.source, f.presentationHint], [undefined, "subtle"], f.name);
      }
      assertEquals(s.requests.length, 2, "the tool runs between the two model turns");

      const ended = dc.waitForEvent("terminated");
      await dc.continueRequest({ threadId: 1 });
      await ended;
      const out = events.filter((e) => e.event === "output" && e.body.category === "stdout")
        .map((e) => e.body.output).join("");
      assertEquals(out, "hi there\thello is a greeting\n");
      assertEquals(s.requests.length, 3);
    });
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});
