/**
 * Errors of the sandboxed io and dofile name the user's chunk and line, not the prelude's.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";

Deno.test("io.input, io.output and dofile errors point at the user's line", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/bad.lua`, "x = = 1\n");
  await Deno.writeTextFile(
    `${dir}/app.lua`,
    [
      "local which = ARGS[1]",
      "if which == 'input' then io.input('/etc/hostname')",
      "elseif which == 'output' then io.output('/etc/llmspell_nope')",
      "elseif which == 'dofile' then dofile('missing.lua')",
      "elseif which == 'syntax' then dofile('bad.lua') end",
      "",
    ].join("\n"),
  );
  const run = (which: string) => cli(["run", "app.lua", "--", which], { cwd: dir });
  const outside = "is outside the allowed paths";
  const input = await run("input");
  assertEquals(input.code, 1);
  assertMatch(input.stderr, new RegExp(`^error: app\\.lua:2: /etc/hostname: .*${outside}`));
  assertMatch((await run("output")).stderr, new RegExp(`^error: app\\.lua:3: .*${outside}`));
  assertMatch((await run("dofile")).stderr, /^error: app\.lua:4: cannot open missing\.lua/);
  // A syntax error in the file names that file's line, as lua5.4 does.
  assertMatch((await run("syntax")).stderr, /^error: bad\.lua:1: unexpected symbol near '='/);
  for (const which of ["input", "output", "dofile", "syntax"]) {
    const r = await run(which);
    assert(!r.stderr.includes("prelude"), r.stderr);
  }
});
