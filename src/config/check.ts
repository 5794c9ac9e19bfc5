/**
 * Checking a configuration's raw TOML table against the schema (src/config/schema.ts): each
 * problem becomes a diagnostic with its key path, file position, what was expected and what
 * was found.
 */
import { suggest } from "../suggest.ts";
import { ConfigDiagnostic, DiagnosticKind } from "./diagnostics.ts";
import { KeyLocator, KeyPath } from "./locate.ts";
import {
  buildDefaults,
  ConfigValue,
  FieldSpec,
  FieldValue,
  MapSpec,
  SectionSpec,
} from "./schema.ts";

export type Table = { [key: string]: unknown };

export interface Ctx {
  file: string | null;
  /** Providers that only environment variables define: name → first variable. */
  envProviders?: Map<string, string>;
  locator: KeyLocator | null;
  diags: ConfigDiagnostic[];
}

export interface Problem {
  kind: DiagnosticKind;
  expected: string;
  found: string;
  /** For list items: which one. */
  index?: number;
  hint?: string;
}

export function isTable(v: unknown): v is Table {
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

export function report(
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

export function reportProblem(ctx: Ctx, path: KeyPath, p: Problem, env?: string): void {
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
export function checkSection(raw: Table, spec: SectionSpec, path: string[], ctx: Ctx): Table {
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
export function checkValue(
  spec: FieldSpec,
  v: unknown,
): { value?: FieldValue; problems: Problem[] } {
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
