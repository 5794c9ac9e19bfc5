/**
 * readScriptLine (src/cli/argv.ts) takes the common `exec` and `run` command lines without
 * commander. Every command line it takes must be read exactly as commander reads it: here
 * both read a table of command lines, commander through the real command tree with an
 * `exec`/`run` runner that records what it is handed.
 */
import type { Command } from "commander";
import { assert, assertEquals } from "../helpers/assert.ts";
import { readScriptLine, type ScriptLine } from "../../src/cli/argv.ts";
import { buildProgram } from "../../src/cli/program.ts";

/** What commander hands the `exec`/`run` runner for `argv`, or why it hands nothing. */
async function viaCommander(argv: string[]): Promise<ScriptLine | "refused" | "not run"> {
  let got: ScriptLine | undefined;
  const program = await buildProgram(argv, (line) => {
    got = line;
    return Promise.resolve(0);
  });
  const quiet = (c: Command): void => {
    c.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
    c.commands.forEach(quiet);
  };
  quiet(program);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch {
    return "refused"; // a usage error, or help or the version shown
  }
  return got ?? "not run";
}

/** Command lines the shortcut must take: what users type. */
const COMMON = [
  ["exec", "print(1)"],
  ["exec", "1+2", "--output", "json"],
  ["--output", "json", "exec", "1+2"],
  ["--output=yaml", "exec", "--trace", "debug", "x = 1"],
  ["-c", "cfg.toml", "exec", "x"],
  ["--config", "a.toml", "exec", "--config=b.toml", "x"],
  ["--no-color", "exec", "x"],
  ["exec", "x", "--no-color", "--trace=info"],
  ["--trace", "error", "exec", "--trace", "debug", "x"],
  ["exec", "--connect", "k1", "x"],
  ["exec", "--connect=127.0.0.1:5555", "x"],
  ["exec", "-"],
  ["run", "f.lua"],
  ["run", "f.lua", "--", "--name", "Ada"],
  ["run", "f.lua", "--name", "Ada", "x"],
  ["run", "-", "--name", "Ada"],
  ["run", "--output", "json", "f.lua", "--output", "x"],
  ["--no-color", "run", "-c", "c.toml", "--connect", "k", "f.lua", "a", "b"],
  ["run", "f.lua", "--", "--"],
];

/** Command lines it may leave to commander; if it takes one, it must agree. */
const OTHERS = [
  [],
  ["exec"],
  ["exec", "a", "b"],
  ["exec", "--", "-1"],
  ["exec", "-1"],
  ["exec", "--output", "xml", "x"],
  ["exec", "--output=", "x"],
  ["exec", "x", "--trace"],
  ["exec", "--config", "-x", "y"],
  ["exec", "--config=-x", "y"],
  ["exec", "-cfoo.toml", "x"],
  ["exec", "-c=foo.toml", "x"],
  ["exec", "--colour", "x"],
  ["exec", "--no-color=1", "x"],
  ["--connect", "k", "exec", "x"],
  ["exec", "--help"],
  ["exec", "x", "-h"],
  ["--version"],
  ["exec", "--version", "x"],
  ["-h", "exec", "x"],
  ["run"],
  ["run", "--", "f.lua"],
  ["run", "f.lua", "-h"],
  ["run", "f.lua", "--help"],
  ["run", "f.lua", "--version"],
  ["run", "--connect"],
  ["repl"],
  ["kernel", "start"],
  ["exe", "x"],
];

Deno.test("readScriptLine takes the common exec and run command lines", () => {
  for (const argv of COMMON) assert(readScriptLine(argv), `not taken: ${JSON.stringify(argv)}`);
});

Deno.test("readScriptLine reads every command line it takes exactly as commander does", async () => {
  let taken = 0;
  for (const argv of [...COMMON, ...OTHERS]) {
    const quick = readScriptLine(argv);
    if (!quick) continue;
    taken++;
    assertEquals(quick, await viaCommander(argv), JSON.stringify(argv));
  }
  assert(taken >= COMMON.length);
});

Deno.test("readScriptLine leaves help, --version and wrong command lines to commander", () => {
  const help = [["exec", "--help"], ["exec", "x", "-h"], ["--version"], ["run", "-h", "f.lua"]];
  const wrong = [["exec"], ["exec", "a", "b"], ["exec", "--output", "xml", "x"], ["exec", "-1"]];
  for (const argv of [...help, ...wrong]) {
    assertEquals(readScriptLine(argv), undefined, JSON.stringify(argv));
  }
});
