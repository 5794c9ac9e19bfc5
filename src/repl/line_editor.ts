/**
 * A line editor on a raw terminal: Emacs keys, word motions, history with prefix filtering,
 * Ctrl+R / Ctrl+S incremental search, Tab completion, bracketed paste, wide characters and
 * wrapping. It owns no terminal itself: input chunks and output go through `Terminal`, so
 * the REPL drives it over Deno.stdin/stdout and the tests over plain buffers.
 */
import type { InputHistory } from "./input_history.ts";
import { KeyDecoder, type KeyEvent } from "./keys.ts";
import { LineBuffer } from "./line_buffer.ts";
import { highlightLua } from "./highlight.ts";
import { HistorySearch } from "./history_search.ts";
import { charWidth, stringWidth, stripAnsi } from "./width.ts";

export interface Terminal {
  /** The next chunk of raw input, or null at end of input. */
  read(): Promise<Uint8Array | null>;
  write(s: string): void;
  columns(): number;
}

export interface Completion {
  matches: string[];
  /** The range of the input the chosen match replaces (code point offsets). */
  start: number;
  end: number;
}

export type Completer = (text: string, cursor: number) => Promise<Completion>;

/** Per-read settings: another prompt's history and completion (the REPL's `(debug)`). */
export interface ReadOptions {
  history?: InputHistory;
  completer?: Completer;
  /** Highlight the input as Lua (default: the editor's `color`). */
  highlight?: boolean;
}

export type ReadResult =
  | { kind: "line"; text: string }
  | { kind: "eof" }
  | { kind: "cancel" };

export interface EditorOptions {
  color: boolean;
  completer?: Completer;
  /** More candidates than this ask "show all N?" first. */
  listLimit?: number;
  /** How long a lone ESC waits for the rest of a sequence. */
  escapeTimeoutMs?: number;
}

export class LineEditor {
  readonly #term: Terminal;
  readonly #mainHistory: InputHistory;
  #history: InputHistory;
  #completer: Completer | undefined;
  #highlight = false;
  readonly #opts: Required<Omit<EditorOptions, "completer">> & { completer?: Completer };
  readonly #decoder = new KeyDecoder();
  #queue: KeyEvent[] = [];
  #pendingRead: Promise<Uint8Array | null> | undefined;
  #eof = false;
  #pumping = false;
  #waiter: (() => void) | undefined;
  #onInterrupt: (() => void) | undefined;
  #reading = false;

  #buf = new LineBuffer();
  #prompt = "";
  #contPrompt = "";
  /** Row of the cursor inside the rendered region, to find the region's top again. */
  #cursorRow = 0;
  #histIndex = 0;
  #histPrefix = "";
  #histSaved = "";
  #search: HistorySearch | undefined;

  constructor(term: Terminal, history: InputHistory, opts: EditorOptions) {
    this.#term = term;
    this.#mainHistory = history;
    this.#history = history;
    this.#opts = { listLimit: 100, escapeTimeoutMs: 25, ...opts };
    this.#completer = opts.completer;
    this.#highlight = opts.color;
  }

  /** Draws the input again, e.g. after the terminal was resized (SIGWINCH). */
  redraw(): void {
    if (this.#reading) this.#render();
  }

  /** Reads one input. `prompt` may hold colour codes; continuation lines use its width. */
  async readLine(prompt: string, initial = "", read: ReadOptions = {}): Promise<ReadResult> {
    this.#history = read.history ?? this.#mainHistory;
    this.#completer = read.history || read.completer ? read.completer : this.#opts.completer;
    this.#highlight = this.#opts.color && (read.highlight ?? true);
    this.#prompt = prompt;
    const w = stringWidth(stripAnsi(prompt));
    this.#contPrompt = " ".repeat(Math.max(0, w - 4)) + "... ";
    this.#buf = new LineBuffer();
    this.#buf.set(initial);
    this.#cursorRow = 0;
    this.#histIndex = this.#history.length;
    this.#search = undefined;
    this.#render();
    this.#reading = true;
    try {
      return await this.#readKeys();
    } finally {
      this.#reading = false;
    }
  }

  async #readKeys(): Promise<ReadResult> {
    for (;;) {
      const ev = await this.#nextKey();
      if (ev === null) {
        this.#finish();
        return this.#buf.text === "" ? { kind: "eof" } : { kind: "line", text: this.#buf.text };
      }
      const r = await this.#handle(ev);
      if (r) return r;
      this.#render();
    }
  }

  /**
   * One reader feeds every key into the queue, whether or not a line is being read, so
   * keys typed while a cell runs are kept for the next prompt and Ctrl+C during a cell
   * reaches `watch`. The terminal can then stay in raw mode for the whole session.
   */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    (async () => {
      for (;;) {
        this.#pendingRead ??= this.#term.read();
        let chunk: Uint8Array | null | "timeout";
        if (this.#decoder.hasPending) {
          // A lone ESC is a key only if nothing follows it soon.
          let timer: ReturnType<typeof setTimeout> | undefined;
          const timeout = new Promise<"timeout">((res) => {
            timer = setTimeout(() => res("timeout"), this.#opts.escapeTimeoutMs);
          });
          chunk = await Promise.race([this.#pendingRead, timeout]);
          clearTimeout(timer);
        } else {
          chunk = await this.#pendingRead;
        }
        if (chunk === "timeout") {
          this.#enqueue(this.#decoder.flush());
          continue;
        }
        this.#pendingRead = undefined;
        if (chunk === null) {
          this.#enqueue(this.#decoder.flush());
          this.#eof = true;
          this.#wake();
          return;
        }
        this.#enqueue(this.#decoder.feed(chunk));
      }
    })().catch(() => {
      this.#eof = true;
      this.#wake();
    });
  }

  #enqueue(events: KeyEvent[]): void {
    for (const ev of events) {
      if (this.#onInterrupt && isCtrlC(ev)) this.#onInterrupt();
      else this.#queue.push(ev);
    }
    if (events.length > 0) this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /**
   * While something else runs (a cell): Ctrl+C calls `onInterrupt`; other keys wait for
   * the next readLine. Returns the function that ends the watch.
   */
  watch(onInterrupt: () => void): () => void {
    this.#onInterrupt = onInterrupt;
    // A Ctrl+C typed before the watch began (with the Enter that started the cell, say)
    // is for what runs now, not for the next prompt.
    const typedAhead = this.#queue.filter(isCtrlC);
    this.#queue = this.#queue.filter((ev) => !isCtrlC(ev));
    for (const _ of typedAhead) onInterrupt();
    this.#pump();
    return () => {
      if (this.#onInterrupt === onInterrupt) this.#onInterrupt = undefined;
    };
  }

  async #nextKey(): Promise<KeyEvent | null> {
    this.#pump();
    while (this.#queue.length === 0) {
      if (this.#eof) return null;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
    return this.#queue.shift() ?? null;
  }

  async #handle(ev: KeyEvent): Promise<ReadResult | undefined> {
    if (ev.kind === "unknown") return undefined;
    if (this.#search) {
      const consumed = this.#handleSearch(ev);
      if (consumed === "submit") return this.#submit();
      if (consumed) return undefined;
    }
    const b = this.#buf;
    switch (ev.kind) {
      case "text":
        b.insert(ev.text);
        break;
      case "paste":
        b.insert(ev.text);
        break;
      case "key":
        switch (ev.name) {
          case "enter":
            return this.#submit();
          case "tab":
            await this.#complete();
            break;
          case "backspace":
            b.backspace();
            break;
          case "delete":
            b.deleteForward();
            break;
          case "left":
            if (ev.ctrl || ev.alt) b.wordLeft();
            else b.left();
            break;
          case "right":
            if (ev.ctrl || ev.alt) b.wordRight();
            else b.right();
            break;
          case "home":
            b.home();
            break;
          case "end":
            b.end();
            break;
          case "up":
            this.#historyStep(-1);
            break;
          case "down":
            this.#historyStep(1);
            break;
          default:
            break;
        }
        break;
      case "ctrl":
        switch (ev.key) {
          case "a":
            b.home();
            break;
          case "e":
            b.end();
            break;
          case "b":
            b.left();
            break;
          case "f":
            b.right();
            break;
          case "k":
            b.killToEnd();
            break;
          case "u":
            b.killToStart();
            break;
          case "w":
            b.killWordBack();
            break;
          case "y":
            b.yank();
            break;
          case "p":
            this.#historyStep(-1);
            break;
          case "n":
            this.#historyStep(1);
            break;
          case "l":
            this.#term.write("\x1b[H\x1b[2J");
            this.#cursorRow = 0;
            break;
          case "c":
            this.#finish("^C");
            return { kind: "cancel" };
          case "d":
            if (b.text === "") {
              this.#finish();
              return { kind: "eof" };
            }
            b.deleteForward();
            break;
          case "r":
          case "s":
            this.#search = new HistorySearch(this.#history, ev.key === "r", b.text, b.cursor);
            break;
          default:
            break;
        }
        break;
      case "alt":
        switch (ev.key) {
          case "b":
            b.wordLeft();
            break;
          case "f":
            b.wordRight();
            break;
          case "d":
            b.killWordForward();
            break;
          case "backspace":
            b.killWordBack();
            break;
          case "enter":
            // Alt+Enter, or Esc and Enter in one burst: the Enter is not lost.
            return this.#submit();
          default:
            break;
        }
        break;
    }
    return undefined;
  }

  #submit(): ReadResult {
    const text = this.#buf.text;
    this.#search = undefined;
    this.#finish();
    return { kind: "line", text };
  }

  /** Redraws without search decoration, moves below the input and ends the line. */
  #finish(suffix = ""): void {
    this.#search = undefined;
    this.#buf.cursor = this.#buf.chars.length;
    this.#render();
    this.#term.write(suffix + "\r\n");
    this.#cursorRow = 0;
  }

  // History ---------------------------------------------------------------------------------

  #historyStep(dir: -1 | 1): void {
    const h = this.#history;
    if (this.#histIndex === h.length) {
      this.#histPrefix = this.#buf.text;
      this.#histSaved = this.#buf.text;
    }
    if (dir < 0) {
      const i = h.previous(this.#histIndex, this.#histPrefix);
      if (i < 0) return;
      this.#histIndex = i;
      this.#buf.set(h.at(i));
    } else {
      const i = h.next(this.#histIndex, this.#histPrefix);
      if (i < 0) {
        this.#histIndex = h.length;
        this.#buf.set(this.#histSaved);
      } else {
        this.#histIndex = i;
        this.#buf.set(h.at(i));
      }
    }
  }

  /** Handles a key in search mode: true if consumed, "submit" to accept and run. */
  #handleSearch(ev: KeyEvent): boolean | "submit" {
    const s = this.#search!;
    const step = s.key(ev);
    if (step.kind === "search") return true;
    this.#search = undefined;
    if (step.kind === "cancel") {
      this.#buf.set(s.original, s.originalCursor);
      return true;
    }
    if (step.match !== undefined) {
      this.#buf.set(step.match);
      this.#histIndex = s.index;
    }
    return step.submit ? "submit" : false;
  }

  // Completion ------------------------------------------------------------------------------

  async #complete(): Promise<void> {
    const completer = this.#completer;
    if (!completer) {
      this.#buf.insert("  ");
      return;
    }
    const b = this.#buf;
    // Indent instead of completing at the start of a line or after blanks.
    if (/(^|\n)[ \t]*$/.test(b.beforeCursor)) {
      b.insert("  ");
      return;
    }
    const { matches, start, end } = await completer(b.text, b.cursor);
    if (matches.length === 0) return;
    const typed = b.chars.slice(start, end).join("");
    const common = commonPrefix(matches);
    if (matches.length === 1 || common.length > typed.length) {
      const insert = matches.length === 1 ? matches[0] : common;
      b.chars.splice(start, end - start, ...Array.from(insert));
      b.cursor = start + Array.from(insert).length;
      return;
    }
    await this.#listCandidates(matches);
  }

  async #listCandidates(matches: string[]): Promise<void> {
    this.#moveToEnd();
    this.#term.write("\r\n");
    this.#cursorRow = 0;
    if (matches.length > this.#opts.listLimit) {
      this.#term.write(`show all ${matches.length} candidates? (y or n) `);
      const answer = await this.#nextKey();
      this.#term.write("\r\n");
      if (!(answer?.kind === "text" && answer.text.toLowerCase().startsWith("y"))) return;
    }
    this.#term.write(formatColumns(matches, this.#term.columns()));
  }

  // Rendering -------------------------------------------------------------------------------

  #moveToEnd(): void {
    const layout = this.#layout();
    const down = layout.endRow - layout.cursorRow;
    if (down > 0) this.#term.write(`\x1b[${down}B`);
  }

  #displayText(): { prompt: string; text: string; cursor: number } {
    if (this.#search) {
      const { prompt, text } = this.#search.display(this.#buf.text);
      return { prompt, text, cursor: Array.from(text).length };
    }
    return { prompt: this.#prompt, text: this.#buf.text, cursor: this.#buf.cursor };
  }

  #layout(): { cursorRow: number; cursorCol: number; endRow: number; endCol: number } {
    const { prompt, text, cursor } = this.#displayText();
    const cols = Math.max(10, this.#term.columns());
    const promptW = stringWidth(stripAnsi(prompt));
    const contW = stringWidth(this.#contPrompt);
    let row = Math.floor(promptW / cols);
    let col = promptW % cols;
    let cursorRow = row;
    let cursorCol = col;
    const chars = Array.from(text);
    for (let i = 0; i < chars.length; i++) {
      if (i === cursor) [cursorRow, cursorCol] = [row, col];
      const ch = chars[i];
      if (ch === "\n") {
        row++;
        col = contW;
        continue;
      }
      // A Tab shows as TAB_SPACES (render), each a column of its own.
      for (const c of ch === "\t" ? TAB_SPACES : ch) {
        const w = charWidth(c);
        if (col + w > cols) {
          row++;
          col = 0;
        }
        col += w;
        if (col >= cols) {
          row++;
          col = 0;
        }
      }
    }
    if (cursor >= chars.length) [cursorRow, cursorCol] = [row, col];
    return { cursorRow, cursorCol, endRow: row, endCol: col };
  }

  #render(): void {
    const { prompt, text } = this.#displayText();
    let out = "\r";
    if (this.#cursorRow > 0) out += `\x1b[${this.#cursorRow}A`;
    out += "\x1b[J" + prompt;
    const body = this.#search
      ? this.#search.highlight(text, this.#opts.color)
      : this.#highlight
      ? highlightLua(text)
      : text;
    out += body.replaceAll("\t", TAB_SPACES).replaceAll("\n", "\r\n" + this.#contPrompt);
    const layout = this.#layout();
    // At the right margin the terminal holds the cursor in the last column: force the wrap.
    if (layout.endCol === 0 && layout.endRow > 0 && !text.endsWith("\n")) out += " \r";
    const up = layout.endRow - layout.cursorRow;
    if (up > 0) out += `\x1b[${up}A`;
    out += "\r";
    if (layout.cursorCol > 0) out += `\x1b[${layout.cursorCol}C`;
    this.#term.write(out);
    this.#cursorRow = layout.cursorRow;
  }
}

/**
 * How a Tab in the input is drawn: a terminal would move a raw Tab to its next tab stop,
 * where the editor cannot follow the cursor.
 */
const TAB_SPACES = "  ";

export function commonPrefix(items: string[]): string {
  if (items.length === 0) return "";
  let p = items[0];
  for (const s of items) {
    while (!s.startsWith(p)) p = p.slice(0, -1);
  }
  return p;
}

/** Candidates in columns that fit the terminal width, ending with a newline. */
export function formatColumns(items: string[], width: number): string {
  const colW = Math.max(...items.map((s) => stringWidth(s))) + 2;
  const perRow = Math.max(1, Math.floor(width / colW));
  const rows = Math.ceil(items.length / perRow);
  let out = "";
  for (let r = 0; r < rows; r++) {
    let line = "";
    for (let c = 0; c < perRow; c++) {
      const item = items[c * rows + r];
      if (item === undefined) continue;
      line += item + " ".repeat(colW - stringWidth(item));
    }
    out += line.trimEnd() + "\r\n";
  }
  return out;
}

function isCtrlC(ev: KeyEvent): boolean {
  return ev.kind === "ctrl" && ev.key === "c";
}
