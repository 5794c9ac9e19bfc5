/**
 * stepOut lands in the caller, on the line it goes on with: the next line when the call ends
 * its line, the call's own line when that line has more to do (Lua gives no line event on a
 * return to the same line, so a step out used to run on to a line of some caller further up,
 * or to the end). Fixture: tests/fixtures/dap/step_out.lua.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { assertEquals } from "../helpers/assert.ts";
import { DAP_FIXTURES, launchWith, scopes, vars, withAdapter } from "./helpers.ts";

const STEP_OUT_LUA = DAP_FIXTURES + "step_out.lua";

Deno.test("dap: stepOut lands at the caller's next line, or on the call's line when it goes on", async () => {
  await withAdapter("stdio", async ({ dc }) => {
    const { firstStop } = await launchWith(
      dc,
      { program: STEP_OUT_LUA, cwd: DAP_FIXTURES },
      async () => {
        await dc.setBreakpointsRequest({
          source: { path: STEP_OUT_LUA },
          breakpoints: [{ line: 2 }],
        });
      },
    );
    await firstStop;
    const top = async () => (await dc.stackTraceRequest({ threadId: 1 })).body;

    // Called from follows, whose call is followed by more statements: the next line.
    let trace = await top();
    assertEquals(trace.stackFrames.map((f) => f.name), ["inner", "follows", "main chunk"]);
    let s = dc.waitForEvent("stopped");
    await dc.stepOutRequest({ threadId: 1 });
    assertEquals(((await s) as DP.StoppedEvent).body.reason, "step");
    trace = await top();
    assertEquals(trace.stackFrames.map((f) => [f.name, f.line]), [["follows", 7], [
      "main chunk",
      13,
    ]]);
    const locals = await vars(dc, (await scopes(dc, trace.stackFrames[0].id)).get("Locals")!);
    assertEquals(locals.get("a")?.value, "2");

    // Called as the last expression of last's only line, which still adds and returns: that
    // line, in last (not the end of the program).
    s = dc.waitForEvent("stopped");
    await dc.continueRequest({ threadId: 1 });
    await s;
    assertEquals((await top()).stackFrames.map((f) => f.name), ["inner", "last", "main chunk"]);
    s = dc.waitForEvent("stopped");
    await dc.stepOutRequest({ threadId: 1 });
    assertEquals(((await s) as DP.StoppedEvent).body.reason, "step");
    trace = await top();
    assertEquals(trace.stackFrames.map((f) => [f.name, f.line]), [["last", 11], [
      "main chunk",
      13,
    ]]);
    const ended = dc.waitForEvent("terminated");
    await dc.continueRequest({ threadId: 1 });
    await ended;
  });
});
