/**
 * LLM calls in a kernel, through jupyter_client: streamed tokens reach IOPub one by one as
 * they arrive, interrupt_request ends the HTTP request and keeps the Lua state, and an
 * agent's result displays as Markdown.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { driver, startKernel } from "../kernel/helpers.ts";
import { openaiStream, openaiText, ScriptedServer } from "./servers.ts";

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

Deno.test("kernel: an agent's result as a cell's value is an execute_result with text/markdown and text/plain", async () => {
  const answer = "**Paris** is the capital of _France_.";
  const s = new ScriptedServer().script(openaiText(answer), openaiStream(["## Title", "\n\nbody"]));
  const k = await startKernel([], { env: env(s) });
  try {
    const r = await driver(["markdown", k.connectionFile, s.url], {}, DRIVER);
    assertEquals(r.code, 0, r.stderr);
    type Cell = { status: string; mimes: string[]; markdown: string; plain: string };
    const j = r.json as Record<"execute" | "stream" | "other", Cell> & {
      display: Record<string, string>;
      display_plain: boolean;
    };
    for (const [cell, markdown] of [["execute", answer], ["stream", "## Title\n\nbody"]] as const) {
      assertEquals(j[cell].status, "ok");
      assertEquals(j[cell].mimes, ["text/markdown", "text/plain"], cell);
      assertEquals(j[cell].markdown, markdown, cell);
      // text/plain is the table as the formatter shows it, for clients without Markdown.
      assert(
        String(j[cell].plain).includes(`text = ${JSON.stringify(markdown)}`),
        String(j[cell].plain),
      );
    }
    // A table without __display stays text/plain only.
    assertEquals(j.other.mimes, ["text/plain"]);
    // display(r) shows it the same way.
    assertEquals(j.display, { "text/markdown": "## Title\n\nbody" });
    assertEquals(j.display_plain, true);
  } finally {
    await k.stop();
    await s.close();
  }
});
