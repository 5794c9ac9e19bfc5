/**
 * The text being edited and its cursor, with the Emacs-style editing operations. Text is
 * held as an array of code points so the cursor never splits a character.
 */

const WORD = /[\p{L}\p{N}_]/u;

export class LineBuffer {
  chars: string[] = [];
  cursor = 0;
  /** The last killed text, for Ctrl+Y. */
  killRing = "";

  get text(): string {
    return this.chars.join("");
  }

  set(text: string, cursor?: number): void {
    this.chars = Array.from(text);
    this.cursor = cursor ?? this.chars.length;
  }

  insert(text: string): void {
    const add = Array.from(text);
    this.chars.splice(this.cursor, 0, ...add);
    this.cursor += add.length;
  }

  backspace(): boolean {
    if (this.cursor === 0) return false;
    this.chars.splice(--this.cursor, 1);
    return true;
  }

  deleteForward(): boolean {
    if (this.cursor >= this.chars.length) return false;
    this.chars.splice(this.cursor, 1);
    return true;
  }

  left(): void {
    if (this.cursor > 0) this.cursor--;
  }

  right(): void {
    if (this.cursor < this.chars.length) this.cursor++;
  }

  home(): void {
    this.cursor = this.lineStart();
  }

  end(): void {
    this.cursor = this.lineEnd();
  }

  /** Start of the current line (a pasted block may hold several). */
  lineStart(): number {
    let i = this.cursor;
    while (i > 0 && this.chars[i - 1] !== "\n") i--;
    return i;
  }

  lineEnd(): number {
    let i = this.cursor;
    while (i < this.chars.length && this.chars[i] !== "\n") i++;
    return i;
  }

  #isWord(i: number): boolean {
    return WORD.test(this.chars[i] ?? "");
  }

  wordLeftIndex(): number {
    let i = this.cursor;
    while (i > 0 && !this.#isWord(i - 1)) i--;
    while (i > 0 && this.#isWord(i - 1)) i--;
    return i;
  }

  wordRightIndex(): number {
    let i = this.cursor;
    const n = this.chars.length;
    while (i < n && !this.#isWord(i)) i++;
    while (i < n && this.#isWord(i)) i++;
    return i;
  }

  wordLeft(): void {
    this.cursor = this.wordLeftIndex();
  }

  wordRight(): void {
    this.cursor = this.wordRightIndex();
  }

  #kill(from: number, to: number): void {
    if (to <= from) return;
    this.killRing = this.chars.slice(from, to).join("");
    this.chars.splice(from, to - from);
    this.cursor = from;
  }

  /** Ctrl+K */
  killToEnd(): void {
    this.#kill(this.cursor, this.lineEnd());
  }

  /** Ctrl+U */
  killToStart(): void {
    this.#kill(this.lineStart(), this.cursor);
  }

  /** Ctrl+W: the word (and spaces) before the cursor. */
  killWordBack(): void {
    let i = this.cursor;
    while (i > 0 && /\s/.test(this.chars[i - 1])) i--;
    while (i > 0 && !/\s/.test(this.chars[i - 1])) i--;
    this.#kill(i, this.cursor);
  }

  /** Alt+D */
  killWordForward(): void {
    this.#kill(this.cursor, this.wordRightIndex());
  }

  /** Ctrl+Y */
  yank(): void {
    this.insert(this.killRing);
  }

  /** Text before the cursor. */
  get beforeCursor(): string {
    return this.chars.slice(0, this.cursor).join("");
  }
}
