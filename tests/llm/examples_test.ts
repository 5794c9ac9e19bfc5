/**
 * examples/getting-started/ run as the README says, through the real CLI, against the
 * scripted servers (the same scripts work with a real API key).
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import {
  openaiStream,
  openaiText,
  openaiToolCalls,
  rateLimited,
  ScriptedServer,
} from "./servers.ts";

const DIR = new URL("../../examples/getting-started/", import.meta.url).pathname;

async function example(
  file: string,
  s: ScriptedServer,
  args: string[] = [],
  env: Record<string, string> = {},
) {
  const home = await tempDir();
  try {
    return await cli(["run", DIR + file, ...args], {
      cwd: home,
      env: { OPENAI_API_KEY: "sk-test", LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1", ...env },
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("getting started: hello and first tool run with no server", async () => {
  const s = new ScriptedServer();
  try {
    const hello = await example("01_hello.lua", s, ["--", "--name", "Ada"]);
    assertEquals(hello.stderr, "");
    assertEquals(hello.stdout.split("\n")[0], "Hello, Ada!");
    const tool = await example("02_first_tool.lua", s);
    assertEquals(tool.stderr, "");
    const lines = tool.stdout.split("\n");
    assertEquals(lines.slice(0, 2), ["98", "4"]);
    assert(lines[2].startsWith("false\ttool 'word_count': invalid parameters: text:"), lines[2]);
    assertEquals(s.requests.length, 0);
  } finally {
    await s.close();
  }
});

Deno.test("getting started: first agent, streaming, tool calling, errors", async () => {
  const s = new ScriptedServer().script(
    openaiText("Lua is a small scripting language.", { prompt: 20, completion: 8 }),
    openaiStream(["Waves ", "fold ", "on sand"]),
    openaiToolCalls([{ name: "get_temperature", arguments: { city: "Oslo" } }]),
    openaiToolCalls([{ name: "calculator", arguments: { expression: "4 * 9 / 5 + 32" } }]),
    openaiText("It is 39.2 °F in Oslo."),
    rateLimited(0),
  );
  try {
    const agent = await example("03_first_agent.lua", s);
    assertEquals(agent.stderr, "");
    assertEquals(
      agent.stdout,
      "Lua is a small scripting language.\n20 tokens in, 8 out, $0.000008\n",
    );
    const stream = await example("04_streaming.lua", s);
    assertEquals(stream.stdout, "Waves fold on sand\n(3 tokens)\n");
    const tools = await example("05_tool_calling.lua", s);
    assertEquals(tools.stderr, "");
    assertEquals(
      tools.stdout,
      'called get_temperature {"city":"Oslo"}\ncalled calculator {"expression":"4 * 9 / 5 + 32"}\nIt is 39.2 °F in Oslo.\n',
    );
    assertEquals(JSON.parse(s.requests[4].body.messages.at(-1).content), {
      result: 39.2,
      expression: "4 * 9 / 5 + 32",
    });
    const errors = await example("06_errors.lua", s, [], {
      LLMSPELL_PROVIDERS_OPENAI_MAX_RETRIES: "0",
    });
    assertEquals(errors.stderr, "");
    assertEquals(errors.stdout, "slow down: openai: HTTP 429: Rate limit reached\nconfig\n");
  } finally {
    await s.close();
  }
});

Deno.test("getting started: a workflow fans out to three agents, then a tool and a function", async () => {
  const echo = (body: { messages: { role: string; content: string }[] }) =>
    openaiText(`said: ${body.messages.at(-1)!.content}`);
  const s = new ScriptedServer().script(echo, echo, echo);
  try {
    const r = await example("07_workflow.lua", s);
    assertEquals(r.stderr, "");
    assertEquals(
      r.stdout,
      "said: Lua in one sentence?\nsaid: Python in one sentence?\nsaid: Rust in one sentence?\n" +
        "SAID: LUA IN ONE SENTENCE?\nsuccess: true\n",
    );
    assertEquals(s.requests.length, 3);
  } finally {
    await s.close();
  }
});

Deno.test("getting started: hooks refuse a tool call, shape the prompt and log usage", async () => {
  const s = new ScriptedServer().script(
    openaiToolCalls([
      { id: "c1", name: "calculator", arguments: { expression: "6 * 7" } },
      {
        id: "c2",
        name: "file_operations",
        arguments: { operation: "write", path: "answer.txt", content: "42" },
      },
    ]),
    openaiText("It is 42, but I may not save it."),
  );
  const home = await tempDir();
  try {
    const r = await cli(["run", DIR + "08_hooks.lua"], {
      cwd: home,
      env: { OPENAI_API_KEY: "sk-test", LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1" },
    });
    assertEquals(r.stderr, "");
    assertEquals(
      r.stdout,
      "[clerk: 30 tokens in, 15 out]\n" +
        "It is 42, but I may not save it.\n" +
        "calculator\tok\n" +
        "file_operations\tBeforeToolExecution hook 'read-only' cancelled tool 'file_operations': " +
        "this agent may only read files\n" +
        "BeforeAgentExecution\thouse-style\tnormal\n" +
        "AfterAgentExecution\tusage-log\tlowest\n" +
        "BeforeToolExecution\tread-only\thighest\n",
    );
    // The prompt the model got carries the house style; the file was never written.
    assertEquals(
      s.requests[0].body.messages.at(-1).content,
      "Work out 6 * 7 and save it to answer.txt.\nAnswer in one sentence.",
    );
    const tools = s.requests[1].body.messages.filter((m: { role: string }) => m.role === "tool");
    assertEquals(tools.length, 2);
    assertEquals(await Deno.stat(`${home}/answer.txt`).then(() => true, () => false), false);
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});
