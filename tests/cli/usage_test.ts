/** What a user meets first: no command, an unknown one with --help, and ARGS from flags. */
import { assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";

Deno.test("bare llmspell prints the top-level help on stderr with exit 2 (usage)", async () => {
  const r = await cli([]);
  assertEquals(r.code, 2);
  assertEquals(r.stdout, "");
  assertMatch(r.stderr, /^Usage: llmspell \[options\] \[command\]\n/);
  assertStringIncludes(r.stderr, "exec");
  const flagsOnly = await cli(["--no-color"]);
  assertEquals(flagsOnly.code, 2);
  assertMatch(flagsOnly.stderr, /^Usage: llmspell /);
});

Deno.test("a group without its subcommand prints the group's help on stderr with exit 2", async () => {
  const r = await cli(["kernel"]);
  assertEquals(r.code, 2);
  assertEquals(r.stdout, "");
  assertMatch(r.stderr, /^Usage: llmspell kernel \[options\] \[command\]\n/);
  const help = await cli(["kernel", "--help"]);
  assertEquals(help.code, 0);
  assertMatch(help.stdout, /^Usage: llmspell kernel /);
});

Deno.test("an unknown command with --help is 'unknown command' (exit 2) with a did-you-mean", async () => {
  const frob = await cli(["frob", "--help"]);
  assertEquals(frob.code, 2);
  assertEquals(frob.stdout, "");
  assertMatch(frob.stderr, /^error: unknown command 'frob'\n/);
  const near = await cli(["ecex", "--help"]);
  assertEquals(near.code, 2);
  assertMatch(near.stderr, /^error: unknown command 'ecex' \(did you mean exec\?\)\n/);
  const nested = await cli(["config", "valdate", "-h"]);
  assertEquals(nested.code, 2);
  assertMatch(nested.stderr, /^error: unknown command 'valdate' \(did you mean validate\?\)\n/);
  // A flag's value that looks like a command is not the command word.
  const value = await cli(["-c", "exec", "frob", "--help"]);
  assertEquals(value.code, 2);
  assertMatch(value.stderr, /^error: unknown command 'frob'\n/);
});

Deno.test('ARGS as the README says: --flag value takes the value, a bare --flag is "true"', async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/greet.lua`,
    "print(ARGS.name, ARGS.loud, ARGS.v, ARGS.n, ARGS[1], ARGS[2])\n",
  );
  const run = async (...args: string[]) => (await cli(["run", "greet.lua", ...args], { cwd: dir }));
  // The README's example.
  assertEquals(
    (await run("--", "--name", "Ada", "--loud", "extra")).stdout,
    "Ada\textra\tnil\tnil\tnil\tnil\n",
  );
  // Bare before another --x and at the end; --key=value; a value may start with one dash.
  assertEquals(
    (await run("--loud", "--name=Ada", "--n", "-5", "--v")).stdout,
    "Ada\ttrue\ttrue\t-5\tnil\tnil\n",
  );
  // `--` ends the flags: what follows is positional even when it starts with --.
  assertEquals(
    (await run("--loud", "--", "extra", "--name")).stdout,
    "nil\ttrue\tnil\tnil\textra\t--name\n",
  );
});
