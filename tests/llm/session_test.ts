/**
 * LLM and tool calls in the session record, through the real CLI against the scripted
 * OpenAI server: `session show` prints them readably in order with the other outside
 * calls; `session replay` answers them from the record with the server stopped (no
 * network) and finds the run's output unchanged; a changed prompt diverges at the step of
 * its model call; `--live` calls a server again and shows where its answer differs.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, cliCommand, readUntil, tempDir } from "../helpers/cli.ts";
import {
  openaiStream,
  openaiText,
  openaiToolCalls,
  type Reply,
  ScriptedServer,
} from "./servers.ts";

const KEY = "sk-test-session-key-0123456789";

const SCRIPT = `Tool.register("get_weather", {
  description = "Weather of a city",
  parameters = {type = "object", properties = {city = {type = "string"}}, required = {"city"}},
  execute = function(p) return {city = p.city, sky = "sunny"} end,
})
State.set("asked", "Paris")
local agent = Agent.builder():model("openai/gpt-4o-mini"):system_prompt("Be brief.")
  :tools({"get_weather", "calculator"}):build()
local r = agent:execute("Weather in Paris?")
print(r.text, r.usage.input_tokens, r.usage.output_tokens, #r.tool_calls)
local s = agent:stream("A story?", function(piece) io.write("[", piece, "]") end)
print()
print(s.text)
`;

/** The server's replies for one run of SCRIPT; `answer` is the text of the tool loop's end. */
function replies(answer = "Paris is sunny, 42."): Reply[] {
  return [
    openaiToolCalls([
      { id: "c1", name: "get_weather", arguments: { city: "Paris" } },
      { id: "c2", name: "calculator", arguments: { expression: "21 * 2" } },
    ]),
    openaiText(answer),
    openaiStream(["Once", " upon", " a time."]),
  ];
}

Deno.test("session: LLM and tool calls are recorded, shown, replayed without the server, and diverge at the right step", async () => {
  const home = await tempDir();
  let server = new ScriptedServer().script(...replies());
  const env = () => ({
    OPENAI_API_KEY: KEY,
    LLMSPELL_PROVIDERS_OPENAI_BASE_URL: server.url + "/v1",
  });
  const run = (args: string[]) => cli(args, { cwd: home, env: { ...env(), LLMSPELL_HOME: home } });
  try {
    await Deno.writeTextFile(`${home}/agent.lua`, SCRIPT);
    const r = await run(["run", "agent.lua"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    const [answer, pieces, story, end] = r.stdout.split("\n");
    assertEquals([answer, story, end], ["Paris is sunny, 42.\t30\t15\t2", "Once upon a time.", ""]);
    // The callback gets the pieces as they come: those that arrive while Lua is busy come
    // joined into one (on a loaded machine, " upon" and " a time." may come as one piece).
    const got = [...pieces.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]);
    assertEquals(got.join(""), "Once upon a time.");
    assert(got.length >= 1 && got.length <= 3 && got[0].startsWith("Once"), pieces);
    assertEquals(server.requests.length, 3);
    const id = JSON.parse((await run(["session", "list", "--output", "json"])).stdout)[0].id;

    // The record, in order: the state write, the first model turn, the Lua tool, the
    // built-in tool, the second turn, the stream, then the execution itself.
    const exported = await run(["session", "export", id]);
    assertEquals(exported.code, 0, exported.stderr);
    assert(!exported.stdout.includes(KEY), "the key is not in the record");
    const records = JSON.parse(exported.stdout).records;
    assertEquals(
      records.map((x: { method?: string; kind: string }) => x.method ?? x.kind),
      [
        "state.set",
        "llm.chat",
        "tool.called",
        "tool.invoke",
        "llm.chat",
        "llm.stream",
        "execution",
      ],
    );
    const [, turn1, lua, builtin, turn2, stream] = records;
    // The request as Lua sent it (no key anywhere), the answer with usage, cost and timing.
    assertEquals(turn1.args[0].model, "openai/gpt-4o-mini");
    assertEquals(turn1.args[0].messages, [{ role: "user", content: "Weather in Paris?" }]);
    assertEquals(turn1.results[0], true);
    assertEquals(turn1.results[1].usage, { input_tokens: 20, output_tokens: 10 });
    assert(turn1.results[1].cost_usd > 0, "the answer's cost");
    assert(turn1.results[1].ended_ms >= turn1.results[1].started_ms, "the answer's timing");
    assertEquals(lua.args, ["get_weather", { city: "Paris" }, { city: "Paris", sky: "sunny" }]);
    assertEquals(builtin.args, ["calculator", { expression: "21 * 2" }]);
    assertEquals(builtin.results[0].result, 42);
    assertEquals(turn2.results[1].text, "Paris is sunny, 42.");
    // The pieces as the script's callback got them (joined the same way when Lua was busy).
    assertEquals(stream.results.slice(0, 2), [got, "done"]);
    assertEquals(stream.results[2].text, "Once upon a time.");

    const show = await run(["session", "show", id]);
    assertEquals(show.code, 0, show.stderr);
    const lines = show.stdout.split("\n").map((l) => l.replace(/^ +\d+ {2}[\d:.]+ {2}/, "@ "));
    const from = lines.findIndex((l) => l.startsWith("@ llm"));
    assertEquals(
      lines.slice(from, from + 14).map((l) => l.replace(/\(\d+ ms, /, "(T ms, ")),
      [
        "@ llm openai/gpt-4o-mini (T ms, 20 + 10 tokens, $0.000009)",
        "          system: Be brief.",
        "          user: Weather in Paris?",
        '          calls: get_weather({"city":"Paris"}), calculator({"expression":"21 * 2"})',
        '@ tool get_weather (Lua) {"city":"Paris"} -> {"city":"Paris","sky":"sunny"}',
        '@ tool calculator {"expression":"21 * 2"} -> {"expression":"21 * 2","result":42}',
        "@ llm openai/gpt-4o-mini (T ms, 10 + 5 tokens, $0.000005)",
        '          tool get_weather: {"city":"Paris","sky":"sunny"}',
        '          tool calculator: {"expression":"21 * 2","result":42}',
        "          assistant: Paris is sunny, 42.",
        // As many pieces as the callback got (joined when they came while Lua was busy).
        `@ llm openai/gpt-4o-mini (T ms, 10 + 3 tokens, $0.000003, streamed in ${got.length} pieces)`,
        "          user: A story?",
        "          assistant: Once upon a time.",
        "@ run agent.lua (" + lines[from + 13].split("(")[1],
      ],
    );

    // No server: every model call and tool result comes from the record.
    await server.close();
    const replayed = await run(["session", "replay", id, "--output", "json"]);
    assertEquals(replayed.code, 0, replayed.stderr);
    // The replay compares the run's output with the record's: it printed the same.
    assertEquals(JSON.parse(replayed.stdout), { session: id, executions: 1, divergences: [] });

    // A changed prompt diverges at the first model call (step 2), where it differs.
    await Deno.writeTextFile(
      `${home}/agent.lua`,
      SCRIPT.replace("Weather in Paris?", "Weather in Rome?"),
    );
    const changed = await run(["session", "replay", id]);
    assertEquals(changed.code, 1);
    assertMatch(changed.stderr, /diverges from the record at steps 2, /);
    assertEquals(changed.stdout.split("\n").slice(0, 3), [
      "step 2: the replay diverges (call)",
      '  recorded: llm.chat messages[1].content = "Weather in Paris?"',
      '  replayed: llm.chat messages[1].content = "Weather in Rome?"',
    ]);
    // The record cannot answer a prompt it does not have: the call fails (nothing is sent),
    // so the calls that followed it in the record are not made and nothing is printed.
    const all = JSON.parse((await run(["session", "replay", id, "--output", "json"])).stdout);
    assertEquals(
      all.divergences.map((d: { step: number; kind: string; actual: string }) =>
        `${d.step} ${d.kind}${d.kind === "call" ? ` ${d.actual}` : ""}`
      ),
      [
        '2 call llm.chat messages[1].content = "Weather in Rome?"',
        "3 call no call",
        "4 call no call",
        "5 call no call",
        "6 call no call",
        "7 output",
      ],
    );
    assertEquals(all.divergences[5].actual, 'stdout ""');

    // --live: a server again, whose second answer differs.
    await Deno.writeTextFile(`${home}/agent.lua`, SCRIPT);
    server = new ScriptedServer().script(...replies("Paris is rainy."));
    const live = await run(["session", "replay", id, "--live", "--output", "json"]);
    assertEquals(live.code, 1);
    const [first, ...rest] = JSON.parse(live.stdout).divergences;
    assertEquals(first, {
      step: 5,
      kind: "result",
      expected: 'text = "Paris is sunny, 42."',
      actual: 'text = "Paris is rainy."',
    });
    // The live answer went on: into the agent's memory, so the stream's request (step 6)
    // differs, and into the script's output.
    assertEquals(rest.map((d: { step: number; kind: string }) => [d.step, d.kind]), [
      [6, "call"],
      [7, "output"],
    ]);
    assertEquals(rest[0].actual, 'llm.stream messages[5].content = "Paris is rainy."');
    assertEquals(server.requests.length, 3, "every live call reached the server");
  } finally {
    await server.close().catch(() => {});
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("session: a stream cut by Ctrl+C stays in the record, shown as not ended", async () => {
  const home = await tempDir();
  const s = new ScriptedServer().script(openaiStream(["first"], { hang: true }));
  const env = {
    LLMSPELL_HOME: home,
    OPENAI_API_KEY: KEY,
    LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1",
  };
  try {
    await Deno.writeTextFile(
      `${home}/s.lua`,
      `Agent.builder():model("openai/gpt-4o-mini"):build():stream("go", function(p) io.write(p) end)`,
    );
    const child = cliCommand(["run", "s.lua"], { cwd: home, env }).spawn();
    await readUntil(child.stdout.getReader(), "first");
    child.kill("SIGINT");
    await child.status;
    await child.stderr.cancel();
    const id = JSON.parse(
      (await cli(["session", "list", "--output", "json"], { cwd: home, env }))
        .stdout,
    )[0].id;
    const show = await cli(["session", "show", id], { cwd: home, env });
    assertMatch(
      show.stdout,
      /llm openai\/gpt-4o-mini \(did not end: interrupted, streamed\)\n {10}user: go\n/,
    );
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});
