/**
 * Scripted LLM servers for tests: OpenAI Chat Completions and Anthropic Messages on
 * 127.0.0.1, speaking the real wire formats (JSON answers, SSE streams with the real chunk
 * shapes, parallel tool calls, usage, 429 with Retry-After, 500, malformed JSON, a slow
 * stream). Each request takes the next reply of the script; the server records every
 * request (path, headers, body, time) and when a client closed a stream early.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
export type Body = any;

/**
 * In a stream's events: wait here until released (`release()`, or a request to /release),
 * so that a test proves each token arrived before the next was sent.
 */
export const GATE = "\u0000gate";

/** One reply. A function gets the request's body (to answer by what was asked). */
export type Reply =
  | { json: Body; status?: number; headers?: Record<string, string> }
  | { text: string; status?: number; headers?: Record<string, string> }
  | {
    /** SSE events: data strings (OpenAI) or {event, data} (Anthropic); objects are JSON. */
    sse: (string | Body)[];
    /** Delay before each event, in ms. */
    delayMs?: number;
    /** After the events, keep the stream open until the client closes it. */
    hang?: boolean;
  }
  | ((body: Body) => Reply);

export interface Recorded {
  path: string;
  headers: Headers;
  body: Body;
  at: number;
}

export class ScriptedServer {
  readonly requests: Recorded[] = [];
  readonly #script: Reply[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  /** Resolves when a client closed a stream before its end. */
  readonly closed: Promise<number>;
  #onClosed!: (at: number) => void;
  readonly port: number;

  constructor() {
    this.closed = new Promise((r) => this.#onClosed = r);
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.#handle(req),
    );
    this.port = this.#server.addr.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Queues replies, answered in order. */
  script(...replies: Reply[]): this {
    this.#script.push(...replies);
    return this;
  }

  /** Lets a gated stream send its next event. */
  release(): void {
    const w = this.#gate.shift();
    if (w) w();
    else this.#released++;
  }

  #gate: (() => void)[] = [];
  #released = 0;
  /** Times of requests to /mark (a client saying "now"). */
  readonly marks: number[] = [];

  #gateWait(): Promise<void> {
    if (this.#released > 0) {
      this.#released--;
      return Promise.resolve();
    }
    return new Promise((r) => this.#gate.push(r));
  }

  async #handle(req: Request): Promise<Response> {
    const control = new URL(req.url).pathname;
    if (control === "/release") {
      this.release();
      return new Response("ok");
    }
    if (control === "/mark") {
      this.marks.push(performance.now());
      return new Response("ok");
    }
    const text = await req.text();
    let body: Body = text;
    try {
      body = JSON.parse(text);
    } catch { /* recorded as text */ }
    this.requests.push({
      path: new URL(req.url).pathname,
      headers: req.headers,
      body,
      at: performance.now(),
    });
    let reply = this.#script.shift();
    while (typeof reply === "function") reply = reply(body);
    if (!reply) {
      return Response.json({ error: { message: "the test script has no reply left" } }, {
        status: 599,
      });
    }
    if ("json" in reply) {
      return Response.json(reply.json, { status: reply.status ?? 200, headers: reply.headers });
    }
    if ("text" in reply) {
      return new Response(reply.text, {
        status: reply.status ?? 200,
        headers: { "content-type": "application/json", ...reply.headers },
      });
    }
    return this.#stream(reply);
  }

  #stream(
    reply: { sse: (string | Body)[]; delayMs?: number; hang?: boolean },
  ): Response {
    const enc = new TextEncoder();
    const events = [...reply.sse];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const stream = new ReadableStream<Uint8Array>({
      pull: (controller) =>
        new Promise<void>((resolve) => {
          const next = () => {
            const e = events.shift();
            if (e === undefined) {
              if (reply.hang) return; // open until the client cancels
              finished = true;
              controller.close();
              return resolve();
            }
            let frame: string;
            if (typeof e === "string") frame = `data: ${e}\n\n`;
            else if ("event" in e && "data" in e) {
              frame = `event: ${e.event}\ndata: ${
                typeof e.data === "string" ? e.data : JSON.stringify(e.data)
              }\n\n`;
            } else frame = `data: ${JSON.stringify(e)}\n\n`;
            controller.enqueue(enc.encode(frame));
            resolve();
          };
          if (events[0] === GATE) {
            events.shift();
            this.#gateWait().then(next);
          } else if (reply.delayMs) timer = setTimeout(next, reply.delayMs);
          else next();
        }),
      cancel: () => {
        clearTimeout(timer);
        if (!finished) this.#onClosed(performance.now());
      },
    });
    return new Response(stream, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  }

  async close(): Promise<void> {
    await this.#server.shutdown();
  }
}

// ---- OpenAI Chat Completions shapes ----

export interface CallSpec {
  id?: string;
  name: string;
  arguments: Body;
}

export function openaiText(
  text: string,
  usage = { prompt: 10, completion: 5 },
  model = "gpt-4o-mini",
): Reply {
  return {
    json: {
      id: "chatcmpl-test",
      object: "chat.completion",
      created: 1700000000,
      model,
      choices: [{
        index: 0,
        message: { role: "assistant", content: text, refusal: null },
        logprobs: null,
        finish_reason: "stop",
      }],
      usage: {
        prompt_tokens: usage.prompt,
        completion_tokens: usage.completion,
        total_tokens: usage.prompt + usage.completion,
      },
    },
  };
}

export function openaiToolCalls(calls: CallSpec[], usage = { prompt: 20, completion: 10 }): Reply {
  return {
    json: {
      id: "chatcmpl-tools",
      object: "chat.completion",
      created: 1700000000,
      model: "gpt-4o-mini",
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content: null,
          tool_calls: calls.map((c, i) => ({
            id: c.id ?? `call_${i}`,
            type: "function",
            function: {
              name: c.name,
              arguments: typeof c.arguments === "string"
                ? c.arguments
                : JSON.stringify(c.arguments),
            },
          })),
        },
        finish_reason: "tool_calls",
      }],
      usage: {
        prompt_tokens: usage.prompt,
        completion_tokens: usage.completion,
        total_tokens: usage.prompt + usage.completion,
      },
    },
  };
}

function oaChunk(delta: Body, finish: string | null = null): Body {
  return {
    id: "chatcmpl-stream",
    object: "chat.completion.chunk",
    created: 1700000000,
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

/** A streamed answer: role chunk, one chunk per token, finish, usage chunk, [DONE]. */
export function openaiStream(
  tokens: string[],
  opts: {
    delayMs?: number;
    hang?: boolean;
    /** Each token after the first waits for a release (GATE). */
    gated?: boolean;
    usage?: { prompt: number; completion: number };
  } = {},
): Reply {
  const u = opts.usage ?? { prompt: 10, completion: tokens.length };
  const sse: Body[] = [oaChunk({ role: "assistant", content: "" })];
  tokens.forEach((t, i) => {
    if (opts.gated && i > 0) sse.push(GATE);
    sse.push(oaChunk({ content: t }));
  });
  if (!opts.hang) {
    sse.push(oaChunk({}, "stop"));
    sse.push({
      id: "chatcmpl-stream",
      object: "chat.completion.chunk",
      created: 1700000000,
      model: "gpt-4o-mini",
      choices: [],
      usage: {
        prompt_tokens: u.prompt,
        completion_tokens: u.completion,
        total_tokens: u.prompt + u.completion,
      },
    });
    sse.push("[DONE]");
  }
  return { sse, delayMs: opts.delayMs, hang: opts.hang };
}

/** Streamed parallel tool calls: each call's id and name, then its arguments in two pieces. */
export function openaiStreamToolCalls(calls: CallSpec[]): Reply {
  const sse: Body[] = [oaChunk({ role: "assistant", content: null })];
  calls.forEach((c, i) => {
    const args = JSON.stringify(c.arguments);
    const half = Math.floor(args.length / 2);
    sse.push(
      oaChunk({
        tool_calls: [{
          index: i,
          id: c.id ?? `call_${i}`,
          type: "function",
          function: { name: c.name, arguments: "" },
        }],
      }),
    );
    sse.push(oaChunk({ tool_calls: [{ index: i, function: { arguments: args.slice(0, half) } }] }));
    sse.push(oaChunk({ tool_calls: [{ index: i, function: { arguments: args.slice(half) } }] }));
  });
  sse.push(oaChunk({}, "tool_calls"));
  sse.push({
    id: "chatcmpl-stream",
    object: "chat.completion.chunk",
    created: 1700000000,
    model: "gpt-4o-mini",
    choices: [],
    usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
  });
  sse.push("[DONE]");
  return { sse };
}

// ---- Anthropic Messages shapes ----

export function anthropicText(
  text: string,
  usage = { input: 12, output: 6 },
  model = "claude-haiku-4-5",
): Reply {
  return {
    json: {
      id: "msg_test",
      type: "message",
      role: "assistant",
      model,
      content: [{ type: "text", text }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: usage.output },
    },
  };
}

export function anthropicToolUse(
  calls: CallSpec[],
  text = "",
  usage = { input: 30, output: 15 },
): Reply {
  return {
    json: {
      id: "msg_tools",
      type: "message",
      role: "assistant",
      model: "claude-haiku-4-5",
      content: [
        ...(text ? [{ type: "text", text }] : []),
        ...calls.map((c, i) => ({
          type: "tool_use",
          id: c.id ?? `toolu_${i}`,
          name: c.name,
          input: c.arguments,
        })),
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: usage.output },
    },
  };
}

/** A streamed Anthropic answer with the real event sequence; tool calls after the text. */
export function anthropicStream(
  tokens: string[],
  opts: { calls?: CallSpec[]; delayMs?: number; hang?: boolean } = {},
): Reply {
  const sse: Body[] = [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id: "msg_stream",
          type: "message",
          role: "assistant",
          model: "claude-haiku-4-5",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 25, output_tokens: 1 },
        },
      },
    },
    {
      event: "content_block_start",
      data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    },
    { event: "ping", data: { type: "ping" } },
  ];
  for (const t of tokens) {
    sse.push({
      event: "content_block_delta",
      data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: t } },
    });
  }
  if (opts.hang) return { sse, delayMs: opts.delayMs, hang: true };
  sse.push({ event: "content_block_stop", data: { type: "content_block_stop", index: 0 } });
  (opts.calls ?? []).forEach((c, i) => {
    const args = JSON.stringify(c.arguments);
    sse.push({
      event: "content_block_start",
      data: {
        type: "content_block_start",
        index: i + 1,
        content_block: { type: "tool_use", id: c.id ?? `toolu_${i}`, name: c.name, input: {} },
      },
    });
    sse.push({
      event: "content_block_delta",
      data: {
        type: "content_block_delta",
        index: i + 1,
        delta: { type: "input_json_delta", partial_json: args.slice(0, 3) },
      },
    });
    sse.push({
      event: "content_block_delta",
      data: {
        type: "content_block_delta",
        index: i + 1,
        delta: { type: "input_json_delta", partial_json: args.slice(3) },
      },
    });
    sse.push({ event: "content_block_stop", data: { type: "content_block_stop", index: i + 1 } });
  });
  sse.push({
    event: "message_delta",
    data: {
      type: "message_delta",
      delta: { stop_reason: opts.calls?.length ? "tool_use" : "end_turn", stop_sequence: null },
      usage: { output_tokens: tokens.length + 4 },
    },
  });
  sse.push({ event: "message_stop", data: { type: "message_stop" } });
  return { sse, delayMs: opts.delayMs };
}

export function rateLimited(retryAfterS: number, api: "openai" | "anthropic" = "openai"): Reply {
  return {
    status: 429,
    headers: { "retry-after": String(retryAfterS) },
    json: api === "openai"
      ? { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }
      : { type: "error", error: { type: "rate_limit_error", message: "Rate limit reached" } },
  };
}

export function serverError(status = 500): Reply {
  return { status, json: { error: { message: "The server had an error", type: "server_error" } } };
}

export function unauthorized(): Reply {
  return {
    status: 401,
    json: {
      error: {
        message: "Incorrect API key provided",
        type: "invalid_request_error",
        code: "invalid_api_key",
      },
    },
  };
}

export function malformed(): Reply {
  return { text: '{"id": "chatcmpl-broken", "choices": [' };
}

/**
 * An OpenAI server that proves requests are in flight together: it holds each chat request
 * until `n` are open at once, then answers all of them, the last to come first (so answers
 * arrive out of order). A request still held after `holdMs` (a safety net, or the point of a
 * test that expects no overlap) is answered alone. Each answer is `echo: <the last user
 * message>`. It counts the most requests open at once, and the requests whose client went
 * away before their answer (an interrupt aborting them); `/open` answers how many are open.
 */
export class BarrierServer {
  /** Requests open now, and the most ever open at once. */
  open = 0;
  maxOpen = 0;
  /** Requests the client abandoned before their answer, with when (performance.now()). */
  readonly aborted: number[] = [];
  readonly marks: number[] = [];
  readonly bodies: Body[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #held: (() => void)[] = [];

  constructor(readonly n: number, readonly holdMs: number) {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.#handle(req),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  async #handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/open") return new Response(String(this.open));
    if (path === "/mark") {
      this.marks.push(performance.now());
      return new Response("ok");
    }
    const body = await req.json();
    this.bodies.push(body);
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    const messages = body.messages as { role: string; content: string }[];
    const user = messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
    const answer = JSON.stringify((openaiText(`echo: ${user}`) as { json: Body }).json);
    // The headers go now, the body once released: a client that goes away meanwhile
    // cancels the body (how an aborted request shows here).
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    const timer = setTimeout(() => this.#unhold(release), this.holdMs);
    let done = false;
    const stream = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        await released;
        clearTimeout(timer);
        if (done) return; // cancelled meanwhile
        done = true;
        this.open--;
        controller.enqueue(new TextEncoder().encode(answer));
        controller.close();
      },
      cancel: () => {
        clearTimeout(timer);
        if (done) return;
        done = true;
        this.open--;
        this.#unhold(release);
        this.aborted.push(performance.now());
      },
    });
    this.#held.push(release);
    if (this.#held.length >= this.n) {
      for (const r of this.#held.splice(0).reverse()) r();
    }
    return new Response(stream, { headers: { "content-type": "application/json" } });
  }

  /** Releases one held request. */
  #unhold(release: () => void): void {
    const i = this.#held.indexOf(release);
    if (i >= 0) this.#held.splice(i, 1);
    release();
  }

  async close(): Promise<void> {
    await this.#server.shutdown();
  }
}
