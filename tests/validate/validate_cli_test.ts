/**
 * `llmspell validate` through the real CLI on the corpus in tests/fixtures/validate/: each
 * `NAME.lua` with `NAME.expected`, the exact lines the CLI prints for it (empty for a valid
 * script). lua5.4's own compiler (luac5.4) checks the corpus too: it rejects exactly the
 * scripts whose expected diagnostics include a syntax error.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, FIXTURES, tempDir } from "../helpers/cli.ts";

const DIR = `${FIXTURES}validate/`;
const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: "error" | "warning";
  code: string;
  message: string;
  hint: string | null;
}

async function corpus(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(DIR)) if (e.name.endsWith(".lua")) names.push(e.name);
  return names.sort();
}

async function expected(name: string): Promise<string[]> {
  const text = await Deno.readTextFile(DIR + name.replace(/\.lua$/, ".expected"));
  return text.split("\n").filter((l) => l !== "");
}

Deno.test("validate: the corpus has valid scripts and each mistake class, 40 scripts or more", async () => {
  const names = await corpus();
  assert(names.length >= 40, `only ${names.length} scripts`);
  const valid = names.filter((n) => n.startsWith("valid_"));
  assert(valid.length >= 20, `only ${valid.length} valid scripts`);
  for (const n of names) {
    await Deno.stat(DIR + n.replace(/\.lua$/, ".expected")); // every script has its expectation
  }
});

Deno.test("validate: every script of the corpus gets exactly its expected diagnostics", async () => {
  const names = await corpus();
  const r = await cli(["validate", ...names], { cwd: DIR });
  const lines = r.stdout.split("\n").filter((l) => l !== "");
  for (const name of names) {
    const got = lines.filter((l) => l.startsWith(`${name}:`));
    assertEquals(got, await expected(name), name);
  }
  // Nothing else is printed on stdout; the count is on stderr.
  assertEquals(lines.length, (await Promise.all(names.map(expected))).flat().length);
  const errors = lines.filter((l) => /^[^:]+:\d+:\d+: error: /.test(l)).length;
  const warnings = lines.filter((l) => /^[^:]+:\d+:\d+: warning: /.test(l)).length;
  assertEquals(errors + warnings, lines.length, "every line is FILE:LINE:COL: error|warning: …");
  assertEquals(
    r.stderr,
    `${names.length} files checked: ${errors} errors, ${warnings} warnings\n`,
  );
  assertEquals(r.code, 1);
});

Deno.test("validate --output json: the same diagnostics as objects, each with a code and a hint", async () => {
  const names = await corpus();
  const text = await cli(["validate", ...names], { cwd: DIR });
  const json = await cli(["validate", "--output", "json", ...names], { cwd: DIR });
  assertEquals(json.code, 1);
  assertEquals(json.stderr, "");
  const list = JSON.parse(json.stdout) as JsonDiagnostic[];
  const rendered = list.map((d) =>
    `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}` +
    (d.hint === null ? "" : ` (hint: ${d.hint})`)
  );
  assertEquals(rendered, text.stdout.split("\n").filter((l) => l !== ""));
  for (const d of list) {
    assertEquals(
      Object.keys(d).sort(),
      ["code", "column", "file", "hint", "line", "message", "severity"],
    );
    assertMatch(d.code, /^[a-z]+(-[a-z]+)*$/);
  }
  // Each mistake class of the brief is represented in the corpus.
  const codes = new Set(list.map((d) => d.code));
  for (
    const code of [
      "syntax",
      "const-assign",
      "undefined-global",
      "global-in-function",
      "unknown-field",
      "unknown-method",
      "argument-count",
      "dot-call",
      "colon-call",
      "hook-point",
      "unused-local",
      "shadowing",
      "sandbox",
      "zero-index",
      "string-index",
      "missing-iterator",
      "string-arithmetic",
      "not-precedence",
      "format-arguments",
      "duplicate-key",
    ]
  ) assert(codes.has(code), `no fixture reports ${code}`);
});

Deno.test("validate: lua5.4 rejects exactly the scripts with an expected syntax error", async () => {
  const names = await corpus();
  const json = await cli(["validate", "--output", "json", ...names], { cwd: DIR });
  const list = JSON.parse(json.stdout) as JsonDiagnostic[];
  const compileErrors = new Set(["syntax", "const-assign"]);
  for (const name of names) {
    const ours = list.find((d) => d.file === name && compileErrors.has(d.code));
    const luac = await new Deno.Command("luac5.4", {
      args: ["-p", name],
      cwd: DIR,
      stdout: "null",
      stderr: "piped",
    }).output();
    const theirs = new TextDecoder().decode(luac.stderr);
    assertEquals(luac.code !== 0, ours !== undefined, `${name}: luac5.4 says ${theirs || "ok"}`);
  }
});

Deno.test("validate: no error on any example script (examples/, recursively)", async () => {
  let count = 0;
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(`${d}/${e.name}`);
      else if (e.name.endsWith(".lua")) count++;
    }
  };
  await walk(EXAMPLES);
  assert(count > 1, `${count} examples`);
  const r = await cli(["validate", "--output", "json", "examples"], { cwd: `${EXAMPLES}..` });
  const list = JSON.parse(r.stdout) as JsonDiagnostic[];
  assertEquals(list.filter((d) => d.severity === "error"), []);
  assertEquals(r.code, 0);
  // Every example was checked: the count is on stderr in text mode.
  const text = await cli(["validate", "examples"], { cwd: `${EXAMPLES}..` });
  assertMatch(text.stderr, new RegExp(`^${count} files checked: 0 errors`));
});

Deno.test("validate: exit 0 with warnings only, 1 with an error, 2 on usage", async () => {
  const warnings = await cli(["validate", "zero_index.lua"], { cwd: DIR });
  assertEquals(warnings.code, 0);
  assertMatch(warnings.stdout, /: warning: /);
  assertEquals(warnings.stderr, "1 file checked: 0 errors, 2 warnings\n");
  const clean = await cli(["validate", "valid_attribs.lua", "valid_goto.lua"], { cwd: DIR });
  assertEquals([clean.code, clean.stdout], [0, ""]);
  const error = await cli(["validate", "const_assign.lua"], { cwd: DIR });
  assertEquals(error.code, 1);
  const none = await cli(["validate"], { cwd: DIR });
  assertEquals(none.code, 2);
  assertMatch(none.stderr, /missing required argument 'files'/);
  const missing = await cli(["validate", "valid_goto.lua", "nope.lua"], { cwd: DIR });
  assertEquals([missing.code, missing.stdout], [2, ""]);
  assertMatch(missing.stderr, /^error: script not found: nope\.lua\nhint: .*llmspell validate -/);
});

Deno.test("validate DIR checks the directory's *.lua files, recursively and sorted", async () => {
  const names = await corpus();
  const dir = await cli(["validate", "validate"], { cwd: FIXTURES });
  const files = await cli(["validate", ...names.map((n) => `validate/${n}`)], { cwd: FIXTURES });
  assertStringIncludes(dir.stdout, "validate/mixed.lua:3:29: error: ");
  assertEquals([dir.code, dir.stdout, dir.stderr], [files.code, files.stdout, files.stderr]);
  let all = 0;
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(`${d}/${e.name}`);
      else if (e.name.endsWith(".lua")) all++;
    }
  };
  await walk(FIXTURES);
  const tree = await cli(["validate", "."], { cwd: FIXTURES });
  assertMatch(tree.stderr, new RegExp(`^${all} files checked: `));
  assertStringIncludes(tree.stdout, "./validate/mixed.lua:3:29: error: ");
});

Deno.test("validate: what the safe sandbox leaves out is an error only with security_level = safe", async () => {
  const safe = await cli(["validate", "--output", "json", "sandbox.lua"], { cwd: DIR });
  const codes = (JSON.parse(safe.stdout) as JsonDiagnostic[]).map((d) => d.code);
  assertEquals([safe.code, codes], [1, ["sandbox", "sandbox", "sandbox", "sandbox"]]);
  const dir = await tempDir();
  await Deno.copyFile(`${DIR}sandbox.lua`, `${dir}/sandbox.lua`);
  await Deno.writeTextFile(
    `${dir}/llmspell.toml`,
    '[engines.lua]\nsecurity_level = "unrestricted"\n',
  );
  const unrestricted = await cli(["validate", "sandbox.lua"], { cwd: dir });
  assertEquals([unrestricted.code, unrestricted.stdout], [0, ""]);
});

Deno.test("validate - reads stdin; --help shows an example", async () => {
  const r = await cli(["validate", "-"], { cwd: DIR, stdin: "local x = 1\nprint(y)\n" });
  assertEquals(r.stdout.split("\n").filter((l) => l !== ""), [
    "stdin:1:7: warning: unused local 'x' (hint: remove it, or name it _x)",
    "stdin:2:7: warning: undefined global 'y' (it is nil) (hint: define it, or declare it local)",
  ]);
  const help = await cli(["validate", "--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "Usage: llmspell validate [options] <files...>");
  assertStringIncludes(help.stdout, "$ llmspell validate agent.lua");
});
