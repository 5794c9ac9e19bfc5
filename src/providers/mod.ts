/**
 * The providers' entry point, on the main thread, loaded at the first LLM call (the host
 * functions import it dynamically, so that start-up never pays for it). `chat` resolves the
 * provider and model, sends the call through that provider's API and adds the cost.
 *
 * @module
 */
import { ANTHROPIC } from "./anthropic.ts";
import { LOCAL } from "./local.ts";
import { type Attributes, type Span, startSpan, withSpan } from "../telemetry/tracing.ts";
import { OPENAI } from "./openai.ts";
import { costOf } from "./prices.ts";
import {
  BUILT_IN,
  isBuiltIn,
  localModelName,
  type ProviderConfig,
  providerNames,
  resolveProvider,
  splitModel,
  type StoredKeys,
} from "./resolve.ts";
import {
  type ChatRequest,
  type ChatResult,
  type OnText,
  type ProviderApi,
  ProviderError,
} from "./types.ts";

export { ProviderError };

/**
 * The span of one model call, by OpenTelemetry's GenAI conventions: `chat <model>`, a client
 * span whose child is the HTTP request Deno traces itself.
 */
function chatSpan(system: string, baseUrl: string, model: string, call: ChatCall): Span {
  const attrs: Attributes = {
    "gen_ai.operation.name": "chat",
    "gen_ai.system": system,
    "gen_ai.provider.name": system,
    "gen_ai.request.model": model,
  };
  if (call.temperature !== undefined) attrs["gen_ai.request.temperature"] = call.temperature;
  if (call.max_tokens !== undefined) attrs["gen_ai.request.max_tokens"] = call.max_tokens;
  try {
    const url = new URL(baseUrl);
    attrs["server.address"] = url.hostname;
    attrs["server.port"] = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  } catch {
    // A base URL that is not one fails the call itself, which says so.
  }
  return startSpan(`chat ${model}`, attrs, { kind: "client" });
}
export type { ChatRequest, ChatResult, ProviderConfig, StoredKeys };

const APIS: Record<string, ProviderApi> = {
  openai: OPENAI,
  ollama: OPENAI,
  anthropic: ANTHROPIC,
  local: LOCAL,
};

export interface ChatCall extends Omit<ChatRequest, "model"> {
  /** `"<provider>/<model>"`, or a model of `provider`. */
  model?: string;
  provider?: string;
}

export interface ChatOutcome extends ChatResult {
  provider: string;
  cost_usd: number | undefined;
}

export type Env = (name: string) => string | undefined;

/**
 * Sends one chat call; the key comes from the configuration, `env` or `stored`
 * (src/providers/resolve.ts). Throws ProviderError.
 */
export async function chat(
  providers: Record<string, ProviderConfig>,
  env: Env,
  call: ChatCall,
  signal: AbortSignal,
  onText?: OnText,
  stored?: StoredKeys,
): Promise<ChatOutcome> {
  const target = splitModel(call.model, call.provider, providers);
  const p = resolveProvider(target.provider, providers, env, stored);
  const model = target.model ?? p.defaultModel;
  if (!model) {
    throw new ProviderError("config", `${p.name}: no model named and no default_model set`);
  }
  const { provider: _p, model: _m, ...rest } = call;
  const span = chatSpan(p.type, p.baseUrl, model, call);
  let result: ChatResult;
  try {
    result = await withSpan(span, () => APIS[p.type].chat(p, { ...rest, model }, signal, onText));
  } catch (e) {
    const err = e instanceof ProviderError ? withoutKey(e, p.apiKey) : e;
    span.fail(
      err instanceof ProviderError ? err.code : "internal",
      err instanceof Error ? err.message : String(err),
    );
    span.end();
    throw err;
  }
  const cost = costOf(p, result.model, result.usage);
  span.set({
    "gen_ai.response.model": result.model,
    "gen_ai.response.finish_reasons": [result.finish_reason],
    "gen_ai.usage.input_tokens": result.usage.input_tokens,
    "gen_ai.usage.output_tokens": result.usage.output_tokens,
    ...(cost !== undefined ? { "llmspell.cost_usd": cost } : {}),
    ...(result.tool_calls.length > 0 ? { "llmspell.tool_calls": result.tool_calls.length } : {}),
  });
  span.end();
  return { ...result, provider: p.name, cost_usd: cost };
}

/**
 * The error with the key masked: a server may quote the key it refused in its message
 * (OpenAI's 401 quotes part of it), and the message goes to the script, logs and the session.
 */
function withoutKey(e: ProviderError, key: string | undefined): ProviderError {
  if (!key || !e.message.includes(key)) return e;
  return new ProviderError(e.code, e.message.replaceAll(key, "[key]"), e.status);
}

export interface ProviderInfo {
  name: string;
  provider_type: string;
  base_url: string;
  default_model: string | undefined;
  models: string[];
  capabilities: { streaming: boolean; tools: boolean; structured_output: boolean; images: boolean };
  configured: boolean;
}

/** What `Provider.get` shows: no key, only whether one is configured. */
export function providerInfo(
  name: string,
  providers: Record<string, ProviderConfig>,
): ProviderInfo | undefined {
  const s = providers[name] ?? (isBuiltIn(name) ? { provider_type: name } : undefined);
  if (!s) return undefined;
  if (s.provider_type === "local") {
    const model = providers[name]?.default_model ?? localModelName(providers[name]?.model_path);
    return {
      name,
      provider_type: "local",
      base_url: "",
      default_model: model,
      models: model ? [model] : [],
      // Images need a vision projector file, which node-llama-cpp's chat does not take yet.
      capabilities: { streaming: true, tools: true, structured_output: true, images: false },
      configured: true,
    };
  }
  const b = BUILT_IN[s.provider_type];
  return {
    name,
    provider_type: s.provider_type,
    base_url: providers[name]?.base_url ?? b.baseUrl,
    default_model: providers[name]?.default_model ?? b.defaultModel,
    models: b.models,
    capabilities: { streaming: true, tools: true, structured_output: true, images: true },
    configured: name in providers,
  };
}

export function listProviders(providers: Record<string, ProviderConfig>): string[] {
  return providerNames(providers);
}
