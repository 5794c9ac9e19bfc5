/**
 * The debugger in the REPL (`db:` commands): a function defined at the prompt is debugged at
 * the prompt, in a real terminal (tmux) and in a pipe, embedded and over --connect, where the
 * REPL is a client of the kernel's debug session beside a DAP client.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { cli, tempDir } from "../helpers/cli.ts";
import { type Adapter, startAdapter } from "../dap/helpers.ts";
import { line, startRepl, withDaemonKernel } from "./helpers.ts";
import { assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";

const DEBUG = /^\(debug\)$/m;

Deno.test("repl db: break a function defined at the prompt, step, inspect, change a local", async () => {
  const t = await startRepl(await tempDir());
  try {
    for (const l of ["function f(x)", "local y = x * 2", "return y + 1"]) {
      await t.type(l);
      await t.send("Enter");
    }
    await line(t, "end", /^llmspell>$/m);
    await line(t, "db:break f", "Breakpoint 1 at function f");

    // The call stops in f: the cell's source with a marker, then a (debug) prompt.
    const stop = await line(t, "f(21)", DEBUG);
    assertStringIncludes(stop, "Stopped (breakpoint 1) at In[1]:2 in f");
    assertMatch(stop, /^-> 2 {4}local y = x \* 2$/m);
    await t.send("C-l");
    await line(t, "p x", /^21\n\(debug\)$/m);
    assertStringIncludes(await line(t, "n", /In\[1\]:3 in f[^]*\(debug\)$/m), "-> 3");
    await line(t, "p y", /^42\n\(debug\)$/m);
    await t.type("p y = 100");
    await t.send("Enter");
    // c runs the cell on: its result uses the new value, and the normal prompt returns.
    await line(t, "c", /^101\nllmspell>$/m);

    await t.send("C-l");
    await line(t, "db:info breakpoints", /^Breakpoint 1 at function f\nllmspell>$/m);
    // A line breakpoint in a cell, by its name.
    await line(t, "db:break In[1]:3", /^Breakpoint 2 at In\[1\]:3\nllmspell>$/m);
    await line(t, "db:delete 1", "deleted 1");
    await t.send("C-l");
    const s2 = await line(t, "f(1)", DEBUG);
    assertStringIncludes(s2, "Stopped (breakpoint 2) at In[1]:3 in f");
    // Up at the (debug) prompt recalls debugger commands (here the last one starting p).
    await t.type("p");
    await t.send("Up");
    await t.waitFor(/^\(debug\) p y = 100$/m);
    await t.send("C-u");
    await line(t, "c", /^3\nllmspell>$/m);
    await line(t, "db:delete", "deleted all breakpoints");
    await t.send("C-l");
    await line(t, "f(2)", /^5\nllmspell>$/m);

    // With the debugger in use, Ctrl+C pauses a running cell; q ends it, state kept.
    // Ctrl+C once the cell prints, so it is running in the engine (not still on its way).
    await t.send("C-l");
    await t.type("print('spinning') while true do end");
    await t.send("Enter");
    await t.waitFor(/^spinning$/m);
    await t.send("C-c");
    await t.waitFor(/Stopped \(pause\) at In\[\d+\]:1 in main chunk[^]*\(debug\)$/m);
    await line(t, "q", /error: interrupted[^]*llmspell>$/m);
    await line(t, "f(4)", /^9\nllmspell>$/m);
    await t.send("C-d");
    await t.waitExit();
  } finally {
    await t.kill();
  }
});

Deno.test("repl db: in a pipe, the (debug) prompt reads the next lines", async () => {
  const r = await cli(["repl"], {
    cwd: await tempDir(),
    stdin: [
      "function f(x)",
      "  local y = x * 2",
      "  return y + 1",
      "end",
      "db:break f if x > 5",
      "f(1)",
      "f(21)",
      "p x",
      "n",
      "p y = 100",
      "c",
      "db:info breakpoints",
      "db:nope",
      "db:delete",
      // Errors stop a cell only when asked.
      "f(nil)",
      "db:catch uncaught",
      "f(nil)",
      "p x",
      "c",
      "f(3)",
      "",
    ].join("\n"),
  });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "Breakpoint 1 at function f if x > 5\n3\nStopped (breakpoint 1)");
  assertMatch(r.stdout, /^21\nStopped \(step\) at In\[1\]:3 in f\b/m);
  assertMatch(r.stdout, /^101\nBreakpoint 1 at function f if x > 5\n/m);
  assertStringIncludes(r.stdout, "unknown command 'nope'");
  const [before, after] = r.stdout.split("stop on errors: uncaught\n");
  assertEquals(before.includes("Stopped (error"), false, r.stdout);
  assertMatch(after, /^Stopped \(error: In\[1\]:2: attempt to perform arithmetic on a nil value/);
  assertMatch(after, /^-> 2 {4}local y = x \* 2\n {3}3 .*\n {3}4 .*\nnil\n7\n$/m);
  assertEquals(r.stderr.match(/attempt to perform arithmetic/g)?.length, 2, r.stderr);
});

Deno.test("repl --connect db: a breakpoint set at the REPL stops its cell and is shared with a DAP client", async () => {
  const home = await tempDir();
  await withDaemonKernel(home, async (id) => {
    const t = await startRepl(home, ["--connect", id]);
    let dap: Adapter | undefined;
    try {
      for (const l of ["function f(x)", "local y = x * 2", "return y + 1"]) {
        await t.type(l);
        await t.send("Enter");
      }
      await line(t, "end", /^llmspell>$/m);
      await line(t, "db:break In[1]:2", /^Breakpoint 1 at In\[1\]:2\nllmspell>$/m);

      // A DAP client attached to the same kernel is told of the REPL's breakpoint, and the
      // kernel's debugInfo lists it.
      dap = await startAdapter("stdio", home);
      const { dc } = dap;
      await dc.initializeRequest({ adapterID: "llmspell" });
      const told = dc.waitForEvent("breakpoint") as Promise<DP.BreakpointEvent>;
      await dc.attachRequest({ kernel: id } as DP.AttachRequestArguments);
      const shared = (await told).body.breakpoint;
      assertEquals(shared.source?.name, "=In[1]");
      assertEquals(shared.line, 2);
      assertEquals(shared.verified, true);
      const info = await dc.customRequest("debugInfo");
      assertEquals(info.body.breakpoints, [{ source: "=In[1]", breakpoints: [{ line: 2 }] }]);

      // The REPL's cell stops there: the REPL shows it, the DAP client sees it too.
      const stopped = dc.waitForEvent("stopped") as Promise<DP.StoppedEvent>;
      await t.send("C-l");
      const stop = await line(t, "f(21)", DEBUG);
      assertStringIncludes(stop, "Stopped (breakpoint 1) at In[1]:2 in f");
      assertMatch(stop, /^-> 2 {4}local y = x \* 2$/m);
      assertEquals((await stopped).body.hitBreakpointIds, [shared.id]);
      await line(t, "p x", /^21\n\(debug\)$/m);
      await line(t, "p x = 50", /^\(debug\) p x = 50\n\(debug\)$/m);
      const continued = dc.waitForEvent("continued");
      await line(t, "c", /^101\nllmspell>$/m);
      await continued;

      // The REPL leaves: the kernel drops its breakpoints, and says so.
      const removed = dc.waitForEvent("breakpoint") as Promise<DP.BreakpointEvent>;
      await t.send("C-d");
      await t.waitExit();
      assertEquals((await removed).body.reason, "removed");
      assertEquals((await dc.customRequest("debugInfo")).body.breakpoints, []);
    } finally {
      await dap?.stop();
      await t.kill();
    }
  });
});
