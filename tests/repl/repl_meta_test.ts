/**
 * The REPL's cells and meta-commands through the real CLI in a pipe (the same code paths as
 * a terminal, without the line editor): tracebacks of a cell that is a call, what `.load`
 * puts into the history, `.history search`, and what `.save` writes.
 */
import { cli, tempDir } from "../helpers/cli.ts";
import { assertEquals } from "../helpers/assert.ts";
import { withDaemonKernel } from "./helpers.ts";

/** The traceback frames of cells (the lines that name a cell). */
function cellFrames(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^\tIn\[\d+\]/.test(l));
}

async function tracebackScenario(connect: string[], home: string): Promise<void> {
  const r = await cli(["repl", ...connect], {
    cwd: home,
    env: { LLMSPELL_HOME: home },
    stdin: "function g()\n  error('boom')\nend\ng()\ng(\n  1)\n",
  });
  assertEquals(r.stderr.includes("tail calls"), false, r.stderr);
  // A connected REPL numbers cells after the kernel's earlier ones: compare the offsets.
  const first = Number(/In\[(\d+)\]:2: in global 'g'/.exec(r.stderr)?.[1]);
  assertEquals(cellFrames(r.stderr), [
    `\tIn[${first}]:2: in global 'g'`,
    `\tIn[${first + 1}]:1: in main chunk`,
    `\tIn[${first}]:2: in global 'g'`,
    `\tIn[${first + 2}]:1: in main chunk`,
  ]);
}

Deno.test("repl: a cell that is a call shows its caller line in the traceback (embedded)", async () => {
  await tracebackScenario([], await tempDir());
});

Deno.test("repl --connect: a cell that is a call shows its caller line in the traceback", async () => {
  const home = await tempDir();
  await withDaemonKernel(home, (id) => tracebackScenario(["--connect", id], home));
});

Deno.test("repl: .load FILE goes into the history as the command, here and in the next session", async () => {
  const home = await tempDir();
  await Deno.writeTextFile(`${home}/lib.lua`, "loaded_value = 41\nlocal secret_line = 1\n");
  const r = await cli(["repl"], {
    cwd: home,
    stdin: ".load lib.lua\nloaded_value + 1\n.history\n",
  });
  assertEquals(r.stdout, "42\n    1  .load lib.lua\n    2  loaded_value + 1\n", r.stderr);
  // The stored history (another REPL process) has the command, not the file's lines.
  const next = await cli(["repl"], { cwd: home, stdin: ".history\n" });
  assertEquals(next.stdout, "    1  .load lib.lua\n    2  loaded_value + 1\n", next.stderr);
});

Deno.test("repl: .history search TEXT lists the matches with their history numbers", async () => {
  const home = await tempDir();
  const r = await cli(["repl"], {
    cwd: home,
    stdin: "alpha = 1\nbeta = 2\nfunction alphabet()\n  return 'abc'\nend\nalpha\n" +
      ".history search alpha\n",
  });
  assertEquals(
    r.stdout,
    "1\n" +
      "    1  alpha = 1\n" +
      "    3  function alphabet()\n" +
      "         return 'abc'\n" +
      "       end\n" +
      "    4  alpha\n",
    r.stderr,
  );
});

Deno.test("repl: .save writes a file that shows, when run, what the REPL showed", async () => {
  const home = await tempDir();
  const inputs = [
    "t = {1, 2, k = 'v'}",
    "t",
    "string.find('hello', 'l')",
    "nothing_here",
    "local y = 3 return y * 2",
    "return nil",
    "function f() return 'from f' end",
    "f()",
    "(print)('printed')",
    "t -- with a comment",
    "#t;",
  ];
  const r = await cli(["repl"], { cwd: home, stdin: inputs.join("\n") + "\n.save s.lua\n" });
  assertEquals(r.stderr, `saved ${inputs.length} input(s) to ${home}/s.lua\n`);
  const shown = '{1, 2, k = "v"}\n3\t3\n6\nfrom f\nprinted\n{1, 2, k = "v"}\n2\n';
  assertEquals(r.stdout, shown);
  const run = await cli(["run", "s.lua"], { cwd: home });
  assertEquals([run.code, run.stderr], [0, ""]);
  assertEquals(run.stdout, shown);
});
