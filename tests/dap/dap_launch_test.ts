/**
 * `llmspell dap` launch, driven by VS Code's DebugClient over stdio and TCP: breakpoints
 * (condition, hit condition, logpoint, moved, function), stepping, frames, scopes, variables
 * (paged), evaluate, setVariable, setExpression, completions, sources, pause, errors, restart,
 * terminate, and the errors of bad requests. Fixtures: tests/fixtures/dap/.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import {
  DAP_FIXTURES,
  launchWith,
  LIB_LUA,
  MAIN_LUA,
  scopes,
  type Transport,
  vars,
  withAdapter,
} from "./helpers.ts";

async function rejects(p: Promise<unknown>, text: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    assertStringIncludes((e as Error).message, text);
    return;
  }
  throw new Error(`expected an error response with ${JSON.stringify(text)}`);
}

for (const transport of ["stdio", "tcp"] as Transport[]) {
  Deno.test(`dap ${transport}: breakpoints, recursion, stepping, inspection, a module, the end`, async () => {
    await withAdapter(transport, async ({ dc, events }) => {
      const init = await dc.initializeRequest({ adapterID: "llmspell" });
      assertEquals(init.body?.supportsConditionalBreakpoints, true);
      assertEquals(init.body?.supportsLogPoints, true);
      assertEquals(init.body?.exceptionBreakpointFilters?.map((f) => f.filter), [
        "uncaught",
        "all",
      ]);
      const initialized = dc.waitForEvent("initialized");
      const launched = dc.launchRequest({ program: "main.lua" } as DP.LaunchRequestArguments);
      await initialized;
      // Line 3 is recursion's base test, stopped only when n == 2.
      const bps = await dc.setBreakpointsRequest({
        source: { path: MAIN_LUA },
        breakpoints: [{ line: 3, condition: "n == 2" }],
      });
      assertEquals(bps.body.breakpoints[0].verified, true);
      assertEquals(bps.body.breakpoints[0].line, 3);
      // A comment line: moved to the next line with code, and said so.
      const moved = await dc.setBreakpointsRequest({
        source: { path: LIB_LUA },
        breakpoints: [{ line: 1 }],
      });
      assertEquals(moved.body.breakpoints[0].line, 2);
      assertStringIncludes(moved.body.breakpoints[0].message ?? "", "moved from line 1 to 2");
      const locs = await dc.customRequest("breakpointLocations", {
        source: { path: MAIN_LUA },
        line: 1,
        endLine: 5,
      });
      assertEquals(
        (locs.body.breakpoints as { line: number }[]).map((b) => b.line),
        [1, 3, 4, 5],
      );
      const lib = await dc.setBreakpointsRequest({
        source: { path: LIB_LUA },
        breakpoints: [{ line: 4 }],
      });
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      const stopped = dc.waitForEvent("stopped");
      await dc.configurationDoneRequest();
      await launched;
      const st = (await stopped) as DP.StoppedEvent;
      assertEquals(st.body.reason, "breakpoint");
      assertEquals(st.body.hitBreakpointIds, [bps.body.breakpoints[0].id]);

      // The stack: fact(2) under fact(3), fact(4), fact(5) and the main chunk.
      const trace = await dc.stackTraceRequest({ threadId: 1 });
      assertEquals(trace.body.totalFrames, 5);
      assertEquals(trace.body.stackFrames.map((f) => f.name).slice(0, 2), ["fact", "fact"]);
      assertEquals(trace.body.stackFrames[0].line, 3);
      // columnsStartAt1: a Lua frame's column is the line's start, 1 (0 would be no column).
      assertEquals(trace.body.stackFrames[0].column, 1);
      assertEquals(trace.body.stackFrames[4].name, "main chunk");
      const page = await dc.stackTraceRequest({ threadId: 1, startFrame: 3, levels: 1 });
      assertEquals(page.body.stackFrames.length, 1);
      assertEquals(page.body.stackFrames[0].line, 4);
      assertEquals(page.body.totalFrames, 5);
      const top = trace.body.stackFrames[0].id;

      const sc = await scopes(dc, top);
      assertEquals([...sc.keys()], ["Locals", "Upvalues", "Globals"]);
      const locals = await vars(dc, sc.get("Locals")!);
      assertEquals(locals.get("n")?.value, "2");
      assertEquals(locals.get("n")?.evaluateName, "n");
      const ups = await vars(dc, sc.get("Upvalues")!);
      assert(ups.has("fact"), [...ups.keys()].join());

      // evaluate: watch, hover, clipboard; in repl a statement changes a local.
      for (const context of ["watch", "hover", "clipboard"]) {
        const r = await dc.evaluateRequest({ expression: "n * 10", frameId: top, context });
        assertEquals(r.body.result, "20");
      }
      await dc.evaluateRequest({ expression: "n = 2; extra = 7", frameId: top, context: "repl" });
      assertEquals(
        (await dc.evaluateRequest({ expression: "extra", frameId: top })).body.result,
        "7",
      );
      const sv = await dc.setVariableRequest({
        variablesReference: sc.get("Locals")!,
        name: "n",
        value: "2",
      });
      assertEquals(sv.body.value, "2");
      const se = await dc.customRequest("setExpression", {
        expression: "extra",
        value: "extra + 1",
        frameId: top,
      });
      assertEquals(se.body.value, "8");
      const comp = await dc.customRequest("completions", { text: "fa", column: 3, frameId: top });
      const labels = (comp.body.targets as { label: string }[]).map((t) => t.label);
      assert(labels.includes("fact"), labels.join());
      const comp2 = await dc.customRequest("completions", {
        text: "string.up",
        column: 10,
        frameId: top,
      });
      assertEquals((comp2.body.targets as { label: string }[]).map((t) => t.label), ["upper"]);

      // Stepping: next stays in fact(2), stepOut returns to fact(3), stepIn enters a call.
      let s = dc.waitForEvent("stopped");
      await dc.nextRequest({ threadId: 1 });
      assertEquals(((await s) as DP.StoppedEvent).body.reason, "step");
      const afterNext = await dc.stackTraceRequest({ threadId: 1 });
      assertEquals(afterNext.body.stackFrames[0].line, 4);
      s = dc.waitForEvent("stopped");
      await dc.stepOutRequest({ threadId: 1 });
      await s;
      // Out of fact(2): in fact(3), on the line of the call, which still multiplies.
      const afterOut = await dc.stackTraceRequest({ threadId: 1 });
      assertEquals(afterOut.body.stackFrames[0].line, 4);
      assertEquals(afterOut.body.totalFrames, 4);
      const caller = await dc.evaluateRequest({
        expression: "n",
        frameId: afterOut.body.stackFrames[0].id,
      });
      assertEquals(caller.body.result, "3");
      await dc.setBreakpointsRequest({ source: { path: MAIN_LUA }, breakpoints: [] });

      // On to the module's breakpoint: a required file, then its source.
      s = dc.waitForEvent("stopped");
      await dc.continueRequest({ threadId: 1 });
      assertEquals(((await s) as DP.StoppedEvent).body.hitBreakpointIds, [
        lib.body.breakpoints[0].id,
      ]);
      const inLib = await dc.stackTraceRequest({ threadId: 1 });
      assertEquals(inLib.body.stackFrames[0].source?.path, LIB_LUA);
      assertMatch(inLib.body.stackFrames[0].name, /twice/);
      const loaded = await dc.customRequest("loadedSources", {});
      const paths = (loaded.body.sources as DP.Source[]).map((x) => x.path);
      assert(paths.includes(LIB_LUA) && paths.includes(MAIN_LUA), paths.join());
      const src = await dc.customRequest("source", {
        source: { path: LIB_LUA },
        sourceReference: 0,
      });
      assertStringIncludes(src.body.content, "function M.twice(x)");
      s = dc.waitForEvent("stopped");
      await dc.stepInRequest({ threadId: 1 });
      await s;

      const ended = dc.waitForEvent("terminated");
      const exited = dc.waitForEvent("exited");
      await dc.continueRequest({ threadId: 1 });
      assertEquals(((await exited) as DP.ExitedEvent).body.exitCode, 0);
      await ended;
      const out = events.filter((e) => e.event === "output").map((e) => e.body.output).join("");
      assertStringIncludes(out, "f\t120\tt\tdone\ty\t2\tz\t20\tlib\t42\n");
      const names = events.map((e) => e.event);
      for (const e of ["process", "thread", "loadedSource", "exited", "terminated"]) {
        assert(names.includes(e), `no ${e} event: ${names.join()}`);
      }
    });
  });
}

Deno.test("dap: closures, tail calls, coroutines, a 10,000-entry table paged, logpoints", async () => {
  await withAdapter("stdio", async ({ dc, events }) => {
    let fnBp: DP.Breakpoint | undefined;
    const { firstStop } = await launchWith(
      dc,
      { program: MAIN_LUA, cwd: DAP_FIXTURES },
      async () => {
        await dc.setBreakpointsRequest({
          source: { path: MAIN_LUA },
          breakpoints: [
            { line: 9 },
            { line: 14, hitCondition: "4" },
            { line: 19 },
            { line: 27, logMessage: "big has {#big} entries" },
          ],
        });
        fnBp = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "counter" }] })).body
          .breakpoints[0];
      },
    );
    // A function breakpoint first: counter() is called on line 24.
    let st = await firstStop;
    assertEquals(st.body.hitBreakpointIds, [fnBp!.id]);
    let s = dc.waitForEvent("stopped");
    await dc.continueRequest({ threadId: 1 });
    await s;
    // In the closure: its upvalue `count`.
    let trace = await dc.stackTraceRequest({ threadId: 1 });
    assertEquals(trace.body.stackFrames[0].line, 9);
    let sc = await scopes(dc, trace.body.stackFrames[0].id);
    assertEquals((await vars(dc, sc.get("Upvalues")!)).get("count")?.value, "0");
    // The main chunk's `big`: 10,000 indexed entries and a metatable, paged.
    const main = trace.body.stackFrames.find((f) => f.name === "main chunk")!;
    sc = await scopes(dc, main.id);
    const big = (await vars(dc, sc.get("Locals")!)).get("big")!;
    assertEquals(big.indexedVariables, 10000);
    assertEquals(big.namedVariables, 1);
    const slice = await dc.variablesRequest({
      variablesReference: big.variablesReference,
      filter: "indexed",
      start: 4999,
      count: 3,
    });
    assertEquals(slice.body.variables.map((v) => [v.name, v.value]), [
      ["[5000]", "25000000"],
      ["[5001]", "25010001"],
      ["[5002]", "25020004"],
    ]);
    const named = await vars(dc, big.variablesReference, { filter: "named" });
    assert(named.has("[metatable]"), [...named.keys()].join());
    const mt = await vars(dc, named.get("[metatable]")!.variablesReference);
    assertEquals(mt.get("__name")?.value, '"Big"');

    // The tail call: the 4th hit is tail(0), reached by tail calls, which the stack says.
    s = dc.waitForEvent("stopped");
    await dc.continueRequest({ threadId: 1 });
    await s;
    trace = await dc.stackTraceRequest({ threadId: 1 });
    assertEquals(trace.body.stackFrames[0].line, 14);
    assertMatch(
      trace.body.stackFrames[0].name,
      /tail call/,
      JSON.stringify(trace.body.stackFrames),
    );
    const n = (await dc.evaluateRequest({ expression: "n", frameId: trace.body.stackFrames[0].id }))
      .body.result;
    assertEquals(n, "0");

    // In the coroutine, after the logpoint printed (with its source and line).
    s = dc.waitForEvent("stopped");
    await dc.continueRequest({ threadId: 1 });
    st = (await s) as DP.StoppedEvent;
    trace = await dc.stackTraceRequest({ threadId: 1 });
    assertEquals(trace.body.stackFrames[0].line, 19);
    assertEquals(
      (await dc.evaluateRequest({ expression: "b", frameId: trace.body.stackFrames[0].id })).body
        .result,
      "10",
    );
    const log = events.find((e) => e.event === "output" && /big has/.test(e.body.output));
    assert(log, "no logpoint output");
    assertEquals(log.body.output, "big has 10000 entries\n");
    assertEquals(log.body.line, 27);
    assertEquals(log.body.source?.path, MAIN_LUA);
    const ended = dc.waitForEvent("terminated");
    await dc.continueRequest({ threadId: 1 });
    await ended;
  });
});

Deno.test("dap: a busy loop paused, stepped, restarted and terminated", async () => {
  await withAdapter("tcp", async ({ dc, events }) => {
    await launchWith(dc, { program: "busy.lua" });
    let s = dc.waitForEvent("stopped");
    await dc.pauseRequest({ threadId: 1 });
    assertEquals(((await s) as DP.StoppedEvent).body.reason, "pause");
    const trace = await dc.stackTraceRequest({ threadId: 1 });
    assert([2, 3].includes(trace.body.stackFrames[0].line));
    // The loop's local is in reach (the pause may land before the loop's first addition).
    const n1 = (await dc.evaluateRequest({
      expression: "math.type(n)",
      frameId: trace.body.stackFrames[0].id,
    })).body.result;
    assertEquals(n1, '"integer"');
    // Running again, then restart: a new run, stopped on entry this time? No: it runs.
    await dc.continueRequest({ threadId: 1 });
    await dc.restartRequest({});
    s = dc.waitForEvent("stopped");
    await dc.pauseRequest({ threadId: 1 });
    await s;
    const again = await dc.stackTraceRequest({ threadId: 1 });
    const n2 = Number(
      (await dc.evaluateRequest({ expression: "n", frameId: again.body.stackFrames[0].id })).body
        .result,
    );
    assert(n2 >= 0);
    const ended = dc.waitForEvent("terminated");
    await dc.terminateRequest({});
    await ended;
    assertEquals(events.filter((e) => e.event === "process").length, 1);
  });
});

Deno.test("dap: an uncaught error stops with exceptionInfo, then exits with code 1", async () => {
  await withAdapter("stdio", async ({ dc, events }) => {
    const { firstStop } = await launchWith(
      dc,
      { program: "err.lua", stopOnEntry: true },
      async () => {
        await dc.setExceptionBreakpointsRequest({ filters: ["uncaught"] });
      },
    );
    const entry = await firstStop;
    assertEquals(entry.body.reason, "entry");
    const s = dc.waitForEvent("stopped");
    await dc.continueRequest({ threadId: 1 });
    const st = (await s) as DP.StoppedEvent;
    assertEquals(st.body.reason, "exception");
    const info = await dc.customRequest("exceptionInfo", { threadId: 1 });
    assertStringIncludes(info.body.description, "boom 7");
    assertEquals(info.body.breakMode, "unhandled");
    const exited = dc.waitForEvent("exited");
    const ended = dc.waitForEvent("terminated");
    await dc.continueRequest({ threadId: 1 });
    assertEquals(((await exited) as DP.ExitedEvent).body.exitCode, 1);
    await ended;
    const out = events.filter((e) => e.event === "output");
    assert(out.some((e) => e.body.category === "stdout" && e.body.output === "before\n"));
    assert(out.some((e) => e.body.category === "stderr" && e.body.output === "to stderr\n"));
    assert(out.some((e) => e.body.category === "stderr" && /boom 7/.test(e.body.output)));
  });
});

Deno.test("dap: bad requests get error responses, and the adapter goes on", async () => {
  await withAdapter("stdio", async ({ dc }) => {
    await rejects(dc.customRequest("frobnicate", {}), "launch or attach first");
    await rejects(dc.launchRequest({} as DP.LaunchRequestArguments), "missing argument program");
    await (await launchWith(dc, { program: MAIN_LUA, stopOnEntry: true })).firstStop;
    await rejects(dc.customRequest("frobnicate", {}), "unknown request 'frobnicate'");
    await rejects(dc.customRequest("stackTrace", {}), "missing argument threadId");
    await rejects(dc.scopesRequest({ frameId: 999 }), "no frame 999");
    await rejects(dc.variablesRequest({ variablesReference: 12345 }), "unknown variablesReference");
    await rejects(dc.evaluateRequest({ expression: "1 +", frameId: 1 }), "unexpected symbol");
    await rejects(dc.evaluateRequest({ expression: "1", frameId: 77 }), "no frame 77");
    const t = await dc.threadsRequest();
    assertEquals(t.body.threads, [{ id: 1, name: "main" }]);
    const ended = dc.waitForEvent("terminated");
    await dc.disconnectRequest({ terminateDebuggee: true });
    await ended;
  });
});

Deno.test("dap: noDebug runs the script with its arguments, environment and config", async () => {
  await withAdapter("stdio", async ({ dc, events }) => {
    const dir = await Deno.makeTempDir({ prefix: "llmspell_dap_" });
    await Deno.writeTextFile(
      `${dir}/args.lua`,
      'print(ARGS[1], ARGS.name, os.getenv("DAP_TEST_VAR"))\n',
    );
    await Deno.writeTextFile(`${dir}/cfg.toml`, "[debug]\nenabled = false\n");
    // debug.enabled = false refuses debugging...
    await dc.initializeRequest({ adapterID: "llmspell" });
    await rejects(
      dc.launchRequest(
        { program: `${dir}/args.lua`, config: `${dir}/cfg.toml` } as DP.LaunchRequestArguments,
      ),
      "debug.enabled = false",
    );
    // ...and runs without it.
    const exited = dc.waitForEvent("exited");
    const launched = dc.launchRequest({
      program: "args.lua",
      cwd: dir,
      config: "cfg.toml",
      noDebug: true,
      args: ["one", "--name", "Ada"],
      env: { DAP_TEST_VAR: "set" },
      securityLevel: "unrestricted",
    } as DP.LaunchRequestArguments);
    await dc.waitForEvent("initialized");
    await dc.configurationDoneRequest();
    await launched;
    const code = ((await exited) as DP.ExitedEvent).body.exitCode;
    const out = events.filter((e) => e.event === "output").map((e) => e.body.output).join("");
    assertEquals(code, 0, out);
    assertEquals(out, "one\tAda\tset\n");
  });
});
