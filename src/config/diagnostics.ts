/**
 * Configuration problems as values, and their one-line rendering.
 *
 * @module
 */

import { isAbsolute, relative } from "../path.ts";
import { LlmspellError } from "../errors.ts";

/** What kind of problem a diagnostic reports (stable, for tools and tests). */
export type DiagnosticKind =
  | "syntax"
  | "type"
  | "enum"
  | "range"
  | "format"
  | "required"
  | "unknown_key"
  | "unknown_env";

/** One problem found in a configuration file or in an environment override. */
export interface ConfigDiagnostic {
  severity: "error" | "warning";
  kind: DiagnosticKind;
  /** The file the problem is in; null for environment overrides. */
  file: string | null;
  /** 1-based position of the offending key (or of the syntax error); null when unknown. */
  line: number | null;
  col: number | null;
  /** Dotted key path such as `engines.lua.max_memory_bytes` (`allowed_paths[1]` for items). */
  path: string;
  /** The environment variable the value came from, for overrides. */
  env?: string;
  /** What the schema wants, e.g. `a non-negative integer`. */
  expected?: string;
  /** What was there, e.g. `string "lots"`. */
  found?: string;
  /** The problem in words; for type errors `expected …, found …`. */
  message: string;
  hint?: string;
}

/** Options of `formatDiagnostic`. */
export interface FormatOptions {
  /** ANSI colours (pass true only for a terminal). */
  color?: boolean;
  /** Print file names relative to this directory when they are inside it. */
  cwd?: string;
}

const ansi = (code: string, s: string, on: boolean) => on ? `\x1b[${code}m${s}\x1b[0m` : s;

/**
 * One line, compiler style:
 * `llmspell.toml:3:1: error: engines.lua.max_memory_bytes: expected a non-negative
 * integer, found string "lots" (hint: …)`. Overrides are located as
 * `env LLMSPELL_KERNEL_IP`.
 */
export function formatDiagnostic(d: ConfigDiagnostic, opts: FormatOptions = {}): string {
  const color = opts.color ?? false;
  let where: string;
  if (d.env !== undefined) where = `env ${d.env}`;
  else if (d.file !== null) {
    let file = d.file;
    if (opts.cwd !== undefined && isAbsolute(file)) {
      const rel = relative(opts.cwd, file);
      if (rel !== "" && !rel.startsWith("..")) file = rel;
    }
    where = d.line !== null ? `${file}:${d.line}:${d.col ?? 1}` : file;
  } else where = "config";
  const sev = d.severity === "error"
    ? ansi("1;31", "error", color)
    : ansi("1;33", "warning", color);
  const path = d.path !== "" ? `${d.path}: ` : "";
  const hint = d.hint !== undefined ? ansi("2", ` (hint: ${d.hint})`, color) : "";
  return `${ansi("1", where, color)}: ${sev}: ${path}${d.message}${hint}`;
}

/**
 * The configuration has errors. `diagnostics` holds every error and warning found (render
 * them with `formatDiagnostic`); the message already lists the errors, so printing just
 * the message is complete too.
 */
export class ConfigError extends LlmspellError {
  readonly diagnostics: ConfigDiagnostic[];

  constructor(diagnostics: ConfigDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    const summary = errors.length === 1
      ? "invalid configuration"
      : `invalid configuration (${errors.length} errors)`;
    super({
      code: "config_invalid",
      message: [summary, ...errors.map((d) => "  " + formatDiagnostic(d))].join("\n"),
      hint: "fix the keys above; `llmspell config validate` checks a file without running anything",
    });
    this.name = "ConfigError";
    this.diagnostics = diagnostics;
  }
}
