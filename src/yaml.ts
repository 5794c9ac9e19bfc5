/**
 * A small YAML 1.2 emitter for JSON-like data, used by `--output yaml`.
 *
 * Output is block style (`key: value`, `- item`), two-space indentation, with `{}` and `[]`
 * for empty containers. Strings are emitted plain when that is unambiguous, as a literal
 * block (`|`, `|-`, `|+`) when they span lines, and double-quoted with escapes otherwise.
 * "Unambiguous" is judged against both the YAML 1.2 core schema and YAML 1.1 (which
 * PyYAML and many other readers still implement), so `"yes"`, `"0123"`, `"1:20"` and
 * `"2024-01-01"` stay strings in every reader.
 *
 * Values follow `JSON.stringify`: `toJSON` is honoured (dates become ISO strings),
 * `undefined`, functions and symbols are left out of objects and become `null` in
 * arrays. Non-finite numbers use YAML's `.inf`, `-.inf` and `.nan`.
 *
 * @module
 */

const INDENT = "  ";

/** Words that some YAML reader (1.1 or 1.2) resolves to null or a boolean. */
const RESERVED_WORDS = new Set([
  "",
  "~",
  "null",
  "true",
  "false",
  "yes",
  "no",
  "on",
  "off",
  "y",
  "n",
  // YAML 1.1 merge and value keys.
  "<<",
  "=",
]);

/** Characters that may not start a plain scalar (YAML 1.2 c-indicator, plus space/tab). */
const BAD_FIRST = new Set([..."-?:,[]{}#&*!|>'\"%@` \t"]);

/** Any character that cannot appear raw in a plain or literal scalar. */
// deno-lint-ignore no-control-regex
const NON_PRINTABLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]/u;

/**
 * Serialises `value` as a YAML document (ending with a newline).
 *
 * @throws TypeError on circular structures, like `JSON.stringify`.
 */
export function toYaml(value: unknown): string {
  const node = normalize(value, new Set()) ?? null;
  const lines: string[] = [];
  const inline = emitNode(node, 1, lines);
  if (inline !== null) return inline + "\n";
  // A multi-line string as the whole document: header, then its lines one level in.
  if (typeof node === "string") return `${literalHeader(node)}\n${lines.join("\n")}\n`;
  // Collections were emitted one level deep (so nested literals indent correctly); undo it.
  return lines.map((l) => l.slice(INDENT.length)).join("\n") + "\n";
}

/** JSON-like data after `toJSON`, with unrepresentable values removed. */
type Node = null | boolean | number | bigint | string | Node[] | { [key: string]: Node };

function normalize(value: unknown, seen: Set<object>): Node | undefined {
  if (value !== null && typeof value === "object" && "toJSON" in value) {
    const toJSON = (value as { toJSON: unknown }).toJSON;
    if (typeof toJSON === "function") value = toJSON.call(value);
  }
  switch (typeof value) {
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    case "string":
    case "number":
    case "boolean":
    case "bigint":
      return value;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError("toYaml: circular structure");
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v) => normalize(v, seen) ?? null);
    const out: { [key: string]: Node } = {};
    for (const [k, v] of Object.entries(obj)) {
      const n = normalize(v, seen);
      if (n !== undefined) out[k] = n;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/**
 * Emits `node` whose first line continues a line that is already open (after `key:` or
 * `- `). Returns the text for that line when the node fits on it, otherwise pushes the
 * node's own lines (indented by `indent` levels) and returns null.
 */
function emitNode(node: Node, indent: number, lines: string[]): string | null {
  if (node === null || typeof node !== "object") {
    if (typeof node === "string" && isLiteralCandidate(node)) {
      pushLiteral(node, indent, lines);
      return null;
    }
    return scalar(node);
  }
  if (Array.isArray(node)) {
    if (node.length === 0) return "[]";
    emitSequence(node, indent, lines);
    return null;
  }
  if (Object.keys(node).length === 0) return "{}";
  emitMapping(node, indent, lines);
  return null;
}

function emitMapping(node: { [key: string]: Node }, indent: number, lines: string[]): void {
  const pad = INDENT.repeat(indent);
  for (const [k, v] of Object.entries(node)) {
    const key = quoteString(k, true);
    const headerIndex = lines.length;
    lines.push(`${pad}${key}:`);
    const inline = emitNode(v, indent + 1, lines);
    if (inline !== null) lines[headerIndex] += " " + inline;
    else if (typeof v === "string") lines[headerIndex] += " " + literalHeader(v);
  }
}

function emitSequence(node: Node[], indent: number, lines: string[]): void {
  const pad = INDENT.repeat(indent);
  for (const item of node) {
    const start = lines.length;
    const inline = emitNode(item, indent + 1, lines);
    if (inline !== null) {
      lines.push(`${pad}- ${inline}`);
    } else if (typeof item === "string") {
      lines.splice(start, 0, `${pad}- ${literalHeader(item)}`);
    } else {
      // Nested collection: its first line (indented one level deeper) moves onto the
      // dash line, which is exactly one level's width: "- a: 1" / "  b: 2".
      lines[start] = `${pad}- ${lines[start].slice(pad.length + INDENT.length)}`;
    }
  }
}

function scalar(node: null | boolean | number | bigint | string): string {
  if (node === null) return "null";
  if (typeof node === "boolean" || typeof node === "bigint") return String(node);
  if (typeof node === "number") {
    if (Number.isNaN(node)) return ".nan";
    if (!Number.isFinite(node)) return node > 0 ? ".inf" : "-.inf";
    // YAML 1.1 readers want a dot in exponent floats ("1.0e+21"); 1.2 accepts both.
    const text = String(node);
    return /e/.test(text) && !text.includes(".") ? text.replace("e", ".0e") : text;
  }
  return quoteString(node, false);
}

/** Could `s` be read as something other than this string if written plain? */
function needsQuotes(s: string, isKey: boolean): boolean {
  if (RESERVED_WORDS.has(s.toLowerCase())) return true;
  if (BAD_FIRST.has(s[0])) return true;
  if (/\s$/.test(s) || NON_PRINTABLE.test(s) || /[\n\r\t]/.test(s)) return true;
  // ": " starts a mapping value and " #" a comment; a trailing ":" reads as a key.
  if (s.includes(": ") || s.includes(" #") || s.endsWith(":")) return true;
  // Numbers in any reader's syntax (ints, floats, hex, octal, 1.1 sexagesimal, dates,
  // versions): quoting a string that merely starts like a number is harmless.
  if (/^[-+]?\.?[0-9]/.test(s)) return true;
  if (/^[-+]?\.(inf|nan)$/i.test(s)) return true;
  if (s.startsWith("...")) return true;
  // Long keys need "? " syntax in plain form; quoted keys are simpler.
  if (isKey && s.length > 1024) return true;
  return false;
}

function quoteString(s: string, isKey: boolean): string {
  return needsQuotes(s, isKey) ? doubleQuote(s) : s;
}

const ESCAPES: Record<string, string> = {
  "\0": "\\0",
  "\x07": "\\a",
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\v": "\\v",
  "\f": "\\f",
  "\r": "\\r",
  "\x1b": "\\e",
  '"': '\\"',
  "\\": "\\\\",
  "\x85": "\\N",
  "\u2028": "\\L",
  "\u2029": "\\P",
};

/** A double-quoted scalar: the one style that can represent every string. */
export function doubleQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ESCAPES[ch] !== undefined) out += ESCAPES[ch];
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      out += "\\x" + code.toString(16).padStart(2, "0");
    } else if (code === 0xfeff || (code >= 0xd800 && code <= 0xdfff)) {
      // BOM and lone surrogates: escape so the output stays valid UTF-8 text.
      out += "\\u" + code.toString(16).padStart(4, "0");
    } else out += ch;
  }
  return out + '"';
}

/**
 * Multi-line strings read best as literal blocks. Excluded: strings a literal block
 * cannot hold exactly (carriage returns, control characters) and those starting with
 * whitespace or a line break, which would need an indentation indicator.
 */
function isLiteralCandidate(s: string): boolean {
  if (!s.includes("\n")) return false;
  if (s.includes("\r") || NON_PRINTABLE.test(s)) return false;
  if (/^[\s]/.test(s)) return false;
  return true;
}

/** `|-` strips the missing final newline, `|` keeps one, `|+` keeps several. */
function literalHeader(s: string): string {
  const trailing = s.length - s.replace(/\n+$/, "").length;
  return trailing === 0 ? "|-" : trailing === 1 ? "|" : "|+";
}

function pushLiteral(s: string, indent: number, lines: string[]): void {
  const pad = INDENT.repeat(indent);
  // The last line break belongs to the last line (and, with "|+", each further one to an
  // empty line); it is not a line of its own.
  const body = s.endsWith("\n") ? s.slice(0, -1) : s;
  for (const line of body.split("\n")) lines.push(line === "" ? "" : pad + line);
}
