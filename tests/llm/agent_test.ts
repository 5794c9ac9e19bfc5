/**
 * Agent, Provider, JSON and Tool through the real CLI (`llmspell run`) against the scripted
 * servers over HTTP on 127.0.0.1.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, cliCommand, tempDir } from "../helpers/cli.ts";
import {
  anthropicStream,
  anthropicText,
  anthropicToolUse,
  malformed,
  openaiStream,
  openaiText,
  openaiToolCalls,
  rateLimited,
  ScriptedServer,
  serverError,
  unauthorized,
} from "./servers.ts";

const KEY = "sk-test-never-shown-0123456789";

function envFor(s: ScriptedServer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPENAI_API_KEY: KEY,
    ANTHROPIC_API_KEY: KEY,
    LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1",
    LLMSPELL_PROVIDERS_ANTHROPIC_BASE_URL: s.url,
    ...extra,
  };
}

async function runLua(s: ScriptedServer, code: string, extra: Record<string, string> = {}) {
  const home = await tempDir();
  await Deno.writeTextFile(`${home}/script.lua`, code);
  const r = await cli(["run", "script.lua"], { cwd: home, env: envFor(s, extra) });
  await Deno.remove(home, { recursive: true });
  return r;
}

Deno.test("an agent with two Lua tools and one built-in tool completes a multi-step tool loop", async () => {
  const s = new ScriptedServer().script(
    // Turn 1: two calls at once (a Lua tool and the built-in calculator).
    openaiToolCalls([
      { id: "c1", name: "get_weather", arguments: { city: "Paris" } },
      { id: "c2", name: "calculator", arguments: { expression: "21 * 2" } },
    ]),
    // Turn 2: the other Lua tool, with what turn 1 returned.
    (body) => {
      const results = body.messages.filter((m: { role: string }) => m.role === "tool");
      assertEquals(results.map((m: { content: string }) => JSON.parse(m.content)), [
        { city: "Paris", sky: "sunny" },
        { expression: "21 * 2", result: 42 },
      ]);
      return openaiToolCalls([{ id: "c3", name: "shout", arguments: { text: "sunny" } }]);
    },
    openaiText("Paris is SUNNY, 42."),
  );
  try {
    const r = await runLua(
      s,
      `
Tool.register("get_weather", {
  description = "Weather of a city",
  parameters = {type = "object", properties = {city = {type = "string"}}, required = {"city"}},
  execute = function(p) return {city = p.city, sky = "sunny"} end,
})
Tool.register("shout", {
  description = "Upper-cases a text",
  parameters = {type = "object", properties = {text = {type = "string"}}, required = {"text"}},
  execute = function(p) return p.text:upper() end,
})
local agent = Agent.builder()
  :name("weather")
  :model("openai/gpt-4o-mini")
  :system_prompt("You report the weather.")
  :tools({"get_weather", "shout", "calculator"})
  :build()
local r = agent:execute("Weather in Paris?")
print(r.text)
local c = r.tool_calls
print(c[1].name, c[1].result.sky, c[2].name, c[2].result.result, c[3].name, c[3].result)
print(r.usage.input_tokens, r.usage.output_tokens, r.model, type(r.duration_ms))
`,
    );
    assertEquals(r.stderr, "");
    assertEquals(r.code, 0);
    assertEquals(
      r.stdout,
      "Paris is SUNNY, 42.\n" +
        "get_weather\tsunny\tcalculator\t42\tshout\tSUNNY\n" +
        "50\t25\tgpt-4o-mini\tnumber\n",
    );
    assertEquals(s.requests.length, 3);
    const tools = s.requests[0].body.tools.map((t: { function: { name: string } }) =>
      t.function.name
    );
    assertEquals(tools, ["get_weather", "shout", "calculator"]);
    assertEquals(s.requests[0].body.messages[0], {
      role: "system",
      content: "You report the weather.",
    });
  } finally {
    await s.close();
  }
});

Deno.test("a streamed answer appears on run's stdout token by token", async () => {
  const tokens = ["Once", " upon", " a", " time"];
  const s = new ScriptedServer().script(openaiStream(tokens, { gated: true }));
  const home = await tempDir();
  try {
    await Deno.writeTextFile(
      `${home}/s.lua`,
      `local a = Agent.builder():model("openai/gpt-4o-mini"):build()
local r = a:stream("story", function(piece) io.write(piece, "|") end)
print() print(r.text, r.usage.output_tokens)`,
    );
    const child = cliCommand(["run", "s.lua"], { cwd: home, env: envFor(s) }).spawn();
    const reader = child.stdout.getReader();
    const dec = new TextDecoder();
    let out = "";
    // Each token must be on stdout before the server sends the next one.
    for (let i = 0; i < tokens.length; i++) {
      const want = tokens.slice(0, i + 1).join("|") + "|";
      while (!out.includes(want)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stdout ended at ${JSON.stringify(out)}`);
        out += dec.decode(value, { stream: true });
      }
      // Until the last token, nothing more can come before the release.
      if (i < tokens.length - 1) assertEquals(out, want, "nothing beyond the tokens sent so far");
      s.release();
    }
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += dec.decode(value, { stream: true });
    }
    const status = await child.status;
    await child.stderr.cancel();
    assertEquals(status.code, 0);
    assertEquals(out, "Once| upon| a| time|\nOnce upon a time\t4\n");
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a 429 is retried after the time Retry-After gives, then the answer is returned", async () => {
  const s = new ScriptedServer().script(rateLimited(1), openaiText("after the wait"));
  try {
    const r = await runLua(
      s,
      `print(Agent.builder():model("openai/gpt-4o-mini"):build():execute("x").text)`,
    );
    assertEquals(r.stdout, "after the wait\n");
    assertEquals(s.requests.length, 2);
    const gap = s.requests[1].at - s.requests[0].at;
    assert(gap >= 990 && gap < 5000, `retried ${gap} ms after a Retry-After of 1 s`);
  } finally {
    await s.close();
  }
});

Deno.test("provider failures are Lua errors with a code and a message; the key never appears", async () => {
  const s = new ScriptedServer().script(
    unauthorized(),
    rateLimited(0),
    serverError(503),
    malformed(),
    openaiStream(["slow"], { hang: true }),
  );
  try {
    const r = await runLua(
      s,
      `
local a = Agent.builder():model("openai/gpt-4o-mini"):build()
for i = 1, 5 do
  local ok, e = pcall(function()
    if i == 5 then return a:stream("x", function() end) end
    return a:execute("x")
  end)
  print(ok, e.code, getmetatable(e) == Agent.Error, tostring(e):sub(1, #e.code + 1))
end
local ok, e = pcall(Agent.builder():model("nowhere/m"):build().execute, Agent.get("agent_2"), "x")
print(e.code)
`,
      { LLMSPELL_PROVIDERS_OPENAI_MAX_RETRIES: "0", LLMSPELL_PROVIDERS_OPENAI_TIMEOUT_MS: "500" },
    );
    assertEquals(r.stderr, "");
    assertEquals(
      r.stdout,
      "false\tauth\ttrue\tauth:\n" +
        "false\trate_limited\ttrue\trate_limited:\n" +
        "false\tprovider_unavailable\ttrue\tprovider_unavailable:\n" +
        "false\tinvalid_response\ttrue\tinvalid_response:\n" +
        "false\ttimeout\ttrue\ttimeout:\n" +
        "config\n",
    );
    assert(!r.stdout.includes(KEY) && !r.stderr.includes(KEY));
  } finally {
    await s.close();
  }
});

Deno.test("an uncaught provider error ends the run with its code and message on stderr", async () => {
  const s = new ScriptedServer().script(unauthorized());
  try {
    const r = await runLua(s, `Agent.builder():model("openai/gpt-4o-mini"):build():execute("x")`, {
      LLMSPELL_PROVIDERS_OPENAI_MAX_RETRIES: "0",
    });
    assertEquals(r.code, 1);
    assert(
      r.stderr.startsWith("error: auth: openai: HTTP 401: Incorrect API key provided"),
      r.stderr,
    );
    assert(!r.stderr.includes(KEY));
  } finally {
    await s.close();
  }
});

Deno.test("anthropic: an agent streams, calls a tool, answers; memory, history, reset, structured data", async () => {
  const s = new ScriptedServer().script(
    anthropicStream(["Let me ", "check."], {
      calls: [{ id: "t1", name: "shout", arguments: { text: "hi" } }],
    }),
    anthropicStream(["Done: HI"]),
    anthropicText("I remember."),
    anthropicToolUse([{ name: "structured_answer", arguments: { city: "Oslo", temp: 3 } }]),
  );
  try {
    const r = await runLua(
      s,
      `
Tool.register("shout", {
  description = "Upper-cases", parameters = {type = "object", properties = {text = {type = "string"}}},
  execute = function(p) return p.text:upper() end,
})
local a = Agent.register{name = "claude", model = "anthropic/claude-haiku-4-5", tools = {"shout"}, memory = 5}
local pieces = {}
local r = a:stream("shout hi", function(p) pieces[#pieces + 1] = p end)
-- Pieces that arrive together may come as one (token-by-token delivery is the gated test's):
-- the text of both turns, in order, from at least one piece per turn.
print(table.concat(pieces), #pieces >= 2, r.text, r.tool_calls[1].result, r.usage.input_tokens, r.usage.output_tokens)
print(a:execute("and now?").text, #a:history())
a:reset()
print(#a:history(), Agent.get("claude") == a, Agent.list()[1])
local s = Agent.builder():model("anthropic/claude-haiku-4-5")
  :response_format({type = "object", properties = {city = {type = "string"}, temp = {type = "integer"}}})
  :memory(0):build()
local d = s:execute("weather as JSON").data
print(d.city, d.temp, math.type(d.temp), #s:history())
`,
    );
    assertEquals(r.stderr, "");
    assertEquals(
      r.stdout,
      "Let me check.Done: HI\ttrue\tDone: HI\tHI\t50\t11\n" +
        "I remember.\t6\n" +
        "0\ttrue\tclaude\n" +
        "Oslo\t3\tinteger\t0\n",
    );
    // The second turn of the stream carried the tool result; the third the whole memory.
    assertEquals(s.requests[1].body.messages[2].content[0], {
      type: "tool_result",
      tool_use_id: "t1",
      content: "HI",
    });
    assertEquals(s.requests[2].body.messages.length, 5);
    assertEquals(s.requests[3].body.tool_choice, { type: "tool", name: "structured_answer" });
  } finally {
    await s.close();
  }
});

Deno.test("max_tool_calls: once reached, the model is asked without tools and must answer", async () => {
  const s = new ScriptedServer().script(
    openaiToolCalls([{ name: "calculator", arguments: { expression: "1+1" } }]),
    openaiToolCalls([{ name: "calculator", arguments: { expression: "2+2" } }]),
    openaiText("enough"),
  );
  try {
    const r = await runLua(
      s,
      `local a = Agent.builder():model("openai/gpt-4o-mini"):tools{"calculator"}:max_tool_calls(2):build()
local r = a:execute("go") print(r.text, #r.tool_calls)`,
    );
    assertEquals(r.stdout, "enough\t2\n");
    assert(s.requests[1].body.tools !== undefined);
    assertEquals(s.requests[2].body.tools, undefined);
  } finally {
    await s.close();
  }
});

Deno.test("Provider.list and Provider.get show providers without their keys; config show masks api_key", async () => {
  const s = new ScriptedServer();
  try {
    const r = await runLua(
      s,
      `print(table.concat(Provider.list(), ","))
local p = Provider.get("openai")
print(p.provider_type, p.base_url, p.default_model, p.capabilities.streaming, p.api_key)
print(Provider.get("nope"))`,
      { LLMSPELL_PROVIDERS_LOCAL_PROVIDER_TYPE: "ollama" },
    );
    assertEquals(r.stderr, "");
    assertEquals(
      r.stdout,
      `anthropic,local,ollama,openai\nopenai\t${s.url}/v1\tgpt-4o-mini\ttrue\tnil\nnil\n`,
    );
    const home = await tempDir();
    const shown = await cli(["config", "show", "providers"], {
      cwd: home,
      env: { LLMSPELL_PROVIDERS_OPENAI_API_KEY: KEY },
    });
    assert(!shown.stdout.includes(KEY), shown.stdout);
    assert(shown.stdout.includes("api_key"), shown.stdout);
    await Deno.remove(home, { recursive: true });
  } finally {
    await s.close();
  }
});

Deno.test("JSON.parse and JSON.stringify: integers, floats, nested tables, errors", async () => {
  const s = new ScriptedServer();
  try {
    const r = await runLua(
      s,
      `local v = JSON.parse('{"a": [1, 2.5, "x"], "b": {"c": true}}')
print(math.type(v.a[1]), v.a[2], v.a[3], v.b.c)
print(JSON.stringify({1, 2, {x = "y"}}), JSON.stringify({}), JSON.stringify("q\\""))
print(pcall(JSON.parse, "{oops"))`,
    );
    assertEquals(r.stderr, "");
    const lines = r.stdout.split("\n");
    assertEquals(lines[0], "integer\t2.5\tx\ttrue");
    assertEquals(lines[1], '[1,2,{"x":"y"}]\t{}\t"q\\""');
    assert(lines[2].startsWith("false\tscript.lua:4: JSON.parse:"), lines[2]);
  } finally {
    await s.close();
  }
});
