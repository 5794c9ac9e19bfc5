/**
 * Lua 5.4 source to a syntax tree, with luaparse (npm; Lua 5.3 grammar: goto and labels,
 * `//`, bitwise operators) and a pre-pass for what 5.4 added to it, the attribs `<const>`
 * and `<close>` (docs/decisions/0021-lua-parser-for-validate.md). Loaded only by `validate`.
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
  line: number;
  column: number;
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
  comments: false,
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
  let source = text;
  const findings: Finding[] = [];
  const attribs = new Map<number, Attrib>();
  source = stripAttribs(lp, source, attribs, findings);
  for (let repairs = 0; repairs <= MAX_REPAIRS; repairs++) {
    try {
      return { chunk: lp.parse(source, OPTIONS) as Chunk, findings, attribs };
    } catch (e) {
      if (!isParseError(e)) throw e;
      const known = knownMistake(source, e);
      findings.push({
        line: e.line,
        column: e.column + 1,
        severity: "error",
        code: "syntax",
        message: known?.message ?? e.message.replace(/^\[\d+:\d+\] /, ""),
        hint: known?.hint ?? null,
      });
      if (!known?.repair) return { chunk: null, findings, attribs };
      source = source.slice(0, e.index) + known.repair +
        source.slice(e.index + known.repair.length);
    }
  }
  return { chunk: null, findings, attribs };
}

function isParseError(e: unknown): e is LuaParseError {
  return e instanceof SyntaxError && typeof (e as Partial<LuaParseError>).index === "number";
}

interface Mistake {
  message: string;
  hint: string;
  /** The same-length Lua text that replaces the mistake, when the parse can go on. */
  repair?: string;
}

/** Syntax errors that are habits from other languages. */
function knownMistake(source: string, e: LuaParseError): Mistake | undefined {
  const at = source.slice(e.index);
  if (at.startsWith("!=")) {
    return {
      message: "'!=' is not a Lua operator",
      hint: "Lua writes not-equal as ~=",
      repair: "~=",
    };
  }
  const compound = /^(\.\.|[-+*/%^&|])=/.exec(at);
  if (compound) {
    const op = compound[1];
    return {
      message: `Lua has no compound assignment '${op}='`,
      hint: `write x = x ${op} y`,
      repair: " ".repeat(op.length) + "=",
    };
  }
  const lineStart = source.lastIndexOf("\n", e.index - 1) + 1;
  if (at.startsWith("//") && source.slice(lineStart, e.index).trim() === "") {
    return {
      message: "'//' does not start a comment in Lua",
      hint: "comments start with --",
      repair: "--",
    };
  }
  if (at.startsWith("&&") || at.startsWith("||")) {
    const word = at.startsWith("&&") ? "and" : "or";
    return {
      message: `'${at.slice(0, 2)}' is not a Lua operator`,
      hint: `Lua writes it as ${word}`,
    };
  }
  if (at.startsWith("!")) {
    return { message: "'!' is not a Lua operator", hint: "Lua writes negation as not" };
  }
  if (/^continue\b/.test(at)) {
    return {
      message: "Lua has no continue statement",
      hint: "use goto continue, with ::continue:: just before the loop's end",
    };
  }
  if (/^'(then|do)' expected near '='/.test(e.message.replace(/^\[\d+:\d+\] /, ""))) {
    return {
      message: e.message.replace(/^\[\d+:\d+\] /, ""),
      hint: "a comparison is written ==; = only assigns",
    };
  }
  return undefined;
}

/**
 * Replaces each `<name>` after a local's name with spaces and records it, so that the
 * 5.3 grammar reads the declaration. Only tokens are looked at, never strings or comments.
 * A source the lexer cannot read is left as it is: the parse reports the error.
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
    return source;
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
