/**
 * A debugger's requests while the script waits for a model's answer: no Lua hook runs during
 * a host call, so the worker serves them between its waits for the answer
 * (src/engine/worker/api_globals.ts). VS Code's DebugClient sets a breakpoint while the
 * scripted OpenAI server holds the rest of a streamed answer, is answered before the server
 * lets it go, and the script stops there once the answer is complete; a terminate ends it in
 * its wait.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { assert, assertEquals } from "../helpers/assert.ts";
import { tempDir } from "../helpers/cli.ts";
import { launchWith, withAdapter } from "../dap/helpers.ts";
import { until } from "../kernel/helpers.ts";
import { openaiStream, ScriptedServer } from "./servers.ts";

const SCRIPT = `local a = Agent.builder():model("openai/gpt-4o-mini"):build()
local r = a:stream("story", function(piece) end)
local text = r.text
print(text)
`;

/**
 * Launches SCRIPT under the DAP adapter against a server whose streamed answer holds its second
 * token until `s.release()`, and runs `fn` once the request is out (the script waits).
 */
async function whileWaiting(
  fn: (dc: DebugClient, events: DP.Event[], program: string, s: ScriptedServer) => Promise<void>,
): Promise<void> {
  const s = new ScriptedServer().script(openaiStream(["Once", " upon"], { gated: true }));
  const home = await tempDir();
  const program = `${home}/s.lua`;
  await Deno.writeTextFile(program, SCRIPT);
  const env = {
    OPENAI_API_KEY: "sk-test",
    LLMSPELL_PROVIDERS_OPENAI_BASE_URL: `${s.url}/v1`,
    NO_COLOR: "1",
  };
  try {
    await withAdapter("stdio", async ({ dc, events }) => {
      await launchWith(dc, { program, cwd: home, env });
      assert(await until(() => s.requests.length === 1, 20_000), "no request reached the server");
      await fn(dc, events, program, s);
    });
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("dap: a breakpoint set while the script waits for a model's answer is answered at once, and hit after the answer", async () => {
  await whileWaiting(async (dc, events, program, s) => {
    const set = await dc.setBreakpointsRequest({
      source: { path: program },
      breakpoints: [{ line: 3 }],
    });
    assertEquals(set.body.breakpoints.map((b) => [b.verified, b.line]), [[true, 3]]);
    const stopped = dc.waitForEvent("stopped") as Promise<DP.StoppedEvent>;
    s.release();
    assertEquals((await stopped).body.reason, "breakpoint");
    const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    assertEquals([frames[0].source?.path, frames[0].line], [program, 3]);
    const ended = dc.waitForEvent("terminated");
    await dc.continueRequest({ threadId: 1 });
    await ended;
    const out = events.filter((e) => e.event === "output" && e.body.category === "stdout")
      .map((e) => e.body.output).join("");
    assertEquals(out, "Once upon\n");
  });
});

Deno.test("dap: terminate while the script waits for a model's answer ends it without the answer", async () => {
  await whileWaiting(async (dc, events) => {
    const ended = dc.waitForEvent("terminated");
    await dc.terminateRequest({});
    await ended;
    // Never released: the script ended in its wait, before its print.
    const out = events.filter((e) => e.event === "output" && e.body.category === "stdout");
    assertEquals(out.map((e) => e.body.output), []);
  });
});
