/**
 * `.profile` in the REPL through the real CLI in a pipe: `.profile` alone profiles the next
 * input, `.profile CODE` runs CODE profiled; each writes profile.folded, profile.svg and
 * profile.speedscope.json in the REPL's directory and prints the top frames on stderr, and
 * inputs after it run unprofiled. Embedded and on a kernel (`--connect`).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { withDaemonKernel } from "./helpers.ts";

// Long enough (~0.2 s) that a loaded machine, which delivers far fewer samples a second than
// asked, still takes several in it.
const SPIN = "local function spin() local s = 0 for i = 1, 2e7 do s = s + i end return s end " +
  "print(spin())";

async function scenario(connect: string[], home: string): Promise<void> {
  const r = await cli(["repl", ...connect], {
    cwd: home,
    env: { LLMSPELL_HOME: home },
    stdin: `.profile\n${SPIN}\n1 + 1\n`,
  });
  assertEquals(r.stdout, "200000010000000\n2\n", r.stderr);
  assertStringIncludes(r.stderr, "the next input runs profiled\n");
  // One profile: the input after the profiled one is not.
  assertEquals(r.stderr.match(/^profile: /gm)?.length, 1, r.stderr);
  assertMatch(r.stderr, new RegExp(`wrote ${home}/profile\\.folded, ${home}/profile\\.svg`));
  assertMatch(r.stderr, /\n +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +spin \(In\[\d+\]:1\)\n/);
  assertMatch(await Deno.readTextFile(`${home}/profile.folded`), /;spin \(In\[\d+\]:1\) \d+\n/);

  const c = await cli(["repl", ...connect], {
    cwd: home,
    env: { LLMSPELL_HOME: home },
    // ~0.2 s, like SPIN: a loaded machine takes few samples a second.
    stdin: ".profile (function() local n = 0 for i = 1, 2e7 do n = n + 1 end return n end)()\n",
  });
  assertEquals(c.stdout, "20000000\n", c.stderr);
  assertMatch(c.stderr, /^profile: [\d.]+ ms in \d+ samples; /m);
  assertStringIncludes(await Deno.readTextFile(`${home}/profile.folded`), "(anonymous) (In[");
  const svg = await Deno.readTextFile(`${home}/profile.svg`);
  assert(svg.startsWith("<?xml"), svg.slice(0, 100));
  // The meta-command line goes into the history, as `.load FILE` does.
  const h = await cli(["repl", ...connect], {
    cwd: home,
    env: { LLMSPELL_HOME: home },
    stdin: ".history search .profile (\n",
  });
  assertStringIncludes(h.stdout, ".profile (function()");
}

Deno.test("repl: .profile profiles the next input, .profile CODE that code (embedded)", async () => {
  const home = await tempDir();
  try {
    await scenario([], home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("repl --connect: .profile on a kernel writes the files here", async () => {
  const home = await tempDir();
  try {
    await withDaemonKernel(home, (id) => scenario(["--connect", id], home));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
