/**
 * What the HTTP providers (openai.ts, anthropic.ts) do alike whatever their wire format: the
 * call's course (POST the body, then read one JSON answer or a stream of events) and the
 * assembly of a streamed answer (its text passed on piece by piece; its model, finish reason
 * and usage as the events tell them; tool calls from pieces keyed by their index in the
 * answer). What the wire says and how to read it stays with each provider: a {@link Wire}.
 *
 * @module
 */
import { postJson, readJson } from "./http.ts";
import { parseArguments, streamEvents } from "./stream_read.ts";
import type {
  ChatRequest,
  ChatResult,
  Json,
  OnText,
  ProviderApi,
  ResolvedProvider,
  ToolCall,
  Usage,
} from "./types.ts";

/** A tool call while it streams: its arguments are JSON text until the answer ends. */
export interface CallPieces {
  id: string;
  name: string;
  args: string;
}

/** A streamed answer as it arrives. */
export class StreamedAnswer {
  text = "";
  model: string;
  finishReason = "";
  readonly usage: Usage = { input_tokens: 0, output_tokens: 0 };
  /** The calls by index; an index with none (an Anthropic text block) is a hole. */
  readonly calls: CallPieces[] = [];
  readonly #onText: OnText;

  /** `model`: the one asked for, until the answer names the one that answers. */
  constructor(model: string, onText: OnText) {
    this.model = model;
    this.#onText = onText;
  }

  /** A piece of the answer's text: kept, and passed on at once. */
  addText(piece: string): void {
    this.text += piece;
    this.#onText(piece);
  }

  /** The call at `index`, begun empty on its first piece. */
  callAt(index: number): CallPieces {
    return this.calls[index] ??= { id: "", name: "", args: "" };
  }

  /** The whole answer, the calls in index order with their arguments parsed. */
  result(p: ResolvedProvider): ChatResult {
    const calls: ToolCall[] = [];
    for (const c of this.calls) {
      if (c) calls.push({ id: c.id, name: c.name, arguments: parseArguments(p, c.name, c.args) });
    }
    return {
      text: this.text,
      tool_calls: calls,
      usage: this.usage,
      model: this.model,
      finish_reason: this.finishReason,
    };
  }
}

/** A provider's wire format. */
export interface Wire {
  /** The endpoint's path below the provider's base URL. */
  path: string;
  headers(p: ResolvedProvider): Record<string, string>;
  body(req: ChatRequest, stream: boolean): Json;
  /** The result from a plain (not streamed) answer's JSON. */
  answer(p: ResolvedProvider, req: ChatRequest, body: unknown): ChatResult;
  /** Takes one stream event's data into the answer; throws for an error event. */
  event(p: ResolvedProvider, answer: StreamedAnswer, data: Json): void;
  /** The result as the script sees it (structured output), plain or streamed alike. */
  finish(p: ResolvedProvider, req: ChatRequest, r: ChatResult): ChatResult;
}

/** A provider API speaking `wire`: streamed when the script takes the text as it comes. */
export function httpChat(wire: Wire): ProviderApi {
  return {
    async chat(p, req, signal, onText) {
      const url = p.baseUrl.replace(/\/+$/, "") + wire.path;
      const open = await postJson(p, url, wire.headers(p), wire.body(req, !!onText), signal);
      if (!onText) return wire.finish(p, req, wire.answer(p, req, await readJson(p, open)));
      const answer = new StreamedAnswer(req.model, onText);
      for await (const { data } of streamEvents(p, open)) wire.event(p, answer, data);
      return wire.finish(p, req, answer.result(p));
    },
  };
}
