/**
 * The provider-neutral shape of a chat call (src/providers/): what the Agent global sends and
 * receives, whatever the wire format. Each provider module translates to and from its API.
 *
 * @module
 */

import type { ProviderType } from "../provider_config.ts";

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** One tool call the model asked for. */
export interface ToolCall {
  id: string;
  name: string;
  /** The parsed arguments (an object). */
  arguments: JsonObject;
}

export interface ChatMessage {
  role: "user" | "assistant" | "tool";
  content: string;
  /** Image URLs (https: or data:) sent with a user message. */
  images?: string[];
  /** An assistant message's tool calls. */
  tool_calls?: ToolCall[];
  /** A tool message: which call it answers. */
  tool_call_id?: string;
  /** A tool message: the tool's name. */
  name?: string;
}

/** A tool the model may call, described by a JSON schema. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonObject;
}

export interface ChatRequest {
  model: string;
  system?: string;
  messages: ChatMessage[];
  temperature?: number;
  max_tokens?: number;
  tools?: ToolSpec[];
  /** A JSON schema the answer must follow (structured output). */
  response_format?: JsonObject;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export interface ChatResult {
  text: string;
  /** The answer parsed, when a schema was asked for. */
  data?: Json;
  tool_calls: ToolCall[];
  usage: Usage;
  model: string;
  finish_reason: string;
}

/** Called with each piece of text as it arrives. */
export type OnText = (text: string) => void;

/** What a provider's API is. */
export interface ProviderApi {
  chat(
    provider: ResolvedProvider,
    req: ChatRequest,
    signal: AbortSignal,
    onText?: OnText,
  ): Promise<ChatResult>;
}

/** A provider ready to call: its configuration with every default applied. */
export interface ResolvedProvider {
  name: string;
  type: ProviderType;
  baseUrl: string;
  /** The key, or undefined for a server that needs none. Never logged or shown. */
  apiKey: string | undefined;
  /** Where the key came from (an environment variable's name or "config"), for messages. */
  keySource: string | undefined;
  defaultModel: string | undefined;
  timeoutMs: number;
  maxRetries: number;
  maxConcurrency: number;
  /** USD per million tokens, overriding the built-in table for every model. */
  inputPrice?: number;
  outputPrice?: number;
  /** `local`: the GGUF file or directory of them, its context size and threads (0: auto). */
  modelPath?: string;
  contextSize?: number;
  threads?: number;
}

/** The codes a provider failure carries to Lua. */
export type ProviderErrorCode =
  | "provider_unavailable"
  | "rate_limited"
  | "auth"
  | "timeout"
  | "invalid_response"
  | "bad_request"
  | "cancelled"
  | "config";

export class ProviderError extends Error {
  readonly code: ProviderErrorCode;
  readonly status?: number;
  constructor(code: ProviderErrorCode, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}
