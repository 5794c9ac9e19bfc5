import { assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, FIXTURES, tempDir } from "../helpers/cli.ts";

Deno.test("run passes ARGS: --key value, bare --flag, positionals, ARGS[0]; and Lua's arg", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/greet.lua`,
    "print(ARGS.name, ARGS.loud, ARGS[1], ARGS[2], ARGS[0])\nprint(#arg, arg[0], arg[1], select('#', ...))\n",
  );
  const r = await cli(["run", "greet.lua", "--", "--name", "Ada", "one", "--loud", "--", "--two"], {
    cwd: dir,
  });
  assertEquals(r.stderr, "");
  assertEquals(r.stdout, "Ada\ttrue\tone\t--two\tgreet.lua\n6\tgreet.lua\t--name\t6\n");
  assertEquals(r.code, 0);
});

Deno.test("run - reads the script from stdin; a #! first line is ignored", async () => {
  const r = await cli(["run", "-", "--name", "Ada"], {
    stdin: "#!/usr/bin/env llmspell\nprint('hello ' .. ARGS.name)\nerror('line 3')\n",
  });
  assertEquals(r.stdout, "hello Ada\n");
  assertMatch(r.stderr, /^error: stdin:3: line 3\n/);
  assertEquals(r.code, 1);
});

Deno.test("run: error line numbers name the script file", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/bad.lua`, "local function f()\n  return nil + 1\nend\nf()\n");
  const r = await cli(["run", "bad.lua"], { cwd: dir });
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /^error: bad\.lua:2: attempt to perform arithmetic on a nil value\n/);
  assertStringIncludes(r.stderr, "\tbad.lua:2: in local 'f'\n\tbad.lua:4: in main chunk");
});

Deno.test("run: a missing script is a usage error (exit 2) with a hint", async () => {
  const r = await cli(["run", "nope.lua"], { cwd: await tempDir() });
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /^error: script not found: nope\.lua\nhint: /);
});

Deno.test("require finds a sibling module from any working directory, with real paths in tracebacks", async () => {
  const r = await cli(["run", `${FIXTURES}modules/main.lua`], { cwd: await tempDir() });
  assertEquals(r.stdout, "hello from util, Ada\nsub.inner\t42\n");
  assertEquals(r.code, 0);
  const bad = await cli(["run", `${FIXTURES}modules/main.lua`, "--", "fail"], {
    cwd: await tempDir(),
  });
  assertEquals(bad.code, 1);
  assertStringIncludes(bad.stderr, `${FIXTURES}modules/util.lua:6: util failed`);
});

Deno.test("unknown command and flag: one line with a did-you-mean, exit 2", async () => {
  const cmd = await cli(["exce", "1"]);
  assertEquals(cmd.code, 2);
  assertMatch(cmd.stderr, /^error: unknown command 'exce' \(did you mean exec\?\)\n/);
  const flag = await cli(["exec", "--outptu", "json", "1"]);
  assertEquals(flag.code, 2);
  assertMatch(flag.stderr, /^error: unknown option '--outptu' \(did you mean --output\?\)\n/);
});

Deno.test("--help shows an example for every command; --version prints the version", async () => {
  for (
    const args of [["--help"], ["exec", "--help"], ["run", "--help"], ["config", "--help"], [
      "config",
      "show",
      "--help",
    ], ["completions", "--help"]]
  ) {
    const r = await cli(args);
    assertEquals(r.code, 0, args.join(" "));
    assertMatch(r.stdout, /Examples:\n {2}\$ llmspell /, args.join(" "));
  }
  const v = await cli(["--version"]);
  assertMatch(v.stdout, /^\d+\.\d+\.\d+\n$/);
});
