/**
 * `llmspell state` through the real CLI, against the database scripts write: exact JSON and
 * YAML of every type (bytes 0-255 as {"$bytes"}), set/get/list/delete/clear, export and
 * import (replace and --merge), exit codes 0/1/2, help with examples.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, withHome } from "../helpers/cli.ts";

const ALL_BYTES_B64 = btoa(String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i)));

const SET_ALL = String.raw`
local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end
State.set("v", { int = 7, float = 7.0, big = math.mininteger, bytes = table.concat(t),
  text = "héllo", list = { 1, 2.5, false }, keys = { [2] = "two" }, nan = 0/0, empty = {} })
State.set("raw", table.concat(t))`;

Deno.test("state get --output json shows what a script stored exactly; state set is read back exactly by a script", async () => {
  await withHome(async (run) => {
    assertEquals((await run(["exec", SET_ALL])).code, 0);
    const r = await run(["state", "get", "v", "--output", "json"]);
    assertEquals(r.code, 0, r.stderr);
    // Key order is the table's; compare the parsed document, then the number forms in the text.
    const doc = JSON.parse(r.stdout);
    assertEquals(doc.bytes, { $bytes: ALL_BYTES_B64 });
    assertEquals(doc.text, "héllo");
    assertEquals(doc.list, [1, 2.5, false]);
    assertEquals(doc.keys, { $map: [[2, "two"]] });
    assertEquals(doc.nan, { $float: "nan" });
    assertEquals(doc.empty, {});
    assertMatch(r.stdout, /"int": 7,?\n/);
    assertMatch(r.stdout, /"float": 7\.0,?\n/);
    assertMatch(r.stdout, /"big": -9223372036854775808,?\n/);

    // The JSON written back by `state set` is what a script reads.
    const set = await run(["state", "set", "w", r.stdout]);
    assertEquals(set.code, 0, set.stderr);
    const check = await run([
      "exec",
      String.raw`
local v, w = State.get("v"), State.get("w")
assert(math.type(w.int) == "integer" and math.type(w.float) == "float" and w.big == math.mininteger)
assert(w.bytes == v.bytes and #w.bytes == 256 and w.text == "héllo" and w.keys[2] == "two")
assert(w.nan ~= w.nan and w.list[2] == 2.5 and w.list[3] == false and next(w.empty) == nil)
print("same")`,
    ]);
    assertEquals(check.stdout, "same\n", check.stderr);
  });
});

Deno.test("state get prints a string's bytes as they are; yaml output keeps types", async () => {
  await withHome(async (_run, home) => {
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", new URL("../../main.ts", import.meta.url).pathname, ...args],
        cwd: home,
        env: { LLMSPELL_HOME: home, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
    assertEquals((await run(["exec", SET_ALL])).code, 0);
    const raw = await run(["state", "get", "raw"]);
    assertEquals(raw.code, 0);
    assertEquals([...raw.stdout], [...Array.from({ length: 256 }, (_, i) => i), 10]);
    const yaml = new TextDecoder().decode(
      (await run(["state", "get", "v", "--output", "yaml"])).stdout,
    );
    assertMatch(yaml, /^float: 7\.0$/m);
    assertMatch(yaml, /^int: 7$/m);
    assertMatch(yaml, /^bytes: !!binary/m);
  });
});

Deno.test("state list, set, delete, clear: scopes, prefixes, exit codes", async () => {
  await withHome(async (run) => {
    assertEquals((await run(["state", "set", "step_1", "1"])).code, 0);
    assertEquals((await run(["state", "set", "step_2", '"two"'])).code, 0);
    assertEquals((await run(["state", "set", "other", "true", "--scope", "agent:bob"])).code, 0);
    assertEquals((await run(["state", "list"])).stdout, "step_1\nstep_2\n");
    assertEquals((await run(["state", "list", "step_2"])).stdout, "step_2\n");
    assertEquals(
      JSON.parse((await run(["state", "list", "--scope", "agent:bob", "--output", "json"])).stdout),
      ["other"],
    );
    assertEquals((await run(["state", "get", "step_2"])).stdout, "two\n");

    const missing = await run(["state", "get", "nope"]);
    assertEquals(missing.code, 1);
    assertEquals(missing.stderr.split("\n")[0], "error: no key 'nope' in scope global");
    assertEquals((await run(["state", "delete", "nope"])).code, 1);
    assertEquals((await run(["state", "set", "k", "{bad json"])).code, 2);
    assertEquals((await run(["state", "get", "k", "--scope", "bogus"])).code, 2);
    assertEquals((await run(["state", "get", "k", "--scope", "session"])).code, 2);
    assertEquals((await run(["state", "get", ""])).code, 2);
    assertEquals((await run(["state", "clear"])).code, 2, "--scope is required");

    const del = await run(["state", "delete", "step_1", "--output", "json"]);
    assertEquals(JSON.parse(del.stdout), { scope: "global", key: "step_1", deleted: true });
    const refused = await run(["state", "clear", "--scope", "global"]);
    assertEquals(refused.code, 2);
    assertMatch(refused.stderr, /without --yes/);
    assertEquals((await run(["state", "list"])).stdout, "step_2\n");
    const cleared = await run(["state", "clear", "--scope", "global", "--yes", "--output", "json"]);
    assertEquals(JSON.parse(cleared.stdout), { scope: "global", deleted: 1 });
    assertEquals((await run(["state", "list"])).stdout, "");
    assertEquals((await run(["state", "list", "--scope", "agent:bob"])).stdout, "other\n");
  });
});

Deno.test("state export and import: JSON and YAML round-trip every type; import replaces a scope or --merge keeps others", async () => {
  await withHome(async (run, home) => {
    assertEquals((await run(["exec", SET_ALL + '\nState.set("a", 1, "agent:x")'])).code, 0);
    const before = (await run(["state", "get", "v", "--output", "json"])).stdout;
    for (const file of ["dump.json", "dump.yaml"]) {
      const e = await run(["state", "export", file, "--output", "json"]);
      assertEquals(e.code, 0, e.stderr);
      assertEquals(JSON.parse(e.stdout).keys, 3);
      assertEquals((await run(["state", "clear", "--scope", "global", "--yes"])).code, 0);
      assertEquals((await run(["state", "set", "extra", "1", "--scope", "agent:x"])).code, 0);
      const i = await run(["state", "import", file]);
      assertEquals(i.code, 0, i.stderr);
      assertEquals((await run(["state", "get", "v", "--output", "json"])).stdout, before, file);
      // Replaced: agent:x is the file's again.
      assertEquals((await run(["state", "list", "--scope", "agent:x"])).stdout, "a\n", file);
    }
    assertEquals((await run(["state", "set", "extra", "1", "--scope", "agent:x"])).code, 0);
    assertEquals((await run(["state", "import", "dump.json", "--merge"])).code, 0);
    assertEquals((await run(["state", "list", "--scope", "agent:x"])).stdout, "a\nextra\n");
    // --scope imports one scope of the file.
    assertEquals((await run(["state", "clear", "--scope", "global", "--yes"])).code, 0);
    assertEquals((await run(["state", "import", "dump.json", "--scope", "agent:x"])).code, 0);
    assertEquals((await run(["state", "list"])).stdout, "");

    await Deno.writeTextFile(`${home}/bad.json`, '{"nope": 1}');
    const bad = await run(["state", "import", "bad.json"]);
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /not a state export/);
    assertEquals((await run(["state", "import", "missing.json"])).code, 1);
  });
});

Deno.test("state: every command has --help with an example", async () => {
  for (const sub of ["list", "get", "set", "delete", "clear", "export", "import"]) {
    const r = await cli(["state", sub, "--help"]);
    assertEquals(r.code, 0, sub);
    assert(r.stdout.includes(`Examples:\n  $ llmspell state ${sub}`), sub);
  }
});
