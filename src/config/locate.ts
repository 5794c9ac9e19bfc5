/**
 * Maps key paths to where their keys are written in a TOML document, so semantic errors
 * point at `file:line:col` like syntax errors do. smol-toml returns plain objects
 * without positions, hence this small scanner.
 *
 * It understands `[a.b]` and `[[a.b]]` headers, dotted and quoted keys, inline tables,
 * arrays (whose elements are located by index) and all four string kinds. It expects a
 * document that already parsed; on anything else it stops early and knows less.
 *
 * @module
 */

/** A 1-based line and column (UTF-16 code units, as editors count). */
export interface Position {
  line: number;
  col: number;
}

/** A key path: table keys, and array indices for array elements and `[[tables]]`. */
export type KeyPath = readonly (string | number)[];

const BARE_KEY = /[A-Za-z0-9_-]/;

/** Positions of every key (and array element) of one TOML document. */
export class KeyLocator {
  readonly #text: string;
  readonly #offsets = new Map<string, number>();
  readonly #lineStarts: number[] = [0];
  #i = 0;
  /** Offset of the last key segment read by `#key`. */
  #segmentStart = 0;

  constructor(text: string) {
    this.#text = text;
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") this.#lineStarts.push(i + 1);
    try {
      this.#document();
    } catch {
      // Invalid TOML: keep what was found so far.
    }
  }

  /**
   * Where the key at `path` is written; for a path that is not in the text (a missing
   * required key, say), where its nearest written ancestor is. Null when not even the
   * first segment is written.
   */
  find(path: KeyPath): Position | null {
    for (let n = path.length; n > 0; n--) {
      const offset = this.#offsets.get(JSON.stringify(path.slice(0, n)));
      if (offset !== undefined) return this.#position(offset);
    }
    return null;
  }

  /** Whether the exact path is written in the text. */
  has(path: KeyPath): boolean {
    return this.#offsets.has(JSON.stringify(path));
  }

  #position(offset: number): Position {
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.#lineStarts[lo] + 1 };
  }

  #record(path: KeyPath, offset: number): void {
    const k = JSON.stringify(path);
    if (!this.#offsets.has(k)) this.#offsets.set(k, offset);
  }

  #document(): void {
    const t = this.#text;
    let table: KeyPath = [];
    const arrayCounts = new Map<string, number>();
    for (;;) {
      this.#skipBlank(true);
      if (this.#i >= t.length) return;
      if (t.startsWith("[[", this.#i)) {
        this.#i += 2;
        const keys = this.#key([]);
        const id = JSON.stringify(keys);
        const n = arrayCounts.get(id) ?? 0;
        arrayCounts.set(id, n + 1);
        table = [...keys, n];
        this.#record(table, this.#segmentStart);
        this.#expect("]]");
      } else if (t[this.#i] === "[") {
        this.#i++;
        table = this.#key([]);
        this.#expect("]");
      } else {
        this.#keyValue(table);
      }
    }
  }

  /**
   * Reads a dotted key, recording each prefix under `base` at its segment's offset, and
   * returns the full path.
   */
  #key(base: KeyPath): (string | number)[] {
    const t = this.#text;
    const path: (string | number)[] = [...base];
    for (;;) {
      this.#skipBlank(false);
      const start = this.#i;
      let name: string;
      if (t[this.#i] === '"') name = JSON.parse(this.#basicString());
      else if (t[this.#i] === "'") name = this.#literalString();
      else {
        while (this.#i < t.length && BARE_KEY.test(t[this.#i])) this.#i++;
        if (this.#i === start) throw new Error("expected a key");
        name = t.slice(start, this.#i);
      }
      path.push(name);
      this.#segmentStart = start;
      this.#record(path, start);
      this.#skipBlank(false);
      if (t[this.#i] !== ".") return path;
      this.#i++;
    }
  }

  #keyValue(table: KeyPath): void {
    const path = this.#key(table);
    this.#expect("=");
    this.#value(path);
  }

  #value(path: KeyPath): void {
    const t = this.#text;
    this.#skipBlank(false);
    const c = t[this.#i];
    if (t.startsWith('"""', this.#i)) this.#multiline('"""');
    else if (t.startsWith("'''", this.#i)) this.#multiline("'''");
    else if (c === '"') this.#basicString();
    else if (c === "'") this.#literalString();
    else if (c === "[") {
      this.#i++;
      for (let n = 0;; n++) {
        this.#skipBlank(true);
        if (t[this.#i] === "]") break;
        this.#record([...path, n], this.#i);
        this.#value([...path, n]);
        this.#skipBlank(true);
        if (t[this.#i] === ",") this.#i++;
        else if (t[this.#i] !== "]") throw new Error("bad array");
      }
      this.#i++;
    } else if (c === "{") {
      this.#i++;
      for (;;) {
        this.#skipBlank(true);
        if (t[this.#i] === "}") break;
        this.#keyValue(path);
        this.#skipBlank(true);
        if (t[this.#i] === ",") this.#i++;
        else if (t[this.#i] !== "}") throw new Error("bad inline table");
      }
      this.#i++;
    } else {
      // Numbers, booleans, dates (which may contain one space): up to a delimiter.
      const start = this.#i;
      while (this.#i < t.length && !/[,\]}\n#\r]/.test(t[this.#i])) this.#i++;
      if (this.#i === start) throw new Error("expected a value");
    }
  }

  /** Skips a "..." string and returns its source text (valid JSON for key names). */
  #basicString(): string {
    const t = this.#text;
    const start = this.#i++;
    while (this.#i < t.length && t[this.#i] !== '"') {
      if (t[this.#i] === "\\") this.#i++;
      this.#i++;
    }
    this.#i++;
    return t.slice(start, this.#i);
  }

  #literalString(): string {
    const t = this.#text;
    const start = ++this.#i;
    const end = t.indexOf("'", start);
    if (end < 0) throw new Error("unterminated string");
    this.#i = end + 1;
    return t.slice(start, end);
  }

  #multiline(delim: string): void {
    const t = this.#text;
    this.#i += 3;
    for (;;) {
      if (this.#i >= t.length) throw new Error("unterminated string");
      if (delim === '"""' && t[this.#i] === "\\") this.#i += 2;
      else if (t.startsWith(delim, this.#i)) break;
      else this.#i++;
    }
    this.#i += 3;
    // Up to two quotes right before the closing delimiter belong to the content.
    for (let k = 0; k < 2 && t[this.#i] === delim[0]; k++) this.#i++;
  }

  /** Skips spaces and tabs, and with `newlines` also line breaks and comments. */
  #skipBlank(newlines: boolean): void {
    const t = this.#text;
    while (this.#i < t.length) {
      const c = t[this.#i];
      if (c === " " || c === "\t") this.#i++;
      else if (newlines && (c === "\n" || c === "\r")) this.#i++;
      else if (newlines && c === "#") {
        while (this.#i < t.length && t[this.#i] !== "\n") this.#i++;
      } else return;
    }
  }

  #expect(s: string): void {
    this.#skipBlank(false);
    if (!this.#text.startsWith(s, this.#i)) throw new Error(`expected ${s}`);
    this.#i += s.length;
    // A comment may follow a header or a value on the same line.
    this.#skipBlank(false);
  }
}
