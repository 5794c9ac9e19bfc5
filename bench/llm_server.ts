/**
 * The LLM server of bench/llm.ts, in its own process so that it does not share the event loop
 * it is measured against: OpenAI Chat Completions on 127.0.0.1 (port 0; prints the port).
 * POST /v1/chat/completions answers after DELAY_MS (a plain answer), or with `stream: true`
 * sends TOKENS tokens, each carrying the wall-clock time it was sent (µs since the epoch),
 * GAP_MS apart.
 *
 *   deno run -A bench/llm_server.ts DELAY_MS TOKENS GAP_MS
 */
const [delayMs, tokens, gapMs] = Deno.args.map(Number);
const now = () => performance.timeOrigin + performance.now();
const enc = new TextEncoder();
const ANSWER = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1700000000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "pong" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
});
const chunk = (delta: unknown) =>
  enc.encode(
    `data: ${
      JSON.stringify({
        object: "chat.completion.chunk",
        model: "gpt-4o-mini",
        choices: [{ index: 0, delta, finish_reason: null }],
      })
    }\n\n`,
  );

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(port),
}, async (req) => {
  const body = await req.json();
  if (!body.stream) {
    await new Promise((r) => setTimeout(r, delayMs));
    return new Response(ANSWER, { headers: { "content-type": "application/json" } });
  }
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (i++ >= tokens) {
        c.enqueue(enc.encode("data: [DONE]\n\n"));
        c.close();
        return;
      }
      await new Promise((r) => setTimeout(r, gapMs));
      c.enqueue(chunk({ content: `${(now() * 1000).toFixed(0)}\n` }));
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
});
addEventListener("unload", () => server.shutdown());
