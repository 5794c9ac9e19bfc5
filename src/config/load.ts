/**
 * Loading a configuration: discovery, TOML parsing, validation against the schema,
 * environment overrides, defaults.
 *
 * Precedence, highest first: environment overrides, the config file, schema defaults.
 *
 * File discovery: an explicit file (`-c FILE`, else `LLMSPELL_CONFIG`; it must exist),
 * else the first of `./llmspell.toml` and the user config (`$XDG_CONFIG_HOME/llmspell/
 * config.toml`, or `$LLMSPELL_HOME/config.toml`) that exists, else defaults only.
 *
 * Environment overrides (see `envOverrideNames` for the full list):
 * - `LLMSPELL_<PATH>` where PATH is the key path upper-cased with `.` → `_`:
 *   `LLMSPELL_ENGINES_LUA_MAX_MEMORY_BYTES`, `LLMSPELL_RUNTIME_SECURITY_ALLOWED_PATHS`,
 *   `LLMSPELL_KERNEL_IP`.
 * - Providers put the provider name in the middle: `LLMSPELL_PROVIDERS_<NAME>_<KEY>`, e.g.
 *   `LLMSPELL_PROVIDERS_OPENAI_API_KEY`. NAME matches a provider of the file whose name,
 *   upper-cased with `-` → `_`, equals it; otherwise it creates provider `<name>` (lower
 *   case). Names may contain `_`: the key is matched from the end.
 * - Values: integers in decimal; booleans `true|false|1|0|yes|no|on|off`; lists
 *   comma-separated (`/a,/b`); an empty value counts as unset.
 * - A bad value is an error naming the variable. Any other `LLMSPELL_*` variable that is
 *   no override (`LLMSPELL_KERNEL_PORT`, `LLMSPELL_ENGINE_LUA_TIMEOUT_MS`) is a warning with
 *   a did-you-mean, as an unknown key of the file is; `LLMSPELL_CONFIG`, `LLMSPELL_HOME`
 *   and `LLMSPELL_DENO_HOME` (scripts/ensure_deno.sh) are not overrides.
 *
 * Errors are thrown together: one `ConfigError` (code `config_invalid`) whose
 * `diagnostics` lists every problem found, warnings included. Warnings alone are
 * returned in `LoadedConfig.warnings`.
 *
 * @module
 */

import { parse, TomlError } from "smol-toml";
import { resolve } from "../path.ts";
import { LlmspellError } from "../errors.ts";
import { ConfigDiagnostic, ConfigError } from "./diagnostics.ts";
import { KeyLocator } from "./locate.ts";
import { Env, resolvePaths } from "./paths.ts";
import { checkSection, type Ctx, type Table } from "./check.ts";
import { applyEnv, checkLocalProviders, fillProviderTypes, merge } from "./env.ts";
import { Config, defaultConfig, SCHEMA } from "./schema.ts";

/** What `loadConfig` returns. */
export interface LoadedConfig {
  config: Config;
  /** The file the configuration came from (absolute), or null for defaults only. */
  source: string | null;
  /** Problems that did not stop loading (unknown keys and variables). */
  warnings: ConfigDiagnostic[];
}

/** Options of `loadConfig`. */
export interface LoadOptions {
  /** From `-c FILE`; relative to `cwd`. Beats `LLMSPELL_CONFIG`. */
  file?: string;
  cwd: string;
  /** The environment (`Deno.env.toObject()`); tests pass their own. */
  env: Env;
}

/**
 * Finds, reads and validates the configuration and applies environment overrides.
 *
 * @throws LlmspellError `config_not_found` (exit 2) when an explicit file does not exist,
 *   `config_unreadable` when a file cannot be read, ConfigError `config_invalid` when
 *   there is any error.
 */
export async function loadConfig(opts: LoadOptions): Promise<LoadedConfig> {
  const source = findConfigFile(opts);
  const text = source === null ? null : await readConfigText(source, true);
  const { config, diagnostics } = checkConfigText(text ?? "", {
    file: source,
    env: opts.env,
  });
  if (diagnostics.some((d) => d.severity === "error")) throw new ConfigError(diagnostics);
  return { config, source, warnings: diagnostics };
}

/**
 * The config file `loadConfig` would read, or null when none exists.
 *
 * @throws LlmspellError `config_not_found` when an explicit file does not exist
 */
export function findConfigFile(opts: LoadOptions): string | null {
  const explicit = opts.file ?? (opts.env.LLMSPELL_CONFIG || undefined);
  if (explicit !== undefined) {
    const path = resolve(opts.cwd, explicit);
    if (!isFile(path)) {
      const via = opts.file !== undefined ? "-c" : "LLMSPELL_CONFIG";
      if (isDirectory(path)) {
        throw new LlmspellError({
          code: "config_is_directory",
          message: `config file ${path} is a directory (from ${via})`,
          hint: "give the path of a file, e.g. DIR/llmspell.toml",
          exitCode: 2,
        });
      }
      throw new LlmspellError({
        code: "config_not_found",
        message: `config file not found: ${path} (from ${via})`,
        hint: "check the path, or create the file with `llmspell config init`",
        exitCode: 2,
      });
    }
    return path;
  }
  let candidates: string[];
  try {
    candidates = resolvePaths(opts.env, opts.cwd).configCandidates;
  } catch {
    // No home directory: only the project file can exist.
    candidates = [resolve(opts.cwd, "llmspell.toml")];
  }
  for (const c of candidates) if (isFile(c)) return c;
  return null;
}

/**
 * Every problem of a configuration (for `config validate`): the file's, or none for no file
 * (the defaults), and with `env` those of the environment overrides, which every command
 * applies on top.
 *
 * @throws LlmspellError `config_not_found` when the file does not exist
 */
export async function validateConfigFile(
  path: string | null,
  env?: Env,
): Promise<ConfigDiagnostic[]> {
  const text = path === null ? "" : await readConfigText(path, false);
  return checkConfigText(text, { file: path, env }).diagnostics;
}

/**
 * The pure core: validates TOML text (and overrides from `env`, when given) and returns
 * the resulting configuration, defaults filled in, with every diagnostic. Invalid values
 * are left at their defaults in the returned configuration.
 */
export function checkConfigText(
  text: string,
  opts: { file?: string | null; env?: Env } = {},
): { config: Config; diagnostics: ConfigDiagnostic[] } {
  const ctx: Ctx = { file: opts.file ?? null, locator: null, diags: [] };
  const config = defaultConfig() as unknown as Table;
  let raw: Table | null = null;
  try {
    // No file (or an empty one) has nothing to parse or check: the defaults stand.
    if (text !== "") {
      raw = parse(text, { integersAsBigInt: true, unsafeKeyBehaviour: "throw" }) as Table;
    }
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const message = e.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
    ctx.diags.push({
      severity: "error",
      kind: "syntax",
      file: ctx.file,
      line: e.line,
      col: e.column,
      path: "",
      message: `TOML syntax error: ${message}`,
      hint: "see https://toml.io for the syntax",
    });
  }
  if (raw !== null) {
    ctx.locator = new KeyLocator(text);
    merge(config, checkSection(raw, SCHEMA, [], ctx));
  }
  if (opts.env !== undefined) applyEnv(config, opts.env, ctx);
  fillProviderTypes(config, ctx);
  checkLocalProviders(config, ctx);
  return { config: config as unknown as Config, diagnostics: ctx.diags };
}

// ---------------------------------------------------------------------------------------
// Files

/** Synchronous: one stat is quicker than a round trip through the event loop. */
function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

async function readConfigText(path: string, discovered: boolean): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && !discovered) {
      throw new LlmspellError({
        code: "config_not_found",
        message: `config file not found: ${path}`,
        hint: "check the path, or create the file with `llmspell config init`",
        exitCode: 2,
      });
    }
    throw new LlmspellError({
      code: "config_unreadable",
      message: `cannot read config file ${path}: ${(e as Error).message}`,
      hint: "check the file's permissions",
      cause: e,
    });
  }
}
