/**
 * Text helpers for completion, inspection and is-complete that need no Lua: the dotted
 * name at a cursor, and the indent of the next line of an unfinished block.
 */

/** JavaScript counts UTF-16 units; Jupyter's cursor_pos counts code points (5.2+). */
export function codeUnitIndex(code: string, cursorPos: number): number {
  let units = 0;
  let points = 0;
  while (units < code.length && points < cursorPos) {
    const c = code.codePointAt(units)!;
    units += c > 0xffff ? 2 : 1;
    points++;
  }
  return units;
}

/** Code points in `s`. */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export interface NameAtCursor {
  /** Names before the last separator. */
  path: string[];
  sep: "" | "." | ":";
  /** The partial last name. */
  prefix: string;
  /** Code-unit index where the partial name starts. */
  start: number;
}

const NAME_CHAIN = /((?:[A-Za-z_][A-Za-z0-9_]*\s*[.:]\s*)*)([A-Za-z_][A-Za-z0-9_]*)?$/;

/** The name being typed just before `end` (a code-unit index), for completion. */
export function nameBefore(code: string, end: number): NameAtCursor {
  const before = code.slice(0, end);
  const m = NAME_CHAIN.exec(before);
  const chain = m?.[1] ?? "";
  const prefix = m?.[2] ?? "";
  const start = end - prefix.length;
  if (chain === "") return { path: [], sep: "", prefix, start };
  const parts = chain.split(/\s*([.:])\s*/).filter((s) => s !== "");
  // parts: name, sep, name, sep, ...
  const path: string[] = [];
  let sep: "." | ":" = ".";
  for (let i = 0; i < parts.length; i += 2) {
    path.push(parts[i]);
    sep = parts[i + 1] as "." | ":";
  }
  // A string literal or call result before the chain is not resolvable: the chain regex
  // starts at a name, so `("x"):up` yields no path. `a.b:c.d` is not valid Lua either.
  return { path, sep, prefix, start };
}

/**
 * The dotted name under or just before the cursor, for inspection; inside the argument
 * list of a call, the called function's name.
 */
export function nameAt(code: string, cursor: number): string[] | undefined {
  let end = cursor;
  while (end < code.length && /[A-Za-z0-9_]/.test(code[end])) end++;
  const direct = nameBefore(code, end);
  if (direct.prefix !== "") return [...direct.path, direct.prefix];
  // Inside a call: find the unmatched "(" before the cursor.
  let depth = 0;
  for (let i = cursor - 1; i >= 0; i--) {
    const c = code[i];
    if (c === ")") depth++;
    else if (c === "(") {
      if (depth === 0) {
        const n = nameBefore(code, i);
        return n.prefix !== "" ? [...n.path, n.prefix] : undefined;
      }
      depth--;
    }
  }
  return undefined;
}

/** The indent for the next line of unfinished code: two spaces per open block. */
export function nextIndent(code: string): string {
  // Strip comments and strings roughly, then count block openers and closers.
  const stripped = code
    .replace(/--\[(=*)\[[\s\S]*?\]\1\]/g, " ")
    .replace(/--[^\n]*/g, " ")
    .replace(/\[(=*)\[[\s\S]*?\]\1\]/g, '""')
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');
  let depth = 0;
  for (const m of stripped.matchAll(/\b(function|do|then|repeat|end|until|elseif)\b|[{}()]/g)) {
    const t = m[1] ?? m[0];
    if (
      t === "function" || t === "do" || t === "then" || t === "repeat" || t === "{" || t === "("
    ) {
      depth++;
    } else if (t === "elseif") depth--; // its `then` opens again
    else depth--;
  }
  return "  ".repeat(Math.max(0, Math.min(depth, 20)));
}
