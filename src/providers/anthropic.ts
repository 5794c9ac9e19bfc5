/**
 * Anthropic Messages: POST {base_url}/v1/messages with `x-api-key` and `anthropic-version`,
 * plain or streamed (SSE events message_start, content_block_start/delta/stop,
 * message_delta, message_stop; tool arguments arrive as `input_json_delta` pieces). The
 * system prompt is a top-level field, tool results are `tool_result` blocks in a user
 * message, and `max_tokens` is required (1024 when the script sets none).
 *
 * Structured output is a tool the model must call (`structured_answer`, whose input schema
 * is the requested one): it works on every model, where the newer `output_format` needs a
 * beta header and recent models. With other tools the model must call one of them
 * (tool_choice any), and its call of `structured_answer` is the answer.
 *
 * @module
 */
import { httpChat, type StreamedAnswer } from "./http_chat.ts";
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

export const ANTHROPIC_VERSION = "2023-06-01";
export const DEFAULT_MAX_TOKENS = 1024;
export const ANSWER_TOOL = "structured_answer";

type Obj = { [key: string]: Json };

function image(url: string): Obj {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: "image", source: { type: "base64", media_type: m[1], data: m[2] } };
  return { type: "image", source: { type: "url", url } };
}

function wireMessages(messages: ChatMessage[]): Obj[] {
  const out: Obj[] = [];
  for (const m of messages) {
    if (m.role === "tool") {
      const block = { type: "tool_result", tool_use_id: m.tool_call_id ?? "", content: m.content };
      const last = out[out.length - 1];
      // Results of one turn's calls go together in one user message.
      if (
        last?.role === "user" && Array.isArray(last.content) &&
        (last.content[0] as Obj)?.type === "tool_result"
      ) {
        (last.content as Json[]).push(block);
      } else out.push({ role: "user", content: [block] });
    } else if (m.role === "assistant") {
      const blocks: Json[] = [];
      if (m.content !== "") blocks.push({ type: "text", text: m.content });
      for (const c of m.tool_calls ?? []) {
        blocks.push({ type: "tool_use", id: c.id, name: c.name, input: c.arguments });
      }
      out.push({ role: "assistant", content: blocks });
    } else if (m.images?.length) {
      out.push({
        role: "user",
        content: [...m.images.map(image), { type: "text", text: m.content }],
      });
    } else out.push({ role: "user", content: m.content });
  }
  return out;
}

export function requestBody(req: ChatRequest, stream: boolean): Obj {
  const body: Obj = {
    model: req.model,
    max_tokens: req.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages: wireMessages(req.messages),
  };
  if (req.system) body.system = req.system;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  const tools: Json[] = (req.tools ?? []).map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: t.parameters,
  }));
  if (req.response_format) {
    tools.push({
      name: ANSWER_TOOL,
      description: "Give the final answer, as this schema describes.",
      input_schema: req.response_format,
    });
    body.tool_choice = tools.length === 1 ? { type: "tool", name: ANSWER_TOOL } : { type: "any" };
  }
  if (tools.length) body.tools = tools;
  if (stream) body.stream = true;
  return body;
}

function headers(p: ResolvedProvider): Record<string, string> {
  const h: Record<string, string> = { "anthropic-version": ANTHROPIC_VERSION };
  if (p.apiKey) h["x-api-key"] = p.apiKey;
  return h;
}

// deno-lint-ignore no-explicit-any
type Loose = any;

/** The result as the script sees it: the structured answer's call becomes text and data. */
function result(req: ChatRequest, r: ChatResult): ChatResult {
  const answer = req.response_format ? r.tool_calls.find((c) => c.name === ANSWER_TOOL) : undefined;
  if (!answer) return r;
  return {
    text: JSON.stringify(answer.arguments),
    data: answer.arguments,
    tool_calls: [],
    usage: r.usage,
    model: r.model,
    finish_reason: "stop",
  };
}

function answer(p: ResolvedProvider, req: ChatRequest, body: Loose): ChatResult {
  if (!Array.isArray(body?.content)) {
    throw new ProviderError("invalid_response", `${p.name}: the answer has no content blocks`);
  }
  let text = "";
  const calls: ToolCall[] = [];
  for (const b of body.content) {
    if (b?.type === "text") text += String(b.text ?? "");
    else if (b?.type === "tool_use") {
      const input = b.input;
      if (input === null || typeof input !== "object" || Array.isArray(input)) {
        throw new ProviderError(
          "invalid_response",
          `${p.name}: tool_use '${b.name}' has no input object`,
        );
      }
      calls.push({ id: String(b.id ?? ""), name: String(b.name ?? ""), arguments: input });
    }
  }
  return {
    text,
    tool_calls: calls,
    usage: {
      input_tokens: Number(body.usage?.input_tokens ?? 0),
      output_tokens: Number(body.usage?.output_tokens ?? 0),
    },
    model: String(body.model ?? req.model),
    finish_reason: String(body.stop_reason ?? ""),
  };
}

/** One event: the answer's content blocks start, grow by deltas and stop, each at its index. */
function event(p: ResolvedProvider, answer: StreamedAnswer, e: Loose): void {
  switch (e?.type) {
    case "message_start":
      answer.model = String(e.message?.model ?? answer.model);
      answer.usage.input_tokens = Number(e.message?.usage?.input_tokens ?? 0);
      answer.usage.output_tokens = Number(e.message?.usage?.output_tokens ?? 0);
      break;
    case "content_block_start": {
      // A tool_use block is a call at its index; a text block leaves a hole there.
      const b = e.content_block ?? {};
      if (b.type === "tool_use") {
        const c = answer.callAt(Number(e.index));
        c.id = String(b.id ?? "");
        c.name = String(b.name ?? "");
      }
      break;
    }
    case "content_block_delta": {
      const d = e.delta ?? {};
      const call = answer.calls[Number(e.index)];
      if (d.type === "text_delta" && typeof d.text === "string") {
        // The structured answer's JSON is not streamed as text: it is the answer's data.
        answer.addText(d.text);
      } else if (d.type === "input_json_delta" && call) {
        call.args += String(d.partial_json ?? "");
      }
      break;
    }
    case "message_delta":
      if (e.delta?.stop_reason) answer.finishReason = String(e.delta.stop_reason);
      if (e.usage?.output_tokens !== undefined) {
        answer.usage.output_tokens = Number(e.usage.output_tokens);
      }
      if (e.usage?.input_tokens !== undefined) {
        answer.usage.input_tokens = Number(e.usage.input_tokens);
      }
      break;
    case "error":
      throw new ProviderError(
        e.error?.type === "overloaded_error" ? "provider_unavailable" : "invalid_response",
        `${p.name}: error in stream: ${e.error?.message ?? ""}`,
      );
  }
}

export const ANTHROPIC: ProviderApi = httpChat({
  path: "/v1/messages",
  headers,
  body: requestBody,
  answer,
  event,
  finish: (_p, req, r) => result(req, r),
});
