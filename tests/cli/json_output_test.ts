/**
 * `--output json`: the returned values as JSON, with their display text beside them, the
 * same embedded and on a kernel.
 */
import { assertEquals } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";

async function doc(code: string, ...extra: string[]) {
  const r = await cli(["exec", "--output", "json", ...extra, code]);
  assertEquals(r.stderr, "");
  return JSON.parse(r.stdout);
}

Deno.test("--output json: result is the list of values, tables as arrays or objects", async () => {
  const d = await doc("return 1, {a = 2}");
  assertEquals(d.result, [1, { a: 2 }]);
  assertEquals(d.display, "1\t{a = 2}");
  assertEquals((await doc("return {1, 'two', {x = {true, false}}}, {}, 0.1, 'é'")).result, [
    [1, "two", { x: [true, false] }],
    {},
    0.1,
    "é",
  ]);
  // A statement returns nothing; nils in a list stay in place.
  assertEquals((await doc("x = 1")).result, []);
  assertEquals((await doc("x = 1")).display, null);
  assertEquals((await doc("return 1, nil, 3")).result, [1, null, 3]);
});

Deno.test("--output json: what JSON cannot hold becomes a string", async () => {
  const d = await doc(
    "local t = {1} t[2] = t " +
      "return t, print, coroutine.create(print), 0/0, 1/0, -1/0, math.maxinteger, " +
      "{[1.5] = 'f', [true] = 'b', [print] = 'fn'}",
  );
  assertEquals(d.result, [
    [1, "<cycle>"],
    "<function>",
    "<thread>",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    { "1.5": "f", "<function>": "fn", true: "b" },
  ]);
  const deep = (await doc(
    "local t = {} local c = t for i = 1, 150 do c.n = {} c = c.n end return t",
  )).result[0];
  let depth = 0;
  let node = deep;
  while (typeof node === "object") {
    node = node.n;
    depth++;
  }
  assertEquals([depth, node], [101, "<nested too deep>"]);
});

Deno.test("--output yaml and run: the same values", async () => {
  const y = await cli(["exec", "--output", "yaml", "return {1, 2}, 's'"]);
  assertEquals(
    y.stdout.split("display:")[0],
    "status: ok\nexit_code: 0\nresult:\n  - - 1\n    - 2\n  - s\n",
  );
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/s.lua`, "return {name = ARGS.name}\n");
  const r = await cli(["run", "--output", "json", "s.lua", "--", "--name", "Ada"], { cwd: dir });
  assertEquals(JSON.parse(r.stdout).result, [{ name: "Ada" }]);
});
