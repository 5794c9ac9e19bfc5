/**
 * The providers (src/providers/) against the scripted servers over real HTTP: both wire
 * formats, plain and streamed, parallel tool calls, structured output, usage and cost,
 * retries (Retry-After), error codes, cancellation.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { chat, type ProviderConfig } from "../../src/providers/mod.ts";
import { ProviderError } from "../../src/providers/types.ts";
import {
  anthropicStream,
  anthropicText,
  anthropicToolUse,
  malformed,
  openaiStream,
  openaiStreamToolCalls,
  openaiText,
  openaiToolCalls,
  rateLimited,
  ScriptedServer,
  serverError,
  unauthorized,
} from "./servers.ts";

const env = (n: string) =>
  ({ OPENAI_API_KEY: "sk-test-secret", ANTHROPIC_API_KEY: "ak-test-secret" } as Record<
    string,
    string
  >)[n];

function settings(
  server: ScriptedServer,
  extra: Partial<ProviderConfig> = {},
): Record<string, ProviderConfig> {
  return {
    openai: {
      provider_type: "openai",
      base_url: server.url + "/v1",
      timeout_ms: 5000,
      max_retries: 2,
      max_concurrency: 4,
      ...extra,
    },
    anthropic: {
      provider_type: "anthropic",
      base_url: server.url,
      timeout_ms: 5000,
      max_retries: 2,
      max_concurrency: 4,
      ...extra,
    },
  };
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error("no failure");
}

const never = new AbortController().signal;

Deno.test("openai: a plain answer with usage and cost, the key sent as a bearer token", async () => {
  const s = new ScriptedServer().script(openaiText("Hello!", { prompt: 1000, completion: 2000 }));
  try {
    const r = await chat(settings(s), env, {
      model: "openai/gpt-4o-mini",
      system: "be brief",
      messages: [{ role: "user", content: "hi" }],
    }, never);
    assertEquals(r.text, "Hello!");
    assertEquals(r.usage, { input_tokens: 1000, output_tokens: 2000 });
    assertEquals(r.cost_usd, (1000 * 0.15 + 2000 * 0.6) / 1e6);
    assertEquals(s.requests[0].path, "/v1/chat/completions");
    assertEquals(s.requests[0].headers.get("authorization"), "Bearer sk-test-secret");
    assertEquals(s.requests[0].body.messages[0], { role: "system", content: "be brief" });
  } finally {
    await s.close();
  }
});

Deno.test("openai: streamed tokens arrive one by one; parallel streamed tool calls are joined", async () => {
  const s = new ScriptedServer().script(
    openaiStream(["He", "llo", "!"]),
    openaiStreamToolCalls([
      { name: "add", arguments: { a: 1, b: 2 } },
      { name: "upper", arguments: { s: "x" } },
    ]),
  );
  try {
    const seen: string[] = [];
    const r = await chat(
      settings(s),
      env,
      { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
      never,
      (t) => seen.push(t),
    );
    assertEquals(seen, ["He", "llo", "!"]);
    assertEquals(r.text, "Hello!");
    assertEquals(r.usage, { input_tokens: 10, output_tokens: 3 });
    assertEquals(s.requests[0].body.stream, true);
    const t = await chat(
      settings(s),
      env,
      { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
      never,
      () => {},
    );
    assertEquals(t.tool_calls.map((c) => [c.id, c.name, c.arguments]), [["call_0", "add", {
      a: 1,
      b: 2,
    }], ["call_1", "upper", { s: "x" }]]);
  } finally {
    await s.close();
  }
});

Deno.test("openai: tools and a JSON schema go out in the wire format; tool results come back", async () => {
  const s = new ScriptedServer().script(
    openaiToolCalls([{ name: "add", arguments: { a: 1, b: 2 } }, {
      name: "add",
      arguments: { a: 3, b: 4 },
    }]),
    openaiText('{"sum": 10}'),
  );
  try {
    const tools = [{
      name: "add",
      description: "adds",
      parameters: { type: "object", properties: { a: { type: "number" } } },
    }];
    const r = await chat(settings(s), env, {
      model: "openai/gpt-4o-mini",
      tools,
      messages: [{ role: "user", content: "sum" }],
    }, never);
    assertEquals(r.tool_calls.length, 2);
    assertEquals(s.requests[0].body.tools[0].function.name, "add");
    const r2 = await chat(settings(s), env, {
      model: "openai/gpt-4o-mini",
      response_format: { type: "object", properties: { sum: { type: "integer" } } },
      messages: [
        { role: "user", content: "sum" },
        { role: "assistant", content: "", tool_calls: r.tool_calls },
        { role: "tool", tool_call_id: "call_0", name: "add", content: "3" },
        { role: "tool", tool_call_id: "call_1", name: "add", content: "7" },
      ],
    }, never);
    assertEquals(r2.data, { sum: 10 });
    const sent = s.requests[1].body;
    assertEquals(sent.response_format.type, "json_schema");
    assertEquals(sent.messages[1].tool_calls[1].function.arguments, '{"a":3,"b":4}');
    assertEquals(sent.messages[3], { role: "tool", tool_call_id: "call_1", content: "7" });
  } finally {
    await s.close();
  }
});

Deno.test("anthropic: plain, tool_use, streamed text and tool calls, structured output as a forced tool", async () => {
  const s = new ScriptedServer().script(
    anthropicText("Hi there"),
    anthropicToolUse(
      [{ name: "add", arguments: { a: 1 } }, { name: "add", arguments: { a: 2 } }],
      "Let me add.",
    ),
    anthropicStream(["A", "B"], { calls: [{ name: "add", arguments: { a: 5 } }] }),
    anthropicToolUse([{ name: "structured_answer", arguments: { ok: true } }]),
  );
  try {
    const cfg = settings(s);
    const r = await chat(cfg, env, {
      model: "anthropic/claude-haiku-4-5",
      system: "sys",
      messages: [{ role: "user", content: "hi" }],
    }, never);
    assertEquals(r.text, "Hi there");
    assertEquals(r.usage, { input_tokens: 12, output_tokens: 6 });
    assertEquals(s.requests[0].path, "/v1/messages");
    assertEquals(s.requests[0].headers.get("x-api-key"), "ak-test-secret");
    assertEquals(s.requests[0].headers.get("anthropic-version"), "2023-06-01");
    assertEquals(s.requests[0].body.system, "sys");
    assertEquals(s.requests[0].body.max_tokens, 1024);
    const t = await chat(cfg, env, {
      model: "anthropic/claude-haiku-4-5",
      messages: [{ role: "user", content: "hi" }],
    }, never);
    assertEquals(t.text, "Let me add.");
    assertEquals(t.tool_calls.map((c) => c.arguments), [{ a: 1 }, { a: 2 }]);
    const seen: string[] = [];
    const st = await chat(
      cfg,
      env,
      {
        model: "anthropic/claude-haiku-4-5",
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "", tool_calls: t.tool_calls },
          { role: "tool", tool_call_id: "toolu_0", content: "1" },
          { role: "tool", tool_call_id: "toolu_1", content: "2" },
        ],
      },
      never,
      (x) => seen.push(x),
    );
    assertEquals(seen, ["A", "B"]);
    assertEquals(st.tool_calls[0].arguments, { a: 5 });
    assertEquals(st.usage, { input_tokens: 25, output_tokens: 6 });
    // Both results of one turn travel in one user message.
    assertEquals(s.requests[2].body.messages[2].content.length, 2);
    const so = await chat(cfg, env, {
      model: "anthropic/claude-haiku-4-5",
      response_format: { type: "object" },
      messages: [{ role: "user", content: "x" }],
    }, never);
    assertEquals(so.data, { ok: true });
    assertEquals(so.tool_calls, []);
    assertEquals(s.requests[3].body.tool_choice, { type: "tool", name: "structured_answer" });
  } finally {
    await s.close();
  }
});

Deno.test("retries: a 429 waits as long as Retry-After says, a 500 is retried, then the answer", async () => {
  const s = new ScriptedServer().script(rateLimited(1), serverError(), openaiText("ok"));
  try {
    const r = await chat(settings(s), env, {
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: "x" }],
    }, never);
    assertEquals(r.text, "ok");
    assertEquals(s.requests.length, 3);
    const gap = s.requests[1].at - s.requests[0].at;
    assert(gap >= 990, `the retry came ${gap} ms after the 429, Retry-After said 1 s`);
  } finally {
    await s.close();
  }
});

Deno.test("errors map to codes and never show the key", async () => {
  const s = new ScriptedServer().script(
    unauthorized(),
    malformed(),
    rateLimited(0),
    rateLimited(0),
    rateLimited(0),
  );
  try {
    const cfg = settings(s);
    const call = {
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user" as const, content: "x" }],
    };
    const a = await failure(chat(cfg, env, call, never));
    assertEquals(a.code, "auth");
    assert(!a.message.includes("sk-test-secret"));
    assertEquals((await failure(chat(cfg, env, call, never))).code, "invalid_response");
    assertEquals((await failure(chat(cfg, env, call, never))).code, "rate_limited");
    assertEquals((await failure(chat({}, () => undefined, call, never))).code, "auth");
    assertEquals(
      (await failure(chat(cfg, env, { ...call, model: "nope/x" }, never))).code,
      "config",
    );
    const down = { openai: { ...cfg.openai, base_url: "http://127.0.0.1:9/v1", max_retries: 0 } };
    assertEquals((await failure(chat(down, env, call, never))).code, "provider_unavailable");
  } finally {
    await s.close();
  }
});

Deno.test("timeout: a stream that stops sending fails with timeout", async () => {
  const s = new ScriptedServer().script(openaiStream(["a"], { hang: true }));
  try {
    const e = await failure(
      chat(
        settings(s, { timeout_ms: 200 }),
        env,
        { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "x" }] },
        never,
        () => {},
      ),
    );
    assertEquals(e.code, "timeout");
    await s.closed;
  } finally {
    await s.close();
  }
});

Deno.test("cancel: aborting a stream closes the HTTP connection within 100 ms", async () => {
  const s = new ScriptedServer().script(openaiStream(["a", "b"], { hang: true }));
  try {
    const ac = new AbortController();
    let aborted = 0;
    const p = chat(
      settings(s),
      env,
      { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "x" }] },
      ac.signal,
      (t) => {
        if (t === "b") {
          aborted = performance.now();
          ac.abort();
        }
      },
    );
    assertEquals((await failure(p)).code, "cancelled");
    const closedAt = await s.closed;
    assert(closedAt - aborted < 100, `closed ${closedAt - aborted} ms after the abort`);
  } finally {
    await s.close();
  }
});
