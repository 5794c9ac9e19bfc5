/**
 * LLM calls in a kernel, through jupyter_client: streamed tokens reach IOPub one by one as
 * they arrive, and interrupt_request ends the HTTP request and keeps the Lua state.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { driver, startKernel } from "../kernel/helpers.ts";
import { openaiStream, ScriptedServer } from "./servers.ts";

const DRIVER = new URL("./llm_driver.py", import.meta.url).pathname;

function env(s: ScriptedServer): Record<string, string> {
  return { OPENAI_API_KEY: "sk-test", LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1" };
}

Deno.test("kernel: a streamed answer reaches IOPub token by token, the result after it", async () => {
  const tokens = ["The", " quick", " brown", " fox"];
  const s = new ScriptedServer().script(openaiStream(tokens, { gated: true }));
  const k = await startKernel([], { env: env(s) });
  try {
    const r = await driver(["stream", k.connectionFile, s.url], {}, DRIVER);
    assertEquals(r.code, 0, r.stderr);
    // One stream message per token: the server sent each only after the last was seen.
    assertEquals(r.json, { pieces: tokens, result: "The quick brown fox", status: "ok" });
  } finally {
    await k.stop();
    await s.close();
  }
});

Deno.test("kernel: interrupt_request ends the streaming HTTP request and keeps the Lua state", async () => {
  const s = new ScriptedServer().script(openaiStream(["first"], { hang: true }));
  const k = await startKernel([], { env: env(s) });
  try {
    const r = await driver(["interrupt", k.connectionFile, s.url], {}, DRIVER);
    assertEquals(r.code, 0, r.stderr);
    const j = r.json as Record<string, string>;
    assertEquals(j.first, "first");
    assertEquals(j.interrupt_reply, "ok");
    assertEquals(j.status, "error");
    assert(String(j.evalue).includes("interrupted"), String(j.evalue));
    assertEquals(j.after, "42");
    // The server saw the client close the stream, soon after the interrupt was sent.
    const closed = await s.closed;
    const ms = closed - s.marks[0];
    console.log(`connection closed ${ms.toFixed(1)} ms after the interrupt was sent`);
    assert(ms < 1000, `closed ${ms} ms after the interrupt`);
  } finally {
    await k.stop();
    await s.close();
  }
});
