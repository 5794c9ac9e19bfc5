/**
 * `[providers.<name>]`: one LLM provider's settings. The configuration schema validates them
 * (src/config/schema.ts), the engine's options carry them to host functions
 * (src/engine/shared/protocol.ts) and the providers resolve them (src/providers/resolve.ts); the
 * shape lives here, below all three, so that it is written once.
 */

export const PROVIDER_TYPES = ["openai", "anthropic", "ollama", "local"] as const;
export type ProviderType = typeof PROVIDER_TYPES[number];

export interface ProviderConfig {
  /** Always set after loading: defaults to the table name when that is a known type. */
  provider_type: ProviderType;
  base_url?: string;
  api_key?: string;
  api_key_env?: string;
  default_model?: string;
  timeout_ms: number;
  max_retries: number;
  max_concurrency: number;
  input_price?: number;
  output_price?: number;
  /** `local`: a GGUF file, or a directory of them. */
  model_path?: string;
  /** `local`: the context window in tokens (at most the model's own); 0 = the model's own. */
  context_size?: number;
  /** `local`: CPU threads; 0 = node-llama-cpp's choice. */
  threads?: number;
}
