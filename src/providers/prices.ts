/**
 * Built-in prices of common models, in USD per million tokens (input, output), as the
 * providers published them. A model matches the longest entry it starts with, so dated
 * versions (`gpt-4o-mini-2024-07-18`, `claude-3-5-haiku-20241022`) find their family.
 * `[providers.<name>] input_price / output_price` override the table for that provider's
 * models; a local server (ollama) or model (local) costs nothing; an unknown model has no cost (nil).
 *
 * @module
 */
import type { ResolvedProvider, Usage } from "./types.ts";

export const PRICES: Readonly<Record<string, readonly [input: number, output: number]>> = {
  "gpt-4o-mini": [0.15, 0.6],
  "gpt-4o": [2.5, 10],
  "gpt-4.1-nano": [0.1, 0.4],
  "gpt-4.1-mini": [0.4, 1.6],
  "gpt-4.1": [2, 8],
  "gpt-5-nano": [0.05, 0.4],
  "gpt-5-mini": [0.25, 2],
  "gpt-5": [1.25, 10],
  "o3-mini": [1.1, 4.4],
  "o4-mini": [1.1, 4.4],
  "o3": [2, 8],
  "gpt-3.5-turbo": [0.5, 1.5],
  "claude-3-haiku": [0.25, 1.25],
  "claude-3-5-haiku": [0.8, 4],
  "claude-haiku-4-5": [1, 5],
  "claude-3-5-sonnet": [3, 15],
  "claude-3-7-sonnet": [3, 15],
  "claude-sonnet-4": [3, 15],
  "claude-opus-4": [15, 75],
  "claude-opus-4-1": [15, 75],
  "claude-opus-4-5": [5, 25],
};

/** The (input, output) price of `model`, or undefined when not known. */
export function priceOf(p: ResolvedProvider, model: string): readonly [number, number] | undefined {
  if (p.inputPrice !== undefined || p.outputPrice !== undefined) {
    return [p.inputPrice ?? 0, p.outputPrice ?? 0];
  }
  if (p.type === "ollama" || p.type === "local") return [0, 0];
  let best: string | undefined;
  for (const k of Object.keys(PRICES)) {
    if (model.startsWith(k) && (best === undefined || k.length > best.length)) best = k;
  }
  return best === undefined ? undefined : PRICES[best];
}

/** The cost of a call in USD, or undefined when the model's price is not known. */
export function costOf(p: ResolvedProvider, model: string, usage: Usage): number | undefined {
  const price = priceOf(p, model);
  if (!price) return undefined;
  return (usage.input_tokens * price[0] + usage.output_tokens * price[1]) / 1e6;
}
