/**
 * Lua 5.4 source to a syntax tree, with luaparse (npm; Lua 5.3 grammar: goto and labels,
 * `//`, bitwise operators) and a pre-pass for what 5.4 added to it, the attribs `<const>`
 * and `<close>` (docs/decisions/0024-lua-parser-for-validate.md). Loaded only by `validate`.
 *
 * A syntax error that is a known mistake from another language (`!=`, `+=`, a `//`
 * comment) is reported with a hint, rewritten in place to its Lua form (same length, so
 * positions hold) and the parse goes on, so that one run reports more than the first.
 *
 * @module
 */
import type { Chunk } from "./ast.ts";
import type { Finding } from "./diagnostic.ts";

export type Attrib = "const" | "close";

export interface Parsed {
  /** Null when a syntax error stopped the parse. */
  chunk: Chunk | null;
  findings: Finding[];
  /** The attrib of each local declared with one, by the offset of its name. */
  attribs: Map<number, Attrib>;
}

interface Token {
  type: number;
  value: string | number | null;
  range: [number, number];
  line: number;
  lineStart: number;
}

interface LuaParseError extends Error {
  index: number;
}

interface LuaParse {
  parse(source: string, options: Record<string, unknown>): unknown;
  lex(): Token;
}

const TOKEN = { eof: 1, keyword: 4, identifier: 8, punctuator: 32 } as const;

const OPTIONS = {
  luaVersion: "5.3",
  locations: true,
  ranges: true,
  comments: true,
  encodingMode: "none",
};

/** How many in-place repairs one file may get before the parse gives up. */
const MAX_REPAIRS = 50;

let loaded: LuaParse | undefined;
async function luaparse(): Promise<LuaParse> {
  loaded ??= (await import("luaparse")).default as LuaParse;
  return loaded;
}

/** Parses a chunk as lua5.4 loads it (a `#` first line already removed: file_chunk.ts). */
export async function parseLua(text: string): Promise<Parsed> {
  const lp = await luaparse();
  let source = lua54Literals(text);
  const findings: Finding[] = [];
  const attribs = new Map<number, Attrib>();
  for (let repairs = 0; repairs <= MAX_REPAIRS; repairs++) {
    // Again after each repair: the lexer stops at a mistake such as `!=`.
    source = stripAttribs(lp, source, attribs, findings);
    try {
      return { chunk: lp.parse(source, OPTIONS) as Chunk, findings, attribs };
    } catch (e) {
      if (!isParseError(e)) throw e;
      const message = e.message.replace(/^\[\d+:\d+\] /, "");
      const known = knownMistake(source, e.index, message);
      // luaparse's own column is sometimes the token's end: count from the offset.
      const at = positionOf(source, known?.index ?? e.index);
      findings.push({
        ...at,
        severity: "error",
        code: "syntax",
        message: known?.message ?? message,
        hint: known?.hint ?? null,
      });
      if (!known?.repair) return { chunk: null, findings, attribs };
      source = source.slice(0, known.index) + known.repair +
        source.slice(known.index + known.repair.length);
    }
  }
  return { chunk: null, findings, attribs };
}

/**
 * Two literals that Lua 5.4 reads and luaparse's 5.3 lexer does not, rewritten to ones it
 * does, of the same length: a hex float with no digit before its point (`0x.8p1`), and a
 * `\u{…}` escape above U+10FFFF (5.4 takes up to 2^31 - 1). Their values do not matter here.
 */
function lua54Literals(source: string): string {
  return source
    .replace(/\b(0[xX])\.(?=[\da-fA-F])/g, (_, prefix: string) => prefix + "0")
    .replace(/\\u\{([\da-fA-F]+)\}/g, (all, hex: string) => {
      const n = parseInt(hex, 16);
      return n > 0x10ffff && n <= 0x7fffffff ? `\\u{${"0".repeat(hex.length - 2)}41}` : all;
    });
}

function isParseError(e: unknown): e is LuaParseError {
  return e instanceof SyntaxError && typeof (e as Partial<LuaParseError>).index === "number";
}

interface Mistake {
  /** Where the mistake starts (the parser may fail a little after it). */
  index: number;
  message: string;
  hint: string;
  /** The same-length Lua text that replaces the mistake, when the parse can go on. */
  repair?: string;
}

/** 1-based line and column of an offset. */
function positionOf(source: string, index: number): { line: number; column: number } {
  const before = source.slice(0, index);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: index - lineStart + 1 };
}

/**
 * A `//` that starts the error's line, or the last non-blank line before it: Lua reads it
 * as integer division, and fails a little after it.
 */
function slashComment(source: string, index: number): number | undefined {
  const end = source.indexOf("\n", index);
  const lines = source.slice(0, end < 0 ? source.length : end).split("\n");
  let offset = source.slice(0, end < 0 ? source.length : end).length;
  for (let i = lines.length - 1; i >= 0; i--) {
    offset -= lines[i].length;
    const m = /^[ \t]*\/\//.exec(lines[i]);
    if (m) return offset + m[0].length - 2;
    if (i < lines.length - 1 && lines[i].trim() !== "") return undefined;
    offset -= 1;
  }
  return undefined;
}

/** Syntax errors that are habits from other languages. */
function knownMistake(source: string, index: number, message: string): Mistake | undefined {
  const at = source.slice(index);
  const before = source.slice(0, index);
  const comment = slashComment(source, index);
  if (comment !== undefined) {
    return {
      index: comment,
      message: "'//' does not start a comment in Lua",
      hint: "comments start with --",
      repair: "--",
    };
  }
  if (at.startsWith("!=")) {
    return {
      index,
      message: "'!=' is not a Lua operator",
      hint: "Lua writes not-equal as ~=",
      repair: "~=",
    };
  }
  const compound = /^(\.\.|[-+*/%^&|])=/.exec(at);
  if (compound) {
    const op = compound[1];
    return {
      index,
      message: `Lua has no compound assignment '${op}='`,
      hint: `write x = x ${op} y`,
      repair: " ".repeat(op.length) + "=",
    };
  }
  // `a && b` fails at the second & (the first is Lua's bitwise and).
  for (const [op, word] of [["&&", "and"], ["||", "or"]]) {
    const start = at.startsWith(op)
      ? index
      : before.endsWith(op[0]) && at.startsWith(op[0])
      ? index - 1
      : -1;
    if (start < 0) continue;
    return {
      index: start,
      message: `'${op}' is not a Lua operator`,
      hint: `Lua writes it as ${word}`,
      // `or` has the length of `||`; `and` is longer than `&&`.
      repair: word.length === 2 ? word : undefined,
    };
  }
  if (at.startsWith("!")) {
    return { index, message: "'!' is not a Lua operator", hint: "Lua writes negation as not" };
  }
  const cont = /\bcontinue\s*$/.exec(before);
  if (cont || /^continue\b/.test(at)) {
    return {
      index: cont ? cont.index : index,
      message: "Lua has no continue statement",
      hint: "use goto continue, with ::continue:: just before the loop's end",
    };
  }
  const elseIf = /\belse[ \t]+if\b/.exec(source);
  if (/^'end' expected/.test(message) && elseIf) {
    return {
      index,
      message,
      hint: `'else if' on line ${
        positionOf(source, elseIf.index).line
      } opens a new if that needs its own end: write elseif`,
    };
  }
  if (/^'(then|do)' expected near '='/.test(message)) {
    return { index, message, hint: "a comparison is written ==; = only assigns" };
  }
  return undefined;
}

/**
 * Replaces each `<name>` after a local's name with spaces and records it, so that the
 * 5.3 grammar reads the declaration. Only tokens are looked at, never strings or comments.
 */
function stripAttribs(
  lp: LuaParse,
  source: string,
  attribs: Map<number, Attrib>,
  findings: Finding[],
): string {
  if (!source.includes("<")) return source;
  const tokens: Token[] = [];
  try {
    lp.parse(source, { ...OPTIONS, wait: true });
    for (let t = lp.lex(); t.type !== TOKEN.eof; t = lp.lex()) tokens.push(t);
  } catch {
    // Not a token (`!=`, an unfinished string): the attribs before it are still read; the
    // parse reports the error, and after a repair this runs again.
  }
  const is = (t: Token | undefined, type: number, value?: string) =>
    t !== undefined && t.type === type && (value === undefined || t.value === value);
  let out = source;
  for (let i = 0; i < tokens.length; i++) {
    if (!is(tokens[i], TOKEN.keyword, "local")) continue;
    let closes = 0;
    for (let j = i + 1; is(tokens[j], TOKEN.identifier); j += 2) {
      const name = tokens[j];
      if (
        is(tokens[j + 1], TOKEN.punctuator, "<") && is(tokens[j + 2], TOKEN.identifier) &&
        is(tokens[j + 3], TOKEN.punctuator, ">")
      ) {
        const kind = String(tokens[j + 2].value);
        const start = tokens[j + 1].range[0];
        const end = tokens[j + 3].range[1];
        const at = {
          line: tokens[j + 2].line,
          column: tokens[j + 2].range[0] - tokens[j + 2].lineStart + 1,
        };
        if (kind === "const" || kind === "close") {
          attribs.set(name.range[0], kind);
          if (kind === "close" && ++closes === 2) {
            findings.push({
              ...at,
              severity: "error",
              code: "syntax",
              message: "multiple to-be-closed variables in local list",
              hint: null,
            });
          }
        } else {
          findings.push({
            ...at,
            severity: "error",
            code: "syntax",
            message: `unknown attribute '${kind}'`,
            hint: "the attribs are <const> and <close>",
          });
        }
        out = out.slice(0, start) + " ".repeat(end - start) + out.slice(end);
        j += 3;
      }
      if (!is(tokens[j + 1], TOKEN.punctuator, ",")) break;
    }
  }
  return out;
}
