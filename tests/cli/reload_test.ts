/**
 * Hot reload through the real CLI: `reload("mod")` in a script, `.reload mod` in the REPL,
 * `reload` on a kernel that holds objects from the module (cells from `exec --connect`), and
 * `run --watch` re-running on edits of the script and of a required module, keeping State,
 * surviving errors, ending on Ctrl+C.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli, cliCommand, tempDir } from "../helpers/cli.ts";
import { startKernel } from "../kernel/helpers.ts";

/** A module with data (a counter upvalue, a table field), a local class and an exported one. */
const MOD_V1 = `local M = {}
local created = 0
local Account = {}
Account.__index = Account
function M.new(name)
  created = created + 1
  return setmetatable({ name = name, balance = 0 }, Account)
end
function Account:describe() return "v1 " .. self.name .. " " .. self.balance end
function M.created() return created end
M.settings = { rate = 1 }
return M
`;
const MOD_V2 = MOD_V1.replace('"v1 "', '"v2 "')
  .replace("M.settings = { rate = 1 }", "M.settings = { rate = 2, fresh = true }")
  .replace("return M\n", 'function M.added() return "added" end\nreturn M\n');

Deno.test("reload(): new functions in place, data and upvalues kept, a failed reload keeps the old module", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/mod.lua`, MOD_V1);
    await Deno.writeFile(
      `${dir}/v2.txt`,
      new TextEncoder().encode(MOD_V2),
    );
    await Deno.writeTextFile(
      `${dir}/main.lua`,
      `local m = require("mod")
local a = m.new("ada")
a.balance = 5
print(a:describe(), m.created())
local function put(text) local f = io.open("mod.lua", "w") f:write(text) f:close() end
local f = io.open("v2.txt") local v2 = f:read("a") f:close()
put(v2)
local same = reload("mod")
print(same == m, same == require("mod"), a:describe(), m.created())
print(m.new("bob"):describe(), m.created(), m.settings.rate, m.settings.fresh, m.added())
put("return {")
local ok, err = pcall(reload, "mod")
print(ok, (err:gsub("\\n.*", "")))
print(a:describe(), m.added())
print(pcall(reload, 42))
print(reload("fresh").value)
`,
    );
    await Deno.writeTextFile(`${dir}/fresh.lua`, "return { value = 'first load' }\n");
    const r = await cli(["run", "main.lua"], { cwd: dir });
    assertEquals(r.stderr, "");
    assertEquals(r.stdout.split("\n"), [
      "v1 ada 5\t1",
      "true\ttrue\tv2 ada 5\t1",
      "v2 bob 0\t2\t1\ttrue\tadded",
      `false\terror loading module 'mod' from file '${dir}/mod.lua':`,
      "v2 ada 5\tadded",
      "false\tbad argument #1 to 'reload' (string expected, got number)",
      "first load",
      "",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repl: .reload MOD patches the loaded module; objects made before use the new code", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/mod.lua`, MOD_V1);
    await Deno.writeTextFile(`${dir}/v2.txt`, MOD_V2);
    const r = await cli(["repl"], {
      cwd: dir,
      stdin: [
        'm = require("mod"); obj = m.new("ada")',
        "obj:describe()",
        'f = io.open("v2.txt"); src = f:read("a"); f:close()',
        'f = io.open("mod.lua", "w"); f:write(src); f:close()',
        ".reload mod",
        "obj:describe()",
        "m.created()",
        ".reload nosuchmod",
        ".reload",
      ].join("\n") + "\n",
    });
    assertEquals(r.stdout, "v1 ada 0\nv2 ada 0\n1\n");
    assertStringIncludes(r.stderr, "reloaded mod\n");
    assertStringIncludes(r.stderr, "module 'nosuchmod' not found");
    assertStringIncludes(r.stderr, "usage: .reload MODULE");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kernel: reload() while cells hold objects from the module: new code, same data", async () => {
  const k = await startKernel();
  try {
    await Deno.writeTextFile(`${k.home}/mod.lua`, MOD_V1);
    const opts = { cwd: k.home, env: { LLMSPELL_HOME: k.home } };
    const cell = (code: string) => cli(["exec", "--connect", k.id, code], opts);
    assertEquals(
      (await cell('m = require("mod"); obj = m.new("ada"); obj.balance = 7; return obj:describe()'))
        .stdout,
      "v1 ada 7\n",
    );
    await Deno.writeTextFile(`${k.home}/mod.lua`, MOD_V2);
    assertEquals((await cell("return obj:describe()")).stdout, "v1 ada 7\n");
    const r = await cell('reload("mod"); return obj:describe(), m.created(), m.added()');
    assertEquals(r, { code: 0, stdout: "v2 ada 7\t1\tadded\n", stderr: "" });
  } finally {
    await k.stop();
  }
});

/** Collects a stream's text and waits for what the test expects to appear in it. */
class Collected {
  text = "";
  #waiters: (() => void)[] = [];
  constructor(stream: ReadableStream<Uint8Array>) {
    (async () => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        this.text += chunk;
        for (const w of this.#waiters.splice(0)) w();
      }
      for (const w of this.#waiters.splice(0)) w();
    })();
  }
  /**
   * Waits until `pattern` occurs `times` times in the text so far. The 60 s limit is only a
   * safety net that turns a hang into a failure showing what came.
   */
  async waitFor(pattern: string, times = 1): Promise<void> {
    const count = () => this.text.split(pattern).length - 1;
    const deadline = Date.now() + 60_000;
    while (count() < times) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((r) => this.#waiters.push(r)),
        new Promise<void>((r) => timer = setTimeout(r, Math.max(0, deadline - Date.now()))),
      ]);
      clearTimeout(timer);
      if (count() < times && Date.now() >= deadline) {
        throw new Error(
          `${JSON.stringify(pattern)} ×${times} never came; got ${JSON.stringify(this.text)}`,
        );
      }
    }
  }
}

Deno.test("run --watch: reruns on edits of the script and of a required module, keeps State, survives errors, Ctrl+C ends it", async () => {
  const dir = await tempDir();
  const child = cliCommand(["run", "--watch", "main.lua"], { cwd: dir });
  await Deno.writeTextFile(`${dir}/helper.lua`, 'return { word = "one" }\n');
  await Deno.writeTextFile(`${dir}/unrelated.lua`, "return 1\n");
  await Deno.writeTextFile(
    `${dir}/main.lua`,
    'local h = require("helper")\nprint("run", State.increment("runs"), h.word)\n',
  );
  const proc = child.spawn();
  const out = new Collected(proc.stdout);
  const err = new Collected(proc.stderr);
  try {
    await err.waitFor("watching 2 file(s)");
    assertEquals(out.text, "run\t1\tone\n");

    await Deno.writeTextFile(`${dir}/helper.lua`, 'return { word = "two" }\n');
    await err.waitFor("watching 2 file(s)", 2);
    assertStringIncludes(err.text, "[watch] helper.lua changed; running again\n");
    assertEquals(out.text, "run\t1\tone\nrun\t2\ttwo\n");

    // A syntax error is shown and the watch goes on.
    await Deno.writeTextFile(`${dir}/main.lua`, "print(\n");
    await err.waitFor("[watch] exit 1;");
    assertStringIncludes(err.text, "main.lua:2: unexpected symbol near <eof>");

    // A file the script does not require does not rerun it; the next real edit does.
    await Deno.writeTextFile(`${dir}/unrelated.lua`, "return 2\n");
    await Deno.writeTextFile(
      `${dir}/main.lua`,
      'local h = require("helper")\nprint("fixed", State.increment("runs"), h.word)\n',
    );
    await err.waitFor("watching 2 file(s)", 3);
    assertEquals(out.text, "run\t1\tone\nrun\t2\ttwo\nfixed\t3\ttwo\n");
    assertEquals(err.text.includes("unrelated.lua"), false, err.text);

    // A run that never ends is interrupted by the next edit.
    await Deno.writeTextFile(`${dir}/main.lua`, 'print("looping")\nwhile true do end\n');
    await out.waitFor("looping\n");
    await Deno.writeTextFile(`${dir}/main.lua`, 'print("after loop")\n');
    await out.waitFor("after loop\n");
    await err.waitFor("watching 1 file(s)");

    proc.kill("SIGINT");
    const status = await proc.status;
    assertEquals(status.code, 130);
  } finally {
    try {
      proc.kill("SIGKILL");
    } catch {
      // ended
    }
    await proc.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run --watch: stdin and --connect are usage errors", async () => {
  const stdin = await cli(["run", "--watch", "-"], { stdin: "print(1)" });
  assertEquals(stdin.code, 2);
  assertEquals(
    stdin.stderr,
    "error: --watch needs a script file: stdin cannot be watched\nhint: llmspell run --watch script.lua\n",
  );
  const connect = await cli(["run", "--watch", "--connect", "x", "a.lua"]);
  assertEquals(connect.code, 2);
  assert(connect.stderr.includes("cannot be combined with --connect"), connect.stderr);
});
