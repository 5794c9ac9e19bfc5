/**
 * The REPL in a real terminal (tmux): completion, multi-line input, history across
 * processes, interrupt, paste, .save/.load; embedded and with --connect to a daemon kernel.
 */
import { cli, tempDir } from "../helpers/cli.ts";
import { line, startRepl, withDaemonKernel } from "./helpers.ts";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";

const PROMPT = "llmspell> ";

/** The number of prompts on the screen (each input ends with a new one). */
function prompts(screen: string): number {
  return screen.split("\n").filter((l) => l.startsWith("llmspell>")).length;
}

async function scenario(connect: string[], home: string): Promise<void> {
  const t = await startRepl(home, connect);
  try {
    // Tab: one candidate completes inline.
    await t.type("string.fo");
    await t.send("Tab");
    await t.waitFor(`${PROMPT}string.format`);
    await line(t, '("%03d", 7)', /^007$/m);

    // Tab on a table lists its fields in columns.
    await t.type("string.");
    await t.send("Tab");
    const listing = await t.waitFor(/byte +.*\n.*/);
    assertMatch(listing, /format/);
    assertMatch(listing, /gsub/);
    await t.send("C-u");

    // A multi-line function definition continues with "... " until it is complete.
    await t.type("function sq(n)");
    await t.send("Enter");
    await t.waitFor(/^\.\.\.\s*$/m);
    await t.type("return n * n");
    await t.send("Enter");
    await t.type("end");
    await t.send("Enter");
    await line(t, "sq(12)", /^144$/m);

    // Ctrl+C interrupts a running cell; an earlier global survives.
    await line(t, "kept = 'still here'", /llmspell> kept = 'still here'\nllmspell>/);
    // Ctrl+C once the cell prints, so it is running (an interrupt that reaches the kernel
    // before the cell does interrupts nothing, as in any Jupyter kernel).
    await t.type("print('spinning') while true do end");
    await t.send("Enter");
    await t.waitFor(/^spinning$/m);
    await t.send("C-c");
    await t.waitFor(/error: interrupted/);
    await line(t, "kept", /^still here$/m);
    // Ctrl+C right after Enter, before the cell may have reached the kernel: still stops it.
    await t.send("C-l");
    await t.waitFor(/^llmspell>$/m);
    await t.type("while true do end");
    await t.send("Enter", "C-c");
    await t.waitFor(/error: interrupted[^]*llmspell>$/m);

    // A pasted 5-line block is one input and runs once.
    await t.send("C-l");
    await t.waitFor(/^llmspell>$/m);
    await t.type(
      "\x1b[200~pasted = (pasted or 0) + 1\nlocal a = 1\nlocal b = 2\nlocal c = 3\nprint('sum', a + b + c)\x1b[201~",
    );
    await t.send("Enter");
    const pasted = await t.waitFor(/^sum\s+6$/m);
    assertEquals(pasted.match(/^sum\s+6$/gm)?.length, 1);
    await line(t, "pasted", /^1$/m);

    // Up with a prefix recalls the latest matching input.
    await t.send("C-l");
    await t.waitFor(/^llmspell>$/m);
    await t.type("sq");
    await t.send("Up");
    await t.waitFor(`${PROMPT}sq(12)`);
    await t.send("C-u");

    // .save writes this session's inputs.
    await line(t, ".save session.lua", /saved \d+ input\(s\)/);
    await t.send("C-d");
    await t.waitExit();
  } finally {
    await t.kill();
  }

  const saved = await Deno.readTextFile(`${home}/session.lua`);
  assert(saved.includes("function sq(n)"), saved);

  // A new REPL process: Ctrl+R finds a line of the earlier one; .load reproduces globals.
  const t2 = await startRepl(home, connect);
  try {
    await t2.send("C-r");
    await t2.type("still");
    await t2.waitFor("(reverse-i-search)'still': kept = 'still here'");
    await t2.send("C-g");
    await t2.send("C-u");
    if (connect.length === 0) {
      // Embedded: a fresh Lua state, so the globals come back only through .load.
      await line(t2, "sq == nil", /^true$/m);
    }
    await line(t2, ".load session.lua", /^sum\s+6$/m);
    await line(t2, "sq(5) .. ' ' .. kept", /^25 still here$/m);
    const screen = t2.screen();
    assert(prompts(screen) >= 2, screen);
    // The history has the command that loaded the file, not the file's lines.
    await t2.send("Up", "Up");
    await t2.waitFor(`${PROMPT}.load session.lua`);
    await t2.send("C-u");
    await t2.send("C-d");
    await t2.waitExit();
  } finally {
    await t2.kill();
  }
}

Deno.test("repl in a terminal: completion, multi-line, interrupt, paste, history, .save/.load", async () => {
  await scenario([], await tempDir());
});

Deno.test("repl --connect to a daemon kernel: the same scenario", async () => {
  const home = await tempDir();
  await withDaemonKernel(home, (id) => scenario(["--connect", id], home));
});

Deno.test("repl in a pipe: no prompt, no colour, multi-line chunks, meta-commands", async () => {
  const home = await tempDir();
  const r = await cli(["repl"], {
    cwd: home,
    stdin: "x = 6 * 7\nx\nfunction f(a)\n  return a + 1\nend\nf(x)\n.vars\nerror('boom')\n.nope\n",
  });
  assertEquals(r.stdout, "42\n43\nf  function  " + r.stdout.split("f  function  ")[1]);
  assertMatch(r.stdout, /^x {2}number {4}42$/m);
  assertMatch(r.stderr, /error: In\[\d+\]:1: boom/);
  assertMatch(r.stderr, /unknown command \.nope/);
  assertEquals(r.stdout.includes("llmspell>"), false);
  assertEquals(r.stdout.includes("\x1b["), false);
});
