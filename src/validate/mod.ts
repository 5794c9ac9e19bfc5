/**
 * `llmspell validate`'s checks on one Lua 5.4 source: syntax (parse.ts), then, when it
 * parses, scopes, globals, llmspell's API and common mistakes (analyze.ts).
 *
 * @module
 */
import { analyze } from "./analyze.ts";
import { byPosition, type Diagnostic, type Finding } from "./diagnostic.ts";
import { parseLua } from "./parse.ts";
import { isIgnored, readDirectives } from "./directives.ts";

export type { Diagnostic } from "./diagnostic.ts";
export { formatDiagnostic } from "./diagnostic.ts";

/**
 * The diagnostics of `text`, named `file` in them, sorted by position. `safe`: the script
 * runs with security_level = "safe".
 */
export async function validateSource(
  text: string,
  file: string,
  options: { safe?: boolean } = {},
): Promise<Diagnostic[]> {
  let findings: Finding[];
  try {
    const parsed = await parseLua(text);
    findings = parsed.findings;
    if (parsed.chunk) {
      const directives = readDirectives(parsed.chunk.comments);
      findings = [
        ...findings,
        ...analyze(parsed.chunk, text, parsed.attribs, { ...options, globals: directives.globals })
          .filter((f) => !isIgnored(directives, f)),
      ];
    }
  } catch (e) {
    // The parser and the walk recurse; Lua itself refuses a script nested ~200 levels deep.
    if (!(e instanceof RangeError)) throw e;
    findings = [{
      line: 1,
      column: 1,
      severity: "error",
      code: "syntax",
      message: "the script nests too deeply to check (lua5.4 refuses it too: C stack overflow)",
      hint: null,
    }];
  }
  return findings.sort(byPosition).map((f) => ({ file, ...f }));
}
