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
import { suggest } from "../suggest.ts";
import { ConfigDiagnostic, ConfigError, DiagnosticKind } from "./diagnostics.ts";
import { KeyLocator, KeyPath } from "./locate.ts";
import { Env, resolvePaths } from "./paths.ts";
import {
  buildDefaults,
  Config,
  ConfigValue,
  defaultConfig,
  FieldSpec,
  FieldValue,
  MapSpec,
  PROVIDER_TYPES,
  SCHEMA,
  SectionSpec,
} from "./schema.ts";

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
  return { config: config as unknown as Config, diagnostics: ctx.diags };
}

// ---------------------------------------------------------------------------------------
// Schema checks

type Table = { [key: string]: unknown };

interface Ctx {
  file: string | null;
  /** Providers that only environment variables define: name → first variable. */
  envProviders?: Map<string, string>;
  locator: KeyLocator | null;
  diags: ConfigDiagnostic[];
}

interface Problem {
  kind: DiagnosticKind;
  expected: string;
  found: string;
  /** For list items: which one. */
  index?: number;
  hint?: string;
}

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** `engines.lua.max_memory_bytes`, `providers."my provider".api_key`, `paths[1]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const s = /^[A-Za-z0-9_-]+$/.test(seg) ? seg : JSON.stringify(seg);
      out += out === "" ? s : "." + s;
    }
  }
  return out;
}

function report(
  ctx: Ctx,
  severity: "error" | "warning",
  path: KeyPath,
  d: { kind: DiagnosticKind; message: string; expected?: string; found?: string; hint?: string },
  env?: string,
): void {
  const pos = env === undefined ? ctx.locator?.find(path) ?? null : null;
  ctx.diags.push({
    severity,
    kind: d.kind,
    file: env === undefined ? ctx.file : null,
    line: pos?.line ?? null,
    col: pos?.col ?? null,
    path: formatKeyPath(path),
    ...(env !== undefined ? { env } : {}),
    ...(d.expected !== undefined ? { expected: d.expected, found: d.found } : {}),
    message: d.message,
    ...(d.hint !== undefined ? { hint: d.hint } : {}),
  });
}

function reportProblem(ctx: Ctx, path: KeyPath, p: Problem, env?: string): void {
  const at = p.index !== undefined ? [...path, p.index] : path;
  report(ctx, "error", at, {
    kind: p.kind,
    expected: p.expected,
    found: p.found,
    message: `expected ${p.expected}, found ${p.found}`,
    hint: p.hint,
  }, env);
}

/** Validates one table against a section; returns only the valid values. */
function checkSection(raw: Table, spec: SectionSpec, path: string[], ctx: Ctx): Table {
  const out: Table = {};
  for (const [key, value] of Object.entries(raw)) {
    const child = spec.fields[key];
    const at = [...path, key];
    if (child === undefined) {
      if (spec.extraTables !== undefined && isTable(value)) {
        out[key] = freeForm(value);
        continue;
      }
      const guess = suggest(key, Object.keys(spec.fields));
      const extra = spec.extraTables !== undefined ? ` (${spec.extraTables})` : "";
      report(ctx, "warning", at, {
        kind: "unknown_key",
        message: `unknown key "${key}", ignored${extra}`,
        hint: guess !== undefined ? `did you mean "${guess}"?` : undefined,
      });
      continue;
    }
    if (child.kind === "field") {
      const r = checkValue(child, value);
      for (const p of r.problems) reportProblem(ctx, at, p);
      if (r.problems.length === 0) out[key] = r.value;
      continue;
    }
    if (!isTable(value)) {
      reportProblem(ctx, at, { kind: "type", expected: "a table", found: describe(value) });
      continue;
    }
    out[key] = child.kind === "section"
      ? checkSection(value, child, at, ctx)
      : checkMap(value, child, at, ctx);
  }
  return out;
}

function checkMap(raw: Table, spec: MapSpec, path: string[], ctx: Ctx): Table {
  const out: Table = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!isTable(value)) {
      reportProblem(ctx, [...path, name], {
        kind: "type",
        expected: "a table",
        found: describe(value),
      });
      continue;
    }
    out[name] = {
      ...buildDefaults(spec.entry),
      ...checkSection(value, spec.entry, [...path, name], ctx),
    };
  }
  return out;
}

/** Per-tool settings: kept as they are, with TOML's dates and big integers made plain. */
function freeForm(v: unknown): ConfigValue {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(freeForm);
  if (isTable(v)) {
    const out: { [key: string]: ConfigValue } = {};
    for (const [k, x] of Object.entries(v)) out[k] = freeForm(x);
    return out;
  }
  return v as ConfigValue;
}

/** `string "lots"`, `integer 5`, `float 1.5`, `an array`: what a value is, for messages. */
function describe(v: unknown, secret = false): string {
  if (typeof v === "bigint") return secret ? "an integer" : `integer ${v}`;
  if (typeof v === "number") {
    if (secret) return "a float";
    const text = Number.isInteger(v) ? v.toFixed(1) : String(v);
    return `float ${text}`;
  }
  if (typeof v === "string") {
    if (secret) return "a string";
    const shown = v.length > 40 ? v.slice(0, 40) + "…" : v;
    return `string ${JSON.stringify(shown)}`;
  }
  if (typeof v === "boolean") return secret ? "a boolean" : `boolean ${v}`;
  if (v instanceof Date) return "a date-time";
  if (Array.isArray(v)) return "an array";
  return "a table";
}

/** `a non-negative integer`, `an integer from 0 to 65535`, `one of "tcp", "ipc"`. */
export function expectedText(spec: FieldSpec): string {
  switch (spec.type) {
    case "integer":
      if (spec.min !== undefined && spec.max !== undefined) {
        return `an integer from ${spec.min} to ${spec.max}`;
      }
      if (spec.min === 0) return "a non-negative integer";
      if (spec.min === 1) return "a positive integer";
      if (spec.min !== undefined) return `an integer >= ${spec.min}`;
      if (spec.max !== undefined) return `an integer <= ${spec.max}`;
      return "an integer";
    case "number":
      if (spec.min !== undefined && spec.max !== undefined) {
        return `a number from ${spec.min} to ${spec.max}`;
      }
      if (spec.min === 0) return "a non-negative number";
      return "a number";
    case "boolean":
      return "true or false";
    case "string":
      if (spec.enum) return `one of ${spec.enum.map((e) => JSON.stringify(e)).join(", ")}`;
      if (spec.format === "url") return "a URL such as https://host/path";
      if (spec.format === "ip") return "an IP address such as 127.0.0.1";
      return "a string";
    case "string[]":
      return spec.enum ? "an array of module names" : "an array of strings";
  }
}

/** Checks a raw TOML value (bigint for integers) against a field. */
function checkValue(spec: FieldSpec, v: unknown): { value?: FieldValue; problems: Problem[] } {
  const bad = (kind: DiagnosticKind = "type"): { problems: Problem[] } => ({
    problems: [{ kind, expected: expectedText(spec), found: describe(v, spec.secret) }],
  });
  switch (spec.type) {
    case "integer": {
      if (typeof v !== "bigint") return bad();
      const n = Number(v);
      if (!Number.isSafeInteger(n)) return bad("range");
      if (spec.min !== undefined && n < spec.min) return bad("range");
      if (spec.max !== undefined && n > spec.max) return bad("range");
      return { value: n, problems: [] };
    }
    case "number": {
      const n = typeof v === "bigint" ? Number(v) : v;
      if (typeof n !== "number" || !Number.isFinite(n)) return bad();
      if (spec.min !== undefined && n < spec.min) return bad("range");
      if (spec.max !== undefined && n > spec.max) return bad("range");
      return { value: n, problems: [] };
    }
    case "boolean":
      return typeof v === "boolean" ? { value: v, problems: [] } : bad();
    case "string": {
      if (typeof v !== "string") return bad();
      const p = checkString(spec, spec.enum, v);
      return p === null ? { value: v, problems: [] } : { problems: [p] };
    }
    case "string[]": {
      if (!Array.isArray(v)) return bad();
      const problems: Problem[] = [];
      v.forEach((item, index) => {
        if (typeof item !== "string") {
          problems.push({ kind: "type", expected: "a string", found: describe(item), index });
          return;
        }
        const p = checkString({ ...spec, type: "string" }, spec.enum, item);
        if (p !== null) problems.push({ ...p, index });
      });
      return problems.length > 0 ? { problems } : { value: [...v] as string[], problems };
    }
  }
}

function checkString(spec: FieldSpec, allowed: readonly string[] | undefined, s: string) {
  const found = describe(s, spec.secret);
  if (allowed !== undefined && !allowed.includes(s)) {
    const guess = suggest(s, allowed);
    return {
      kind: "enum" as const,
      expected: `one of ${allowed.map((e) => JSON.stringify(e)).join(", ")}`,
      found,
      hint: guess !== undefined ? `did you mean "${guess}"?` : undefined,
    };
  }
  if (spec.format === "url" && !/^[a-z][a-z0-9+.-]*:\/\/./i.test(s)) {
    return { kind: "format" as const, expected: expectedText(spec), found };
  }
  if (spec.format === "ip" && !isIpAddress(s)) {
    return { kind: "format" as const, expected: expectedText(spec), found };
  }
  return null;
}

function isIpAddress(s: string): boolean {
  const v4 = s.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (v4) return v4.slice(1).every((p) => Number(p) <= 255);
  // IPv6: hex groups and colons, at most one "::"; good enough to catch typos.
  return /^[0-9a-f:]+$/i.test(s) && s.includes(":") && s.split("::").length <= 2;
}

// ---------------------------------------------------------------------------------------
// Merging and environment overrides

/** Deep merge: tables merge, everything else replaces. */
function merge(target: Table, source: Table): void {
  for (const [k, v] of Object.entries(source)) {
    const cur = target[k];
    if (isTable(v) && isTable(cur)) merge(cur, v);
    else target[k] = v;
  }
}

interface EnvTarget {
  name: string;
  path: string[];
  spec: FieldSpec;
}

const ENV_PREFIX = "LLMSPELL_";
const PROVIDERS_PREFIX = "LLMSPELL_PROVIDERS_";
/** `LLMSPELL_*` variables that are not config overrides. */
const NOT_OVERRIDES = new Set(["LLMSPELL_CONFIG", "LLMSPELL_HOME", "LLMSPELL_DENO_HOME"]);

function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.join("_").toUpperCase().replace(/[^A-Z0-9_]/g, "_");
}

/** Every fixed override (providers excluded: their names are the user's). */
function fixedTargets(): EnvTarget[] {
  const out: EnvTarget[] = [];
  const walk = (spec: SectionSpec, path: string[]) => {
    for (const [k, child] of Object.entries(spec.fields)) {
      if (child.kind === "section") walk(child, [...path, k]);
      else if (child.kind === "field") {
        out.push({ name: envName([...path, k]), path: [...path, k], spec: child });
      }
    }
  };
  walk(SCHEMA, []);
  return out;
}

const providerSpec = SCHEMA.fields.providers as MapSpec;

/**
 * Names of every environment override, with `<NAME>` standing for a provider name
 * (`LLMSPELL_PROVIDERS_<NAME>_API_KEY`). For the README and shell completion.
 */
export function envOverrideNames(): string[] {
  return [
    ...fixedTargets().map((t) => t.name),
    ...Object.keys(providerSpec.entry.fields).map((k) =>
      `${PROVIDERS_PREFIX}<NAME>_${k.toUpperCase()}`
    ),
  ];
}

/** Turns an environment string into what TOML would have produced for the field. */
function envToRaw(spec: FieldSpec, s: string): unknown {
  switch (spec.type) {
    case "integer":
      return /^[+-]?\d+$/.test(s.trim()) ? BigInt(s.trim()) : s;
    case "number":
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s.trim()) ? Number(s.trim()) : s;
    case "boolean": {
      const l = s.trim().toLowerCase();
      if (["true", "1", "yes", "on"].includes(l)) return true;
      if (["false", "0", "no", "off"].includes(l)) return false;
      return s;
    }
    case "string[]":
      return s.split(",").map((x) => x.trim()).filter((x) => x !== "");
    case "string":
      return s;
  }
}

function applyEnv(config: Table, env: Env, ctx: Ctx): void {
  const names = Object.keys(env).filter((n) => n.startsWith(ENV_PREFIX) && !NOT_OVERRIDES.has(n));
  // Most runs have no override: the tables below are then not needed (start-up of every
  // command).
  if (names.length === 0) return;
  const fixed = new Map(fixedTargets().map((t) => [t.name, t]));
  const providers = config.providers as Table;
  const providerFields = Object.keys(providerSpec.entry.fields).sort((a, b) => b.length - a.length);
  for (const name of names.sort()) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    let target = fixed.get(name);
    if (target === undefined && name.startsWith(PROVIDERS_PREFIX)) {
      const rest = name.slice(PROVIDERS_PREFIX.length);
      const field = providerFields.find((f) => {
        const suffix = "_" + f.toUpperCase();
        return rest.endsWith(suffix) && rest.length > suffix.length;
      });
      if (field !== undefined) {
        const key = rest.slice(0, rest.length - field.length - 1);
        const existing = Object.keys(providers).find((p) =>
          p.toUpperCase().replace(/[^A-Z0-9]/g, "_") === key
        );
        const provider = existing ?? key.toLowerCase();
        if (!(provider in providers)) {
          ctx.envProviders ??= new Map();
          if (!ctx.envProviders.has(provider)) ctx.envProviders.set(provider, name);
        }
        target = {
          name,
          path: ["providers", provider, field],
          spec: providerSpec.entry.fields[field] as FieldSpec,
        };
      }
    }
    if (target === undefined) {
      // Compared without the prefix they share, which would make any two names look alike.
      const bare = (n: string) => n.slice(ENV_PREFIX.length);
      const near = suggest(bare(name), [...fixed.keys(), ...NOT_OVERRIDES].map(bare));
      const guess = near === undefined ? undefined : ENV_PREFIX + near;
      ctx.diags.push({
        severity: "warning",
        kind: "unknown_env",
        file: null,
        line: null,
        col: null,
        path: "",
        env: name,
        message: `${name} is not a configuration override, ignored`,
        ...(guess !== undefined ? { hint: `did you mean ${guess}?` } : {}),
      });
      continue;
    }
    const r = checkValue(target.spec, envToRaw(target.spec, value));
    if (r.problems.length > 0) {
      for (const p of r.problems) reportProblem(ctx, target.path, p, name);
      continue;
    }
    setPath(config, target.path, r.value!);
  }
}

function setPath(config: Table, path: string[], value: FieldValue): void {
  let t = config;
  for (let i = 0; i < path.length - 1; i++) {
    if (!isTable(t[path[i]])) {
      // Only providers can be missing: a provider named only by the environment.
      t[path[i]] = path[i - 1] === "providers" ? buildDefaults(providerSpec.entry) : {};
    }
    t = t[path[i]] as Table;
  }
  t[path[path.length - 1]] = value;
}

/** `provider_type` defaults to the table name; other names must say their type. */
function fillProviderTypes(config: Table, ctx: Ctx): void {
  const known: readonly string[] = PROVIDER_TYPES;
  for (const [name, p] of Object.entries(config.providers as Table)) {
    const entry = p as Table;
    if (entry.provider_type !== undefined) continue;
    if (known.includes(name)) {
      entry.provider_type = name;
      continue;
    }
    // An invalid provider_type was reported already; don't add "missing" to it.
    const path = formatKeyPath(["providers", name, "provider_type"]);
    if (ctx.diags.some((d) => d.path === path)) continue;
    report(ctx, "error", ["providers", name, "provider_type"], {
      kind: "required",
      message: `provider "${name}" needs provider_type (one of ${
        known.map((k) => JSON.stringify(k)).join(", ")
      })`,
      hint: ctx.envProviders?.has(name)
        ? `set LLMSPELL_PROVIDERS_${name.toUpperCase()}_PROVIDER_TYPE too`
        : `add provider_type = "openai" (or another type) under [${
          formatKeyPath(["providers", name])
        }]`,
    }, ctx.envProviders?.get(name));
  }
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
