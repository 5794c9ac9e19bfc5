/**
 * Environment overrides of the configuration (`LLMSPELL_<PATH>`, the providers'
 * `LLMSPELL_PROVIDERS_<NAME>_<KEY>`; the rules are in load.ts's header), and merging the file
 * over the defaults.
 */
import { suggest } from "../suggest.ts";
import { Env } from "./paths.ts";
import {
  checkValue,
  type Ctx,
  formatKeyPath,
  isTable,
  report,
  reportProblem,
  type Table,
} from "./check.ts";
import {
  buildDefaults,
  FieldSpec,
  FieldValue,
  MapSpec,
  PROVIDER_TYPES,
  SCHEMA,
  SectionSpec,
} from "./schema.ts";

/** Deep merge: tables merge, everything else replaces. */
export function merge(target: Table, source: Table): void {
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

export function applyEnv(config: Table, env: Env, ctx: Ctx): void {
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
export function fillProviderTypes(config: Table, ctx: Ctx): void {
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

/** A `local` provider loads a file: without `model_path` it cannot answer any call. */
export function checkLocalProviders(config: Table, ctx: Ctx): void {
  for (const [name, p] of Object.entries(config.providers as Table)) {
    const entry = p as Table;
    if (entry.provider_type !== "local" || entry.model_path !== undefined) continue;
    report(ctx, "error", ["providers", name, "model_path"], {
      kind: "required",
      message: `provider "${name}" is local and needs model_path, the GGUF file to load`,
      hint: ctx.envProviders?.has(name)
        ? `set LLMSPELL_PROVIDERS_${name.toUpperCase()}_MODEL_PATH too`
        : `add model_path = "models/<name>.gguf" (or a directory of them) under [${
          formatKeyPath(["providers", name])
        }]`,
    }, ctx.envProviders?.get(name));
  }
}
