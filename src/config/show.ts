/**
 * `llmspell config show`: the configuration in effect, secrets masked.
 *
 * @module
 */

import { stringify } from "smol-toml";
import { usageError } from "../errors.ts";
import { suggest } from "../suggest.ts";
import { toYaml } from "../yaml.ts";
import { Config, isSecretPath } from "./schema.ts";

/** What a masked secret is shown as. Nothing of the secret is kept. */
export const MASK = "********";

/** Output formats of `renderConfig`. */
export type ConfigFormat = "toml" | "json" | "yaml";

/** Options of `renderConfig`. */
export interface RenderOptions {
  /** A dotted path such as `kernel`, `engines.lua` or `providers.openai`. */
  section?: string;
  format: ConfigFormat;
}

/**
 * Renders `config` (or one section of it) with every secret replaced by `MASK`.
 *
 * JSON and YAML show the section's own value; TOML nests it under its path
 * (`[engines.lua]`), so the output can be pasted into a config file.
 *
 * @throws LlmspellError `usage` for an unknown section, with a did-you-mean hint
 */
export function renderConfig(config: Config, opts: RenderOptions): string {
  const masked = maskSecrets(config) as Record<string, unknown>;
  const path = opts.section === undefined || opts.section === "" ? [] : opts.section.split(".");
  let value: unknown = masked;
  for (let i = 0; i < path.length; i++) {
    const table = value as Record<string, unknown>;
    if (!isTable(table) || !(path[i] in table)) {
      const known = isTable(table) ? Object.keys(table) : [];
      const guess = suggest(path[i], known);
      const prefix = path.slice(0, i).join(".");
      const shown = (prefix === "" ? "" : prefix + ".") + path[i];
      throw usageError(
        `unknown config section "${shown}"`,
        guess !== undefined
          ? `did you mean "${prefix === "" ? "" : prefix + "."}${guess}"?`
          : known.length > 0
          ? `known: ${known.join(", ")}`
          : `"${prefix}" has no sections`,
      );
    }
    value = table[path[i]];
  }
  switch (opts.format) {
    case "json":
      return JSON.stringify(value, null, 2) + "\n";
    case "yaml":
      return toYaml(value);
    case "toml": {
      let doc: unknown = value;
      for (let i = path.length - 1; i >= 0; i--) doc = { [path[i]]: doc };
      return stringify(doc).replace(/^\n+/, "");
    }
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A deep copy of `value` with secrets masked (see `isSecretPath`) and unset keys
 * dropped. Empty secrets stay empty: "not set" is worth seeing.
 */
export function maskSecrets(value: unknown, path: string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, path));
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = maskSecrets(v, [...path, k]);
    }
    return out;
  }
  if (path.length > 0 && isSecretPath(path) && value !== "" && value !== null) return MASK;
  return value;
}
