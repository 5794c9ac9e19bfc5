/**
 * `llmspell debug` driven through stdin, over the fixtures in tests/fixtures/debug/.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { DEBUG_FIXTURES, PROMPT, withDebug } from "./helpers.ts";

Deno.test("debug: recursion — step in, over and out by depth", async () => {
  await withDebug(["recursion.lua", "--break-at", "recursion.lua:2"], async (d) => {
    const first = await d.until(PROMPT);
    assertStringIncludes(first, "Stopped (breakpoint 1) at recursion.lua:2 in fact");
    assertMatch(first, /-> +2 +if n <= 1 then/);
    await d.cmd("delete");
    assertStringIncludes(await d.cmd("next"), "recursion.lua:5 in fact");
    // step in enters the recursive call (one level deeper)
    assertStringIncludes(await d.cmd("step"), "recursion.lua:2 in fact");
    assertEquals((await d.cmd("p n")).trim(), "3");
    const bt = await d.cmd("bt");
    assertEquals(bt.match(/ fact at /g)?.length, 2, bt);
    assertStringIncludes(await d.cmd("n"), "recursion.lua:5 in fact");
    // an empty line repeats the last step command: next steps over the recursion below
    assertStringIncludes(await d.cmd(""), "recursion.lua:6 in fact");
    assertEquals((await d.cmd("p r")).trim(), "6");
    // finish returns to the caller's frame (n = 4)
    assertStringIncludes(await d.cmd("finish"), "recursion.lua:6 in fact");
    assertEquals((await d.cmd("p n")).trim(), "4");
    assertEquals((await d.cmd("p r")).trim(), "24");
    assertStringIncludes(await d.cmd("c"), "fact\t24");
  });
});

Deno.test("debug: coroutines — next over resume stays outside, next over yield returns", async () => {
  await withDebug(["coroutines.lua", "--break-at", "coroutines.lua:10"], async (d) => {
    assertStringIncludes(await d.until(PROMPT), "coroutines.lua:10 in main chunk");
    assertStringIncludes(await d.cmd("n"), "coroutines.lua:11 in main chunk");
    assertEquals((await d.cmd("p v")).trim(), "10");
    await d.cmd("delete");
    assertStringIncludes(await d.cmd("b 3"), "Breakpoint 2 at coroutines.lua:3");
    const inCo = await d.cmd("c");
    assertStringIncludes(inCo, "coroutines.lua:3 in function <coroutines.lua:1>");
    assertEquals((await d.cmd("p i")).trim(), "2");
    await d.cmd("delete");
    // stepping over the yield lands in the resumer, after resume
    assertStringIncludes(await d.cmd("n"), "coroutines.lua:11 in main chunk");
    assertEquals((await d.cmd("p v")).trim(), "20");
    assertStringIncludes(await d.cmd("c"), "sum\t60");
  });
});

Deno.test("debug: closures — upvalues listed and written by print", async () => {
  await withDebug(["closures.lua", "--break-at", "closures.lua:4"], async (d) => {
    assertStringIncludes(await d.until(PROMPT), "closures.lua:4");
    assertStringIncludes(await d.cmd("upvalues"), "count = 0");
    await d.cmd("p count = 10");
    await d.cmd("delete");
    assertStringIncludes(await d.cmd("c"), "count\t13");
  });
});

Deno.test("debug: tail calls — bt marks them, next over a tail call returns to the caller", async () => {
  await withDebug(["tailcall.lua", "--break-at", "tailcall.lua:6"], async (d) => {
    assertStringIncludes(await d.until(PROMPT), "tailcall.lua:6 in middle");
    const s = await d.cmd("s");
    assertStringIncludes(s, "tailcall.lua:2 in function <tailcall.lua:1> (tail call)");
    assertStringIncludes(await d.cmd("bt"), "(tail call)");
    await d.cmd("restart");
    // restart runs again to the same breakpoint
    assertStringIncludes(await d.cmd("bt"), "middle");
    assertStringIncludes(await d.cmd("n"), "tailcall.lua:10 in main chunk");
    assertEquals((await d.cmd("p r")).trim(), "4");
  });
});

Deno.test("debug: conditional, hit-count and function breakpoints; logpoints", async () => {
  await withDebug(["stats.lua", "--break-at", "stats.lua:4:v == 7"], async (d) => {
    assertStringIncludes(
      await d.until(PROMPT),
      "Stopped (breakpoint 1) at stats.lua:4 in Stats.add",
    );
    assertEquals((await d.cmd("p v")).trim(), "7");
    await d.cmd("delete");
    await d.cmd("restart");
    // restart ran to the end (no breakpoints)
    assertStringIncludes(d.transcript, "total\t55");
  });
  await withDebug(["stats.lua", "--stop-on-entry"], async (d) => {
    assertStringIncludes(await d.until(PROMPT), "Stopped (entry)");
    assertStringIncludes(await d.cmd("b 4 hit % 3"), "Breakpoint 1 at stats.lua:4 hit % 3");
    await d.cmd("c");
    assertEquals((await d.cmd("p v")).trim(), "3");
    await d.cmd("c");
    assertEquals((await d.cmd("p v")).trim(), "6");
    await d.cmd("delete 1");
    assertStringIncludes(await d.cmd("b Stats.add if v > 7"), "Breakpoint 2 at function Stats.add");
    assertStringIncludes(await d.cmd("c"), "stats.lua:4 in Stats.add");
    assertEquals((await d.cmd("p v")).trim(), "8");
    await d.cmd("delete");
    await d.cmd("log 10 i={i} total={acc.total}");
    const out = await d.cmd("c");
    assertStringIncludes(out, "i=9 total=36\ni=10 total=45\ntotal\t55");
    assertStringIncludes(await d.cmd("info b"), "Logpoint 3 at stats.lua:10");
  });
});

Deno.test("debug: break on uncaught errors (default) and on all errors", async () => {
  await withDebug(["errors.lua"], async (d) => {
    // No --break-at: it stops at the first line, like pdb.
    assertStringIncludes(await d.until(PROMPT), "Stopped (entry)");
    const out = await d.cmd("c");
    assertStringIncludes(out, "caught\tfalse");
    assertMatch(out, /Stopped \(error: errors\.lua:3: too big: 3\) at errors\.lua:3 in risky/);
    assertEquals((await d.cmd("p x")).trim(), "3");
    assertStringIncludes(await d.cmd("c"), "Program ended with an error: errors.lua:3: too big: 3");
    await d.cmd("catch all");
    assertStringIncludes(await d.cmd("restart"), "Stopped (entry)");
    assertStringIncludes(await d.cmd("c"), "too big: 5");
    assertEquals((await d.cmd("p x")).trim(), "5");
  });
});

Deno.test("debug: catch never (the config's word; off is the same) runs through errors", async () => {
  await withDebug(["errors.lua"], async (d) => {
    assertStringIncludes(await d.until(PROMPT), "Stopped (entry)");
    assertEquals((await d.cmd("catch never")).trim(), "stop on errors: never");
    const out = await d.cmd("c");
    assertStringIncludes(out, "Program ended with an error: errors.lua:3: too big: 3");
    assert(!out.includes("Stopped (error"), out);
    assertEquals((await d.cmd("catch off")).trim(), "stop on errors: never");
    assertEquals((await d.cmd("catch sometimes")).trim(), "usage: catch all|uncaught|never");
    assertStringIncludes(await d.cmd("help"), "catch all|uncaught|never");
  });
});

Deno.test("debug: [debug] break_on_error sets where errors stop (all: a caught one too)", async () => {
  const env = { LLMSPELL_DEBUG_BREAK_ON_ERROR: "all" };
  await withDebug(["errors.lua", "--no-stop-on-entry"], async (d) => {
    // The pcall'd error (x = 5) stops first, which the default (uncaught) runs through.
    assertMatch(await d.until(PROMPT), /Stopped \(error: errors\.lua:3: too big: 5\)/);
  }, env);
  await withDebug(["errors.lua", "--no-stop-on-entry"], async (d) => {
    const out = await d.until("Program ended with an error");
    assert(!out.includes("Stopped"), out);
    await d.until(PROMPT);
  }, { LLMSPELL_DEBUG_BREAK_ON_ERROR: "never" });
});

Deno.test("debug: an evaluate that changes a local; the run continues with it; watches", async () => {
  await withDebug(
    ["basic.lua", "--break-at", "basic.lua:3", "--watch", "s", "--watch", "a + b"],
    async (d) => {
      const first = await d.until(PROMPT);
      assertStringIncludes(first, "watch 1: s = 1");
      assertStringIncludes(first, "watch 2: a + b = 1");
      await d.cmd("p s = 100");
      assertEquals((await d.cmd("p s")).trim(), "100");
      await d.cmd("delete");
      assertStringIncludes(await d.cmd("c"), "total\t105");
    },
  );
});

Deno.test("debug: a 100k-entry table is paged", async () => {
  await withDebug(["bigtable.lua", "--break-at", "bigtable.lua:6"], async (d) => {
    await d.until(PROMPT);
    const page = await d.cmd("p t @99990");
    assertStringIncludes(page, "[99990] = 199980");
    assertStringIncludes(page, "[100000] = 200000");
    assert(!page.includes("[99989]"), page);
    assertEquals((await d.cmd("p #t")).trim(), "100000");
    const meta = await d.cmd("p meta");
    assertStringIncludes(meta, "name");
  });
});

Deno.test("debug: pause stops a busy loop", async () => {
  await withDebug(["busy.lua", "--no-stop-on-entry"], async (d) => {
    await d.until("spinning");
    await d.send("pause");
    const out = await d.until(PROMPT);
    assertMatch(out, /Stopped \(pause\) at busy\.lua:[34] in main chunk/);
    // The loop's local is in reach (the pause may land before the loop's first addition).
    assertEquals((await d.cmd("p n >= 0")).trim(), "true");
  });
});

Deno.test("debug: a breakpoint in a module set before it loads binds when required", async () => {
  await withDebug(["uses_module.lua", "--break-at", "mathlib.lua:4"], async (d) => {
    const out = await d.until(PROMPT);
    assertStringIncludes(out, "Stopped (breakpoint 1) at mathlib.lua:4 in");
    assertMatch(out, /-> +4 +local y = x \* x/);
    assertEquals((await d.cmd("p x")).trim(), "7");
    assertStringIncludes(await d.cmd("c"), "square\t49");
  });
});

Deno.test("debug: a breakpoint still hits after thousands of functions went through the hook filter", async () => {
  await withDebug(["manyfuncs.lua", "--break-at", "manyfuncs.lua:8"], async (d) => {
    assertStringIncludes(
      await d.until(PROMPT),
      "Stopped (breakpoint 1) at manyfuncs.lua:8 in target",
    );
    assertEquals((await d.cmd("p v")).trim(), String(3000 + 3000 * 3001 / 2));
    assertStringIncludes(await d.cmd("c"), "target\t" + String((3000 + 3000 * 3001 / 2) * 2));
  });
});

Deno.test("debug: breakpoints after a call returns, in recursion, after an error and a tail call", async () => {
  await withDebug(
    ["returns.lua", "--break-at", "returns.lua:6", "--break-at", "returns.lua:12:n == 3"],
    async (d) => {
      assertStringIncludes(
        await d.until(PROMPT),
        "Stopped (breakpoint 1) at returns.lua:6 in outer",
      );
      assertEquals((await d.cmd("p a")).trim(), "2");
      const rec = await d.cmd("c");
      assertStringIncludes(rec, "outer\t4");
      assertStringIncludes(rec, "Stopped (breakpoint 2) at returns.lua:12 in rec");
      assertEquals((await d.cmd("p r")).trim(), "3");
      // After rec, an error unwinds a frame and a tail call replaces one: line 6 still stops.
      const again = await d.cmd("c");
      assertStringIncludes(again, "rec\t10");
      assertStringIncludes(again, "pcall\tfalse");
      assertStringIncludes(again, "tail\t6");
      assertStringIncludes(again, "Stopped (breakpoint 1) at returns.lua:6 in outer");
      assertEquals((await d.cmd("p a")).trim(), "11");
      assertStringIncludes(await d.cmd("c"), "outer again\t22");
    },
  );
});

Deno.test("debug: a breakpoint on a call stops once per pass; one added in a function that already ran stops", async () => {
  await withDebug(["calls.lua", "--break-at", "calls.lua:11"], async (d) => {
    assertStringIncludes(await d.until(PROMPT), "Stopped (breakpoint 1) at calls.lua:11");
    assertEquals((await d.cmd("p i")).trim(), "1");
    // inc runs for the first time here and returns into the line with the breakpoint: the
    // next stop is the next pass, not the same line again.
    assertStringIncludes(await d.cmd("c"), "Stopped (breakpoint 1) at calls.lua:11");
    assertEquals((await d.cmd("p i")).trim(), "2");
    assertStringIncludes(await d.cmd("c"), "Stopped (breakpoint 1) at calls.lua:11");
    assertEquals((await d.cmd("p i")).trim(), "3");
    // inc ran twice without breakpoints; one set in it now stops there.
    assertStringIncludes(await d.cmd("b 3"), "Breakpoint 2 at calls.lua:3");
    assertStringIncludes(await d.cmd("c"), "Stopped (breakpoint 2) at calls.lua:3 in inc");
    assertEquals((await d.cmd("p x")).trim(), "3");
    await d.cmd("delete");
    const end = await d.cmd("c");
    assertStringIncludes(end, "total\t9");
    assertStringIncludes(end, "later\t18");
  });
});

Deno.test("debug: pause stops a busy loop in a function while a breakpoint is set elsewhere", async () => {
  await withDebug(
    ["busy_fn.lua", "--break-at", "busy_fn.lua:2", "--no-stop-on-entry"],
    async (d) => {
      await d.until("spinning");
      await d.send("pause");
      const out = await d.until(PROMPT);
      assertMatch(out, /Stopped \(pause\) at busy_fn\.lua:[78] in spin/);
      // spin's local is in reach (the pause may land before the loop's first addition).
      assertEquals((await d.cmd("p math.type(n)")).trim(), "integer");
    },
  );
});

Deno.test("debug: conditions on numbers in a hot loop (evaluated in the hook filter) stop exactly where true", async () => {
  await withDebug(["cond_loop.lua", "--break-at", "cond_loop.lua:4:i == 700"], async (d) => {
    assertStringIncludes(await d.until(PROMPT), "Stopped (breakpoint 1) at cond_loop.lua:4");
    assertEquals((await d.cmd("p i")).trim(), "700");
    await d.cmd("delete");
    // A float local against a constant; then an integer against a float.
    assertStringIncludes(await d.cmd("b 4 if x > 9.985"), "Breakpoint 2 at cond_loop.lua:4");
    assertStringIncludes(await d.cmd("c"), "Stopped (breakpoint 2) at cond_loop.lua:4");
    assertEquals((await d.cmd("p i")).trim(), "999");
    await d.cmd("delete");
    assertStringIncludes(await d.cmd("c"), "total\t5005.0");
  });
});

Deno.test("debug: debug.enabled = false refuses to debug, with one clear line", async () => {
  const home = await tempDir();
  await Deno.writeTextFile(`${home}/llmspell.toml`, "[debug]\nenabled = false\n");
  const r = await cli(["debug", `${DEBUG_FIXTURES}basic.lua`], { cwd: home });
  assertEquals(r.code, 1);
  assertStringIncludes(
    r.stderr,
    "debugging is disabled by the configuration (debug.enabled = false)",
  );
  assertEquals(r.stdout, "");
});
