/**
 * A second, independent OpenAI-compatible server: npm:@dwmkerr/mock-llm (Express on Node's
 * http, run here by Deno's npm support). It echoes the user's message; its streaming sends the
 * answer in chunks of `chunkSize` characters. It runs from Deno's npm cache rather than
 * deno.json's imports: its dependencies bring @types/node 18, which would replace Deno's own
 * Node.js types (node:sqlite) when the project is type-checked.
 */
import { assertEquals } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("mock-llm: an agent's answer and a streamed answer in several chunks", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/mock-llm.yaml`,
    'streaming:\n  chunkSize: 4\n  chunkIntervalMs: 1\nrules:\n  - path: "/v1/chat/completions"\n    match: "@"\n    response:\n      status: 200\n      content: |\n        {"id": "chatcmpl-echo", "object": "chat.completion", "model": "{{jmes request body.model}}",\n         "choices": [{"message": {"role": "assistant", "content": "{{jmes request body.messages[-1].content}}"}, "finish_reason": "stop"}]}\n',
  );
  const port = freePort();
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "npm:@dwmkerr/mock-llm@0.1.29", "--config", `${dir}/mock-llm.yaml`],
    cwd: dir,
    env: { HOST: "127.0.0.1", PORT: String(port) },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = server.stdout.getReader();
    let out = "";
    while (!out.includes("server running")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`mock-llm ended: ${out}`);
      out += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    server.stdout.cancel().catch(() => {});
    await Deno.writeTextFile(
      `${dir}/s.lua`,
      `local a = Agent.builder():model("openai/gpt-4"):memory(0):build()
print(a:execute("Hello from llmspell").text)
local pieces = {}
local r = a:stream("streamed through mock-llm", function(p) pieces[#pieces + 1] = p end)
print(r.text, #pieces > 1)`,
    );
    const r = await cli(["run", "s.lua"], {
      cwd: dir,
      env: {
        OPENAI_API_KEY: "x",
        LLMSPELL_PROVIDERS_OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
      },
    });
    assertEquals(r.stderr, "");
    assertEquals(r.stdout, "Hello from llmspell\nstreamed through mock-llm\ttrue\n");
  } finally {
    server.kill();
    await server.status;
    await server.stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
