/**
 * OpenAI Chat Completions, and every server that speaks it (Ollama, vLLM, llama.cpp's server,
 * LM Studio, Groq, OpenRouter): POST {base_url}/chat/completions, plain or streamed
 * (`stream: true`, SSE chunks with `delta`s, the usage in the last chunk with
 * `stream_options.include_usage`). Tool calls arrive several per turn, their arguments as
 * JSON text (in pieces when streamed, keyed by `index`). Structured output is
 * `response_format: {type: "json_schema"}`.
 *
 * @module
 */
import { httpChat, type StreamedAnswer } from "./http_chat.ts";
import { parseArguments, parseData } from "./stream_read.ts";
import type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  Json,
  ProviderApi,
  ResolvedProvider,
  ToolCall,
} from "./types.ts";
import { ProviderError } from "./types.ts";

type Obj = { [key: string]: Json };

function wireMessage(m: ChatMessage): Obj {
  if (m.role === "tool") {
    return { role: "tool", tool_call_id: m.tool_call_id ?? "", content: m.content };
  }
  if (m.role === "assistant") {
    const out: Obj = {
      role: "assistant",
      content: m.content === "" && m.tool_calls?.length ? null : m.content,
    };
    if (m.tool_calls?.length) {
      out.tool_calls = m.tool_calls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: JSON.stringify(c.arguments) },
      }));
    }
    return out;
  }
  if (!m.images?.length) return { role: "user", content: m.content };
  return {
    role: "user",
    content: [
      { type: "text", text: m.content },
      ...m.images.map((url) => ({ type: "image_url", image_url: { url } })),
    ],
  };
}

export function requestBody(req: ChatRequest, stream: boolean): Obj {
  const messages: Json[] = [];
  if (req.system) messages.push({ role: "system", content: req.system });
  for (const m of req.messages) messages.push(wireMessage(m));
  const body: Obj = { model: req.model, messages };
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.max_tokens !== undefined) body.max_tokens = req.max_tokens;
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
  }
  if (req.response_format) {
    body.response_format = {
      type: "json_schema",
      json_schema: { name: "response", schema: req.response_format },
    };
  }
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

function headers(p: ResolvedProvider): Record<string, string> {
  return p.apiKey ? { authorization: `Bearer ${p.apiKey}` } : {};
}

// deno-lint-ignore no-explicit-any
type Loose = any;

function invalid(p: ResolvedProvider, what: string): ProviderError {
  return new ProviderError("invalid_response", `${p.name}: ${what}`);
}

function finish(p: ResolvedProvider, req: ChatRequest, r: ChatResult): ChatResult {
  if (req.response_format && r.tool_calls.length === 0) r.data = parseData(p, r.text);
  return r;
}

function answer(p: ResolvedProvider, req: ChatRequest, body: Loose): ChatResult {
  const choice = body?.choices?.[0];
  if (!choice?.message) throw invalid(p, "the answer has no choices[0].message");
  const calls: ToolCall[] = (choice.message.tool_calls ?? []).map((c: Loose) => ({
    id: String(c.id ?? ""),
    name: String(c.function?.name ?? ""),
    arguments: parseArguments(p, String(c.function?.name), String(c.function?.arguments ?? "")),
  }));
  return {
    text: typeof choice.message.content === "string" ? choice.message.content : "",
    tool_calls: calls,
    usage: {
      input_tokens: Number(body.usage?.prompt_tokens ?? 0),
      output_tokens: Number(body.usage?.completion_tokens ?? 0),
    },
    model: String(body.model ?? req.model),
    finish_reason: String(choice.finish_reason ?? ""),
  };
}

/** One chunk: a `delta` of the text or of tool calls (keyed by `index`); usage comes last. */
function event(p: ResolvedProvider, answer: StreamedAnswer, chunk: Loose): void {
  if (chunk?.error) throw invalid(p, `error in stream: ${chunk.error.message ?? ""}`);
  if (typeof chunk?.model === "string") answer.model = chunk.model;
  if (chunk?.usage) {
    answer.usage.input_tokens = Number(chunk.usage.prompt_tokens ?? 0);
    answer.usage.output_tokens = Number(chunk.usage.completion_tokens ?? 0);
  }
  const choice = chunk?.choices?.[0];
  if (!choice) return;
  if (choice.finish_reason) answer.finishReason = String(choice.finish_reason);
  const delta = choice.delta ?? {};
  if (typeof delta.content === "string" && delta.content !== "") answer.addText(delta.content);
  for (const tc of delta.tool_calls ?? []) {
    const c = answer.callAt(Number(tc.index ?? answer.calls.length));
    if (tc.id) c.id = String(tc.id);
    if (tc.function?.name) c.name += String(tc.function.name);
    if (tc.function?.arguments) c.args += String(tc.function.arguments);
  }
}

export const OPENAI: ProviderApi = httpChat({
  path: "/chat/completions",
  headers,
  body: requestBody,
  answer,
  event,
  finish,
});
