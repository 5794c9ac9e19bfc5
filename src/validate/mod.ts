/**
 * `llmspell validate`'s checks on one Lua 5.4 source: syntax (parse.ts), then, when it
 * parses, scopes, globals, llmspell's API and common mistakes (analyze.ts).
 *
 * @module
 */
import { analyze } from "./analyze.ts";
import { byPosition, type Diagnostic } from "./diagnostic.ts";
import { parseLua } from "./parse.ts";

export type { Diagnostic } from "./diagnostic.ts";
export { formatDiagnostic } from "./diagnostic.ts";

/** The diagnostics of `text`, named `file` in them, sorted by position. */
export async function validateSource(text: string, file: string): Promise<Diagnostic[]> {
  const parsed = await parseLua(text);
  const findings = parsed.chunk
    ? [...parsed.findings, ...analyze(parsed.chunk, text, parsed.attribs)]
    : parsed.findings;
  return findings.sort(byPosition).map((f) => ({ file, ...f }));
}
