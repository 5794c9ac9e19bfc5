/**
 * What a script tells the validator in its comments:
 *
 * - `-- llmspell: globals NAME ...`: globals defined elsewhere (a module, the host), known
 *   in the whole file;
 * - `-- llmspell: ignore [CODE ...]` on a line: no diagnostic on that line (of those codes).
 *
 * @module
 */
import type { Comment } from "./ast.ts";
import type { Finding } from "./diagnostic.ts";

export interface Directives {
  globals: Set<string>;
  /** By line: the codes ignored there, or null for all. */
  ignore: Map<number, Set<string> | null>;
}

const DIRECTIVE = /^-?\s*llmspell:\s*(globals|ignore)\b(.*)$/;

export function readDirectives(comments: readonly Comment[]): Directives {
  const d: Directives = { globals: new Set(), ignore: new Map() };
  for (const c of comments) {
    const m = DIRECTIVE.exec(c.value.trim());
    if (!m) continue;
    const words = m[2].split(/[\s,]+/).filter((w) => w !== "");
    if (m[1] === "globals") words.forEach((w) => d.globals.add(w));
    else d.ignore.set(c.loc.start.line, words.length > 0 ? new Set(words) : null);
  }
  return d;
}

export function isIgnored(d: Directives, f: Finding): boolean {
  if (!d.ignore.has(f.line)) return false;
  const codes = d.ignore.get(f.line);
  return codes === null || codes!.has(f.code);
}
