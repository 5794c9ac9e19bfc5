/**
 * The State global through the real CLI: values of every type survive a process (bytes
 * 0-255, integers vs floats, nested tables), the original's save/load, the errors that
 * name a value's path, key and scope rules, the size limit from config, update and
 * increment.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";

/** Lua: `same(a, b)` compares deeply, number subtypes included; `all_bytes` is "\0".."\255". */
const PRELUDE = String.raw`
local function same(a, b, path)
  path = path or "v"
  if type(a) ~= type(b) then error(path .. ": " .. type(a) .. " vs " .. type(b)) end
  if type(a) == "number" and math.type(a) ~= math.type(b) then
    error(path .. ": " .. math.type(a) .. " vs " .. math.type(b))
  end
  if type(a) ~= "table" then
    if a ~= b and not (a ~= a and b ~= b) then error(path .. ": " .. tostring(a) .. " vs " .. tostring(b)) end
    return true
  end
  for k, v in pairs(a) do same(v, b[k], path .. "." .. tostring(k)) end
  for k in pairs(b) do if a[k] == nil then error(path .. "." .. tostring(k) .. " extra") end end
  return true
end
local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end
local all_bytes = table.concat(t)
local function sample()
  return {
    int = 42, neg = math.mininteger, max = math.maxinteger, float = 2.0, pi = 3.141592653589793,
    tiny = 5e-324, inf = math.huge, ninf = -math.huge, nan = 0/0,
    yes = true, no = false, empty = "", bytes = all_bytes, utf8 = "héllo ☃",
    list = { 1, "two", 3.0, { nested = { deeper = { "x" } } } },
    holes = { [1] = "a", [3] = "c" }, mixed = { 10, 20, name = "n" },
    keys = { [1.5] = "float key", [true] = "bool key", [-7] = "negative" },
    none = {},
  }
end
`;

async function run(home: string, code: string, env: Record<string, string> = {}) {
  return await cli(["exec", PRELUDE + code], { cwd: home, env: { LLMSPELL_HOME: home, ...env } });
}

Deno.test("State: every kind of value survives a process exactly (bytes 0-255, integers vs floats, nested tables)", async () => {
  const home = await tempDir();
  try {
    const w = await run(home, 'State.set("v", sample()) State.set("s", all_bytes) print("set")');
    assertEquals([w.code, w.stdout.trim(), w.stderr], [0, "set", ""]);
    const r = await run(
      home,
      'assert(same(sample(), State.get("v"))) assert(State.get("s") == all_bytes) print(#State.get("s"))',
    );
    assertEquals([r.code, r.stdout.trim(), r.stderr], [0, "256", ""]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("State: the original's save/load/list_keys round-trip", async () => {
  const home = await tempDir();
  try {
    const w = await run(
      home,
      'State.save("agent:bob", "plan", {steps = {"a", "b"}, n = 2}) State.save("agent:bob", "x", 1.5)',
    );
    assertEquals(w.code, 0, w.stderr);
    const r = await run(
      home,
      'local p = State.load("agent:bob", "plan") print(p.steps[2], p.n, math.type(p.n), State.load("agent:bob", "x"))\n' +
        'print(table.concat(State.list_keys("agent:bob"), ","), State.load("agent:bob", "missing"))',
    );
    assertEquals(r.stdout, "b\t2\tinteger\t1.5\nplan,x\tnil\n", r.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("State: unstorable values are errors that name the path, at the script's line", async () => {
  const home = await tempDir();
  try {
    const cases: [string, RegExp][] = [
      ['State.set("k", {a = {b = print}})', /:1: value\.a\.b: cannot store a function/],
      ['local t = {} t.me = {up = t} State.set("k", t)', /:1: value\.me\.up: cannot store a cycle/],
      ['State.set("k", {coroutine.create(print)})', /:1: value\[1\]: cannot store a thread/],
      ['State.set("k", {[{}] = 1})', /:1: value: cannot store a table as a table key/],
      [
        'State.set("k", {["a b"] = {string.len}})',
        /:1: value\["a b"\]\[1\]: cannot store a function/,
      ],
    ];
    for (const [code, want] of cases) {
      const r = await cli(["exec", code], { cwd: home, env: { LLMSPELL_HOME: home } });
      assertEquals(r.code, 1, code);
      assertMatch(r.stderr, want);
    }
    // Nothing of a refused value is stored.
    const r = await cli(["exec", 'print(State.exists("k"))'], {
      cwd: home,
      env: { LLMSPELL_HOME: home },
    });
    assertEquals(r.stdout, "false\n");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("State: key and scope rules; nil deletes; scope handles", async () => {
  const home = await tempDir();
  try {
    const r = await run(
      home,
      String.raw`
local function err(f, ...) local ok, e = pcall(f, ...) assert(not ok) print(e) end
err(State.get, "")
err(State.get, string.rep("k", 257))
err(State.get, "a\0b")
err(State.get, 12)
err(State.set, "k", 1, "nowhere")
err(State.set, "k", 1, "agent:")
State.set(string.rep("k", 256), 1)
State.set("gone", 1) State.set("gone", nil) print(State.exists("gone"))
local h = State.scope("workflow:w1")
h:set("step", 3) print(h:get("step"), h:increment("step", 2), State.get("step", "workflow:w1"))
print(h:exists("step"), h:delete("step"), h:exists("step"), #h:list())
State.set("s1", "x", "session") print(State.get("s1", "session"), State.get("s1"))
print(tostring(h))
`,
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.split("\n"), [
      "State.get: a key cannot be empty",
      "State.get: a key is at most 256 bytes (this one has 257)",
      "State.get: a key cannot contain a NUL byte",
      "State.get: key must be a string, got number",
      "State.set: unknown scope 'nowhere': use global, session, agent:<name>, workflow:<name>, tool:<name>, user:<id> or custom:<name>",
      "State.set: scope 'agent:' needs a name after the colon",
      "false",
      "3\t5\t5",
      "true\ttrue\tfalse\t0",
      "x\tnil",
      "State.scope(workflow:w1)",
      "",
    ]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("State: list with a prefix; increment keeps integers and floats; update", async () => {
  const home = await tempDir();
  try {
    const r = await run(
      home,
      String.raw`
for _, k in ipairs({"step_2", "step_1", "other", "step_10"}) do State.set(k, true) end
print(table.concat(State.list(nil, "step_"), ","), #State.list())
print(State.increment("n"), State.increment("n", 41), math.type(State.get("n")))
print(State.increment("f", 0.5), math.type(State.get("f")))
print(State.increment("n", 0.5), math.type(State.get("n")))
print(pcall(State.increment, "other", 1))
print(State.update("u", function(v) return (v or "") .. "a" end), State.update("u", function(v) return v .. "b" end))
print(State.update("u", function() return nil end), State.exists("u"))
`,
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.split("\n"), [
      "step_1,step_10,step_2\t4",
      "1\t42\tinteger",
      "0.5\tfloat",
      "42.5\tfloat",
      "false\tState.increment: 'other' holds a boolean, not a number",
      "a\tab",
      "nil\tfalse",
      "",
    ]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("State: a value larger than [state] max_value_bytes is refused; [state] enabled = false keeps nothing", async () => {
  const home = await tempDir();
  try {
    await Deno.writeTextFile(`${home}/llmspell.toml`, "[state]\nmax_value_bytes = 2048\n");
    const big = await run(home, 'State.set("big", string.rep("x", 3000))');
    assertEquals(big.code, 1);
    assertMatch(
      big.stderr,
      /:\d+: State\.set: the value is 300\d bytes encoded, more than the limit of 2048 \(\[state\] max_value_bytes\)/,
    );
    const ok = await run(
      home,
      'State.set("small", string.rep("x", 2000)) print(#State.get("small"))',
    );
    assertEquals(ok.stdout, "2000\n", ok.stderr);

    await Deno.writeTextFile(`${home}/llmspell.toml`, "[state]\nenabled = false\n");
    const a = await run(home, 'State.set("mem", 1) print(State.get("mem"), State.get("small"))');
    assertEquals(a.stdout, "1\tnil\n", a.stderr);
    const b = await run(home, 'print(State.get("mem"))');
    assertEquals(b.stdout, "nil\n");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("State: a script that never touches State opens no database", async () => {
  const home = await tempDir();
  try {
    const r = await cli(["exec", "print(1)"], { cwd: home, env: { LLMSPELL_HOME: home } });
    assertEquals(r.stdout, "1\n");
    let made = true;
    try {
      await Deno.stat(`${home}/data/llmspell.db`);
    } catch {
      made = false;
    }
    assert(!made, "exec print(1) created the database");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
