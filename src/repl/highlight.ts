/**
 * Lua syntax colouring of the input as it is typed: keywords, strings, numbers, comments.
 * Only ANSI SGR codes are added, so the visible text (and its width) is unchanged.
 */

const KEYWORDS = new Set(
  "and break do else elseif end false for function goto if in local nil not or repeat return then true until while"
    .split(" "),
);

const STYLE = {
  keyword: "\x1b[35m",
  string: "\x1b[32m",
  number: "\x1b[36m",
  comment: "\x1b[2m",
  reset: "\x1b[0m",
};

/** Token pattern; long brackets are matched whole, and unterminated ones to the end. */
const TOKEN =
  /--\[(=*)\[[\s\S]*?(?:\]\1\]|$)|--[^\n]*|\[(=*)\[[\s\S]*?(?:\]\2\]|$)|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?|0[xX][0-9a-fA-F.]+(?:[pP][+-]?\d+)?|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*/g;

export function highlightLua(text: string): string {
  let out = "";
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const tok = m[0];
    const at = m.index ?? 0;
    out += text.slice(last, at);
    last = at + tok.length;
    let style: string | undefined;
    if (tok.startsWith("--")) style = STYLE.comment;
    else if (tok[0] === '"' || tok[0] === "'" || tok[0] === "[") style = STYLE.string;
    else if (/^[\d.]/.test(tok)) style = STYLE.number;
    else if (KEYWORDS.has(tok)) style = STYLE.keyword;
    // Colour each line separately so a line break never carries a colour into the prompt.
    out += style ? tok.split("\n").map((p) => p ? style + p + STYLE.reset : p).join("\n") : tok;
  }
  return out + text.slice(last);
}
