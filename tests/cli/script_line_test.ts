/**
 * readScriptLine (src/cli/argv.ts) takes the common `exec` and `run` command lines without
 * commander, by rules generated from the command tree (src/cli/argv_table.ts). Every command
 * line it takes must be read exactly as commander reads it: here both read command lines made
 * from the tree itself (every flag of the program and of `exec` and `run`, in every form and
 * place, with every operand count), commander through the real command tree with an
 * `exec`/`run` runner that records what it is handed. A flag added to the tree is in them.
 */
import type { Command, Option } from "commander";
import { assert, assertEquals } from "../helpers/assert.ts";
import { readScriptLine, type ScriptLine } from "../../src/cli/argv.ts";
import { buildProgram } from "../../src/cli/program.ts";
import { argvTableSource, FAST_COMMANDS } from "../../scripts/gen_argv_table.ts";

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

/** A flag's forms: those commander reads (`valid`) and near misses it refuses or reads otherwise. */
function forms(o: Option): { valid: string[][]; others: string[][] } {
  const names = [o.short, o.long].filter((n): n is string => n !== undefined);
  const long = o.long ?? "";
  if (!o.required && !o.optional) {
    return { valid: names.map((n) => [n]), others: [[`${long}=1`], [`${long}-x`]] };
  }
  const values = o.argChoices ?? ["v.toml", "a=b"];
  const valid: string[][] = [];
  for (const v of values) {
    for (const n of names) valid.push([n, v]);
    valid.push([`${long}=${v}`]);
  }
  const others = [[long], [long, "-x"], [`${long}=`], [`${long}-x`, values[0]]];
  if (o.argChoices) others.push([long, "not-a-choice"], [`${long}=not-a-choice`]);
  if (o.short) others.push([`${o.short}${values[0]}`], [`${o.short}=${values[0]}`]);
  return { valid, others };
}

/** A flag whose every form the fast path reads (see scripts/gen_argv_table.ts `fast`). */
function plain(o: Option): boolean {
  const parsed = o.parseArg !== undefined && o.argChoices === undefined;
  return !o.optional && !o.variadic && !parsed && o.presetArg === undefined;
}

const sameFlag = (a: Option, b: Option) => a.short === b.short && a.long === b.long;

/** Command lines made from the tree: `common` ones the fast path must take, and `others`. */
async function commandLines(): Promise<{ common: string[][]; others: string[][] }> {
  const program = await buildProgram();
  const common: string[][] = [];
  const others: string[][] = [];
  const commands = FAST_COMMANDS.map((n) => program.commands.find((c) => c.name() === n)!);
  const globals = program.options.filter((o) =>
    commands.every((c) => c.options.some((co) => sameFlag(co, o)))
  );
  for (const cmd of commands) {
    const name = cmd.name();
    const args = cmd.registeredArguments;
    const required = args.filter((a) => a.required).length;
    const variadic = args.some((a) => a.variadic);
    // Operands: the required ones, "-" (stdin) as the first, and for a variadic list more.
    const ops = Array.from({ length: required }, (_, i) => `op${i}`);
    const operandCounts = [ops, ["-", ...ops.slice(1)]];
    if (variadic) operandCounts.push([...ops, "a", "--name", "Ada"], [...ops, "--", "--"]);
    for (const o of operandCounts) common.push([name, ...o]);
    others.push([name, ...ops.slice(1)], [name, "--", ...ops], [name, "-1"]);
    if (!variadic) others.push([name, ...ops, "extra"]);
    for (const help of ["-h", "--help", "--version"]) {
      others.push([help, name, ...ops], [name, help, ...ops], [name, ...ops, help]);
    }
    others.push([name.slice(0, -1), ...ops]);

    const own = cmd.options.filter((o) => !globals.some((g) => sameFlag(g, o)));
    for (const o of [...globals, ...own]) {
      const isGlobal = globals.includes(o);
      const f = forms(o);
      for (const form of f.valid) {
        const where = [[name, ...form, ...ops], [name, ...ops, ...form]];
        if (isGlobal) where.push([...form, name, ...ops]);
        else others.push([...form, name, ...ops]);
        (plain(o) ? common : others).push(...where);
      }
      for (const form of f.others) {
        others.push([name, ...form, ...ops], [name, ...ops, ...form]);
        if (isGlobal) others.push([...form, name, ...ops]);
      }
      // Before and after the command word with different values: the command's wins.
      if (isGlobal && f.valid.length > 1 && plain(o)) {
        common.push([...f.valid[0], name, ...f.valid.at(-1)!, ...ops]);
      }
    }
  }
  for (const c of program.commands) {
    if (!(FAST_COMMANDS as readonly string[]).includes(c.name())) others.push([c.name()]);
  }
  others.push([]);
  return { common, others };
}

Deno.test("src/cli/argv_table.ts matches the command tree (regenerate with `deno task gen`)", async () => {
  const committed = await Deno.readTextFile(
    new URL("../../src/cli/argv_table.ts", import.meta.url),
  );
  assertEquals(committed, argvTableSource(await buildProgram()), "src/cli/argv_table.ts drifted");
});

Deno.test("readScriptLine takes the common exec and run command lines: every flag of the tree, in every form", async () => {
  const { common } = await commandLines();
  assert(common.length > 100, `the command lines were made (${common.length})`);
  for (const argv of common) assert(readScriptLine(argv), `not taken: ${JSON.stringify(argv)}`);
});

Deno.test("readScriptLine reads every command line it takes exactly as commander does", async () => {
  const { common, others } = await commandLines();
  let taken = 0;
  for (const argv of [...common, ...others]) {
    const quick = readScriptLine(argv);
    if (!quick) continue;
    taken++;
    assertEquals(quick, await viaCommander(argv), JSON.stringify(argv));
  }
  assert(taken >= common.length);
});

Deno.test("readScriptLine leaves help, --version and wrong command lines to commander", () => {
  const help = [["exec", "--help"], ["exec", "x", "-h"], ["--version"], ["run", "-h", "f.lua"]];
  const wrong = [["exec"], ["exec", "a", "b"], ["exec", "--output", "xml", "x"], ["exec", "-1"]];
  for (const argv of [...help, ...wrong]) {
    assertEquals(readScriptLine(argv), undefined, JSON.stringify(argv));
  }
});
