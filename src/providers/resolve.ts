/**
 * Which provider a call goes to, with every setting: `[providers.<name>]` over the built-in
 * defaults of `openai`, `anthropic` and `ollama` (a `local` provider has none: it needs its
 * `model_path`). The key is looked up in this order (docs/decisions/0030-key-store.md):
 * `api_key` in the configuration, the variable `api_key_env` names, the key stored for the
 * provider's name (`llmspell keys set NAME`), the service's standard variable
 * (OPENAI_API_KEY, ANTHROPIC_API_KEY). The store is read only when the first two give none.
 * A message never contains a key, only where it was looked for.
 *
 * @module
 */
import type { ProviderConfig, ProviderType } from "../provider_config.ts";
import { ProviderError, type ResolvedProvider } from "./types.ts";

export type { ProviderConfig, ProviderType };

interface BuiltIn {
  baseUrl: string;
  keyEnv?: string;
  defaultModel: string;
  models: string[];
}

/** The types whose name alone is a provider: the services and a local Ollama. */
export type BuiltInType = Exclude<ProviderType, "local">;

export const BUILT_IN: Readonly<Record<BuiltInType, BuiltIn>> = {
  openai: {
    baseUrl: "https://api.openai.com/v1",
    keyEnv: "OPENAI_API_KEY",
    defaultModel: "gpt-4o-mini",
    models: ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o4-mini"],
  },
  anthropic: {
    baseUrl: "https://api.anthropic.com",
    keyEnv: "ANTHROPIC_API_KEY",
    defaultModel: "claude-haiku-4-5",
    models: ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1", "claude-3-5-haiku-latest"],
  },
  ollama: {
    baseUrl: "http://localhost:11434/v1",
    defaultModel: "llama3.2",
    models: [],
  },
};

export const DEFAULT_SETTINGS = { timeout_ms: 60_000, max_retries: 3, max_concurrency: 8 };

export function isBuiltIn(name: string): name is BuiltInType {
  return name === "openai" || name === "anthropic" || name === "ollama";
}

/** Every provider a script can name: the configured ones and the built-in ones. */
export function providerNames(configured: Record<string, ProviderConfig>): string[] {
  return [...new Set([...Object.keys(configured), ...Object.keys(BUILT_IN)])].sort();
}

/**
 * The key `llmspell keys set NAME` stored for a provider, read when asked; throws a
 * ProviderError (auth) when the store cannot be used.
 */
export type StoredKeys = (name: string) => string | undefined;

/** What to tell a user who has no key for `name` anywhere. */
function keyHint(name: string): string {
  return `store one with \`llmspell keys set ${name}\``;
}

/** The provider `name`, with its key; throws a ProviderError (config, auth). */
export function resolveProvider(
  name: string,
  configured: Record<string, ProviderConfig>,
  env: (name: string) => string | undefined,
  stored: StoredKeys = () => undefined,
): ResolvedProvider {
  const s: ProviderConfig | undefined = configured[name] ??
    (isBuiltIn(name) ? { provider_type: name, ...DEFAULT_SETTINGS } : undefined);
  if (!s) {
    throw new ProviderError(
      "config",
      `unknown provider '${name}': use one of ${
        providerNames(configured).join(", ")
      }, or add [providers.${name}] to the configuration`,
    );
  }
  if (s.provider_type === "local") return resolveLocal(name, s);
  const b = BUILT_IN[s.provider_type];
  let apiKey: string | undefined;
  let keySource: string | undefined;
  if (s.api_key) {
    apiKey = s.api_key;
    keySource = `[providers.${name}] api_key`;
  } else if (s.api_key_env && env(s.api_key_env)) {
    apiKey = env(s.api_key_env);
    keySource = s.api_key_env;
  } else if ((apiKey = stored(name) || undefined) !== undefined) {
    keySource = `the key stored for ${name}`;
  } else if (s.api_key_env) {
    // Named in the configuration, so the standard variable is not what the user meant.
    throw new ProviderError(
      "auth",
      `${name}: no API key: [providers.${name}] api_key_env names ${s.api_key_env}, which is not set, and no key is stored for ${name}: ${
        keyHint(name)
      }`,
    );
  } else if (b.keyEnv) {
    apiKey = env(b.keyEnv) || undefined;
    keySource = b.keyEnv;
  }
  const baseUrl = s.base_url ?? b.baseUrl;
  // The services themselves need a key; a self-hosted server (base_url) may not.
  if (!apiKey && b.keyEnv && s.base_url === undefined) {
    throw new ProviderError(
      "auth",
      `${name}: no API key: ${
        keyHint(name)
      }, or set ${b.keyEnv} or [providers.${name}] api_key_env`,
    );
  }
  return {
    name,
    type: s.provider_type,
    baseUrl,
    apiKey,
    keySource,
    defaultModel: s.default_model ?? b.defaultModel,
    timeoutMs: s.timeout_ms,
    maxRetries: s.max_retries,
    maxConcurrency: Math.max(1, s.max_concurrency),
    inputPrice: s.input_price,
    outputPrice: s.output_price,
  };
}

/** The model a `model_path` that names one GGUF file holds: the file's name without `.gguf`. */
export function localModelName(modelPath: string | undefined): string | undefined {
  return modelPath?.match(/([^/]+)\.gguf$/i)?.[1];
}

/** A local GGUF model: no URL, no key; its one model is the file's, unless named. */
function resolveLocal(name: string, s: ProviderConfig): ResolvedProvider {
  const file = localModelName(s.model_path);
  return {
    name,
    type: "local",
    baseUrl: "",
    apiKey: undefined,
    keySource: undefined,
    defaultModel: s.default_model ?? file,
    timeoutMs: s.timeout_ms,
    maxRetries: 0,
    maxConcurrency: 1,
    inputPrice: s.input_price,
    outputPrice: s.output_price,
    modelPath: s.model_path,
    contextSize: s.context_size ?? 4096,
    threads: s.threads ?? 0,
  };
}

/**
 * Splits `"<provider>/<model>"`; a model without a provider goes to `fallback` (the agent's
 * `:provider`), else to the only configured provider.
 */
export function splitModel(
  model: string | undefined,
  provider: string | undefined,
  configured: Record<string, ProviderConfig>,
): { provider: string; model: string | undefined } {
  if (provider) return { provider, model };
  if (model !== undefined) {
    const slash = model.indexOf("/");
    if (slash > 0) {
      const head = model.slice(0, slash);
      if (head in configured || isBuiltIn(head)) {
        return { provider: head, model: model.slice(slash + 1) };
      }
    }
  }
  const names = Object.keys(configured);
  if (names.length === 1) return { provider: names[0], model };
  throw new ProviderError(
    "config",
    model === undefined
      ? 'the agent names no model: use :model("<provider>/<model>"), e.g. "openai/gpt-4o-mini"'
      : `model '${model}' names no known provider: write "<provider>/<model>" (${
        providerNames(configured).join(", ")
      })`,
  );
}
