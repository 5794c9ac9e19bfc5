/**
 * The Tool global and the built-in tools through the real CLI: `llmspell tool list | info |
 * invoke` and scripts (`run`), schema validation, the sandbox of file_operations, the hosts
 * of http_request.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, invokeTool as invoke, tempDir } from "../helpers/cli.ts";
import { ScriptedServer } from "./servers.ts";

Deno.test("tool list, info and invoke; --output json", async () => {
  const list = await cli(["tool", "list", "--output", "json"]);
  assertEquals(list.code, 0);
  const names = JSON.parse(list.stdout).map((t: { name: string }) => t.name);
  for (
    const n of [
      "calculator",
      "hash_calculator",
      "uuid_generator",
      "base64_encoder",
      "date_time_handler",
      "json_processor",
      "text_manipulator",
      "file_operations",
      "http_request",
      "template_engine",
      "diff_calculator",
      "csv_analyzer",
      "environment_reader",
    ]
  ) assert(names.includes(n), n);
  const info = await cli(["tool", "info", "calculator", "--output", "json"]);
  assertEquals(JSON.parse(info.stdout).parameters.required, ["expression"]);
  const missing = await cli(["tool", "info", "nope"]);
  assertEquals(missing.code, 1);
  assertEquals(
    missing.stderr,
    "error: no tool named 'nope'\nhint: llmspell tool list shows them\n",
  );
});

Deno.test("built-in tools give their results", async () => {
  assertEquals(
    (await invoke("calculator", { expression: "2 * (3 + 4) ^ 2 + sqrt(x)", variables: { x: 16 } }))
      .json.result,
    102,
  );
  const notCode = await invoke("calculator", {
    expression: "constructor.constructor('return 1')()",
  });
  assertEquals(notCode.code, 1);
  assertEquals(
    (await invoke("hash_calculator", { input: "abc", algorithm: "md5" })).json.hash,
    "900150983cd24fb0d6963f7d28e17f72",
  );
  assert(/^[0-9a-f-]{36}$/.test((await invoke("uuid_generator", { version: 7 })).json.uuid));
  assertEquals(
    (await invoke("uuid_generator", { version: 5, name: "llmspell", namespace: "dns" })).json.uuid,
    (await invoke("uuid_generator", { version: 5, name: "llmspell", namespace: "dns" })).json.uuid,
  );
  assertEquals(
    (await invoke("base64_encoder", { operation: "encode", input: "héllo" })).json.result,
    "aMOpbGxv",
  );
  assertEquals(
    (await invoke("base64_encoder", { operation: "decode", input: "aMOpbGxv" })).json.result,
    "héllo",
  );
  assertEquals(
    (await invoke("date_time_handler", {
      operation: "add",
      date: "2024-01-31T00:00:00Z",
      amount: 1,
      unit: "day",
      utc: true,
    })).json.iso,
    "2024-02-01T00:00:00.000Z",
  );
  assertEquals(
    (await invoke("date_time_handler", {
      operation: "diff",
      date: "2024-03-01",
      other: "2024-02-01",
      unit: "day",
    })).json.result,
    29,
  );
  assertEquals(
    (await invoke("json_processor", {
      input: '{"books": [{"a": "x"}, {"a": "y"}]}',
      query: "$.books[*].a",
    })).json.result,
    ["x", "y"],
  );
  assertEquals(
    (await invoke("text_manipulator", { operation: "snake_case", text: "Hello Big World" })).json
      .result,
    "hello_big_world",
  );
  assertEquals(
    (await invoke("template_engine", { template: "Hi {{name}}!", values: { name: "Ada" } })).json
      .result,
    "Hi Ada!",
  );
  assert(
    (await invoke("diff_calculator", { old: "a\nb\n", new: "a\nc\n" })).json.result.includes(
      "-b\n+c",
    ),
  );
  const csv = (await invoke("csv_analyzer", { input: "name,age\nAda,36\nAlan,41\n" })).json;
  assertEquals([csv.row_count, csv.stats.age.max, csv.stats.age.mean], [2, 41, 38.5]);
  const env = await invoke("environment_reader", { prefix: "LLMT_" }, {
    env: { LLMT_A: "1", LLMT_API_KEY: "secret" },
  });
  assertEquals(env.json.variables, { LLMT_A: "1" });
});

Deno.test("parameters are checked against the schema with one clear error", async () => {
  const r = await invoke("calculator", { expr: 1 });
  assertEquals(r.code, 1);
  assertEquals(
    r.stderr,
    "error: tool 'calculator': invalid parameters: missing required parameter 'expression'; unknown parameter 'expr'\nhint: llmspell tool info calculator shows its parameters\n",
  );
  const bad = await cli(["tool", "invoke", "calculator", "{nope"]);
  assertEquals(bad.code, 2);
});

Deno.test("file_operations stays inside the allowed paths in safe mode", async () => {
  const home = await tempDir();
  try {
    const w = await invoke("file_operations", {
      operation: "write",
      path: "notes.txt",
      content: "hi",
    }, { cwd: home });
    assertEquals(w.code, 0, w.stderr);
    assertEquals(
      (await invoke("file_operations", { operation: "read", path: "notes.txt" }, { cwd: home }))
        .json.content,
      "hi",
    );
    const out = await invoke("file_operations", { operation: "read", path: "/etc/hostname" }, {
      cwd: home,
    });
    assertEquals(out.code, 1);
    assert(out.stderr.includes("outside the allowed paths"), out.stderr);
    const unrestricted = await invoke("file_operations", {
      operation: "exists",
      path: "/etc/hostname",
    }, {
      cwd: home,
      env: { LLMSPELL_ENGINES_LUA_SECURITY_LEVEL: "unrestricted" },
    });
    assertEquals(unrestricted.json.exists, true);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("http_request: a request to a local server; blocked and unlisted hosts are refused", async () => {
  const s = new ScriptedServer().script({ json: { pong: true } });
  const home = await tempDir();
  try {
    const ok = await invoke("http_request", {
      url: s.url + "/ping",
      method: "POST",
      body: { a: 1 },
    }, { cwd: home });
    assertEquals(ok.json.status, 200);
    assertEquals(ok.json.json, { pong: true });
    assertEquals(s.requests[0].body, { a: 1 });
    await Deno.writeTextFile(
      `${home}/llmspell.toml`,
      '[tools.http_request]\nallowed_hosts = ["example.org"]\n',
    );
    const refused = await invoke("http_request", { url: s.url + "/ping" }, { cwd: home });
    assertEquals(refused.code, 1);
    assert(refused.stderr.includes("127.0.0.1 is not allowed"), refused.stderr);
    await Deno.writeTextFile(
      `${home}/llmspell.toml`,
      '[tools.http_request]\nblocked_hosts = ["127.0.0.1"]\n',
    );
    assertEquals((await invoke("http_request", { url: s.url + "/ping" }, { cwd: home })).code, 1);
    assertEquals(s.requests.length, 1);
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("Tool in a script: register, invoke with validation, the Tool.<name> shortcut, discover", async () => {
  const home = await tempDir();
  try {
    await Deno.writeTextFile(
      `${home}/t.lua`,
      `Tool.register("greet", {
  description = "Greets someone", category = "social",
  parameters = {type = "object", properties = {name = {type = "string"}}, required = {"name"}},
  execute = function(p) return "hello " .. p.name end,
})
print(Tool.invoke("greet", {name = "Ada"}), Tool.greet{name = "Bob"}, Tool.exists("greet"), Tool.exists("nope"))
print(pcall(Tool.invoke, "greet", {name = 3}))
print(Tool.calculator{expression = "1 + 2"}.result, Tool.get("greet").source, Tool.get("calculator").category)
local found = Tool.discover{category = "social"}
print(#found, found[1].name, Tool.nope)
print(pcall(Tool.register, "calculator", {execute = print}))`,
    );
    const r = await cli(["run", "t.lua"], { cwd: home });
    assertEquals(r.stderr, "");
    assertEquals(
      r.stdout,
      "hello Ada\thello Bob\ttrue\tfalse\n" +
        `false\ttool 'greet': invalid parameters: name: type "number" is invalid. Expected "string"\n` +
        "3\tlua\tutility\n" +
        "1\tgreet\tnil\n" +
        "false\tTool.register: 'calculator' is a built-in tool\n",
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a tool's error names the script's line that called it, and no line of llmspell's own (a workflow's tool step)", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/t.lua`,
      `local ok, e = pcall(function()
  local r = Tool.invoke("calculator", {expression = "1 +"})
  return r
end)
print(e)
local wf = Workflow.sequential{name = "w", on_error = "continue",
  steps = {{name = "calc", tool = "calculator", input = {expression = "1 +"}}}}
print(wf:execute().errors[1].error)
Tool.calculator{expression = "2 +"}
`,
    );
    const r = await cli(["run", "t.lua"], { cwd: dir });
    assertEquals(r.code, 1);
    assertEquals(
      r.stdout,
      "t.lua:2: calculator: Expected expression after + at character 3\n" +
        "calculator: Expected expression after + at character 3\n",
    );
    assert(
      r.stderr.startsWith(
        "error: t.lua:9: calculator: Expected expression after + at character 3\n",
      ),
      r.stderr,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
