/**
 * Input that arrives in one write (a paste without bracketed paste, a fast typist, a program
 * driving the terminal) is processed completely, in a real terminal (tmux): `type` sends each
 * burst with one `send-keys -l`. (`send-keys end Enter` would send the End key, not the
 * text `end`: tmux looks arguments up as key names, case-insensitively.)
 */
import { tempDir } from "../helpers/cli.ts";
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import type { Tmux } from "../helpers/tmux.ts";
import { startRepl } from "./helpers.ts";

/** Sends `burst` as one write and waits for a line matching `expect`; returns that line. */
async function burst(t: Tmux, text: string, expect: RegExp): Promise<string> {
  await t.type(text);
  const screen = await t.waitFor(expect);
  return expect.exec(screen)![0];
}

/** Clears the screen and waits for a fresh prompt, so the next burst's output stands alone. */
async function clear(t: Tmux): Promise<void> {
  await t.send("C-l");
  await t.waitFor(/^llmspell>\s*$/);
}

Deno.test("repl: bursts of keys in one write are processed completely", async () => {
  const t = await startRepl(await tempDir());
  try {
    // The dedent line of a block, typed as one write after the lines before it.
    await t.type("function sq(x)\r");
    await t.waitFor(/^\.\.\.\s*$/m);
    await t.type("return x * x\r");
    await t.waitFor(/return x \* x\n\.\.\.\s*$/m);
    await t.type("end\r");
    await t.waitFor(/^\.\.\. +end\nllmspell>/m);
    assertMatch(await burst(t, "print('sq', sq(7))\r", /^sq\s+\d+$/m), /^sq\s+49$/);

    // A whole definition and its call in one write.
    await clear(t);
    const whole = "function cube(x)\rreturn x * x * x\rend\rprint('cube', cube(3))\r";
    assertMatch(await burst(t, whole, /^cube\s+\d+$/m), /^cube\s+27$/);

    // A bracketed paste ending in a dedent line, then Enter and the next input, one write.
    await clear(t);
    const paste = "\x1b[200~function inc(x)\n  return x + 1\nend\x1b[201~\rprint('inc', inc(41))\r";
    assertMatch(await burst(t, paste, /^inc\s+\d+$/m), /^inc\s+42$/);

    // Keys after escape sequences in the same write: arrows, then text inserted there.
    await clear(t);
    assertEquals(await burst(t, "print('ac')\x1b[D\x1b[D\x1b[Db\r", /^a\w*c$/m), "abc");

    // Sequences that name no key (a mouse report, a focus event, a terminal's reply) are
    // consumed whole: the text around them is the input, nothing of them is.
    await clear(t);
    const mixed = "\x1b[<0;5;5Mprint('mouse'\x1b[I, 1)\x1b[?1;2c\r";
    assertMatch(await burst(t, mixed, /^(mouse\s+1|error: .*)$/m), /^mouse\s+1$/);

    // Alt+Enter (Esc then Enter in one write) still submits.
    await clear(t);
    assertEquals(await burst(t, "print('alt' .. 'enter')\x1b\r", /^altenter$/m), "altenter");

    // CR LF is one Enter: the second io.read gets the second line, not an empty one.
    await clear(t);
    const reads = "print(io.read() .. '|' .. io.read())\r\nfoo\r\nbar\r\n";
    assertEquals(await burst(t, reads, /^\w*\|\w*$/m), "foo|bar");

    // A Tab with more input behind it is pasted text, not a completion (`st` would complete
    // to `string`).
    await clear(t);
    assertMatch(await burst(t, "print('tab', #'st\tx')\r", /^tab\s+\d+$/m), /^tab\s+4$/);

    await t.send("C-d");
    await t.waitExit();
  } finally {
    await t.kill();
  }
});
