/**
 * `llmspell debug --replay ID` through the real CLI: a recorded session of a script with
 * outside calls (State writes, a State.increment whose answer the database has since moved
 * past, a built-in tool's random answer) runs under the terminal debugger with every
 * recorded call answered from the record: it stops at a breakpoint inside the replayed run,
 * shows the recorded answers as locals, and continues to the end, where it reports that the
 * run matched the record; nothing reaches the real database.
 */
import { assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { PROMPT, withDebug } from "./helpers.ts";

const SCRIPT = `State.set("k", "v")
local n = State.increment("n", 5)
local id = Tool.invoke("uuid_generator", {}).uuid
local k = State.get("k")
print("n", n, k, #id)
return n`;

Deno.test("debug --replay: stops at a breakpoint inside the replayed run with the recorded answers, and continues to the end", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  const run: typeof cli = (args) => cli(args, { cwd: home, env });
  try {
    await Deno.writeTextFile(`${home}/s.lua`, SCRIPT);
    const r = await run(["run", "s.lua"]);
    assertEquals([r.code, r.stdout], [0, "n\t5\tv\t36\n"], r.stderr);
    const sessions = JSON.parse((await run(["session", "list", "--output", "json"])).stdout);
    const id = sessions[0].id as string;
    const recorded = (await run(["session", "export", id])).stdout;
    const uuid = /"uuid": ?"([0-9a-f-]{36})"/.exec(recorded.replaceAll('\\"', '"'))?.[1];
    assertMatch(uuid ?? "", /^[0-9a-f-]{36}$/, recorded);
    // The database moves on: a live run would now get 105 from State.increment.
    assertEquals((await run(["exec", 'State.increment("n", 100)'])).code, 0);

    await withDebug(
      ["--replay", id.slice(0, 8), "--break-at", "s.lua:5"],
      async (d) => {
        const stop = await d.until(PROMPT);
        assertStringIncludes(stop, "Stopped (breakpoint 1) at s.lua:5");
        assertMatch(stop, /-> +5 +print\("n", n, k, #id\)/);
        // The recorded answers: 5 (not 105), and the uuid the tool gave then.
        assertEquals((await d.cmd("p n")).trim(), "5");
        assertEquals((await d.cmd("p id")).trim(), uuid);
        assertStringIncludes(await d.cmd("locals"), 'k = "v"');
        const end = await d.cmd("c");
        assertStringIncludes(end, "n\t5\tv\t36\n");
        assertStringIncludes(end, "Program finished");
        assertStringIncludes(end, `Replay of session ${id}: replayed 1 execution: no divergence`);
      },
      env,
      home,
    );

    // Nothing reached the real database.
    assertEquals((await run(["state", "get", "n"])).stdout, "105\n");
    // One of the two, and a session that is not there, are usage errors.
    assertEquals((await run(["debug", "s.lua", "--replay", id])).code, 2);
    assertEquals((await run(["debug"])).code, 2);
    const missing = await run(["debug", "--replay", "nope"]);
    assertEquals(missing.code, 1);
    assertMatch(missing.stderr, /no session 'nope'/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
