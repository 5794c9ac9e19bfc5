/**
 * What `llmspell validate` reports: one problem at a place in a Lua file, and its one-line
 * rendering, compiler style: `FILE:LINE:COL: error|warning: message (hint: …)`.
 *
 * @module
 */

export type Severity = "error" | "warning";

/** Stable codes, for tools and tests (README lists them). */
export type DiagnosticCode =
  | "syntax"
  | "const-assign"
  | "undefined-global"
  | "global-in-function"
  | "unknown-field"
  | "unknown-method"
  | "sandbox"
  | "argument-count"
  | "dot-call"
  | "colon-call"
  | "hook-point"
  | "unused-local"
  | "shadowing"
  | "zero-index"
  | "string-index"
  | "missing-iterator"
  | "string-arithmetic"
  | "not-precedence"
  | "format-arguments"
  | "duplicate-key";

export interface Diagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in characters of the line. */
  column: number;
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  /** What to do about it; null when the message says it all. */
  hint: string | null;
}

/** A diagnostic before it is given its file. */
export type Finding = Omit<Diagnostic, "file">;

export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? ` (hint: ${d.hint})` : "";
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${hint}`;
}

/** By position, then errors before warnings. */
export function byPosition(a: Finding, b: Finding): number {
  return a.line - b.line || a.column - b.column ||
    (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1);
}
