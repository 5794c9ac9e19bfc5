/**
 * Ctrl+R / Ctrl+S incremental search of the line editor's history: the query typed so far,
 * the match it stands on, how it is shown, and what a key does to it.
 */
import type { InputHistory } from "./input_history.ts";
import type { KeyEvent } from "./keys.ts";

/** What a key did to the search (HistorySearch.key). */
export type SearchStep =
  /** The key was the search's: it goes on. */
  | { kind: "search" }
  /** Esc or Ctrl+G: the search ends and the input it started from comes back. */
  | { kind: "cancel" }
  /**
   * Any other key ends the search and takes its match (if any), then acts as usual; Enter
   * (`submit`) runs the match at once.
   */
  | { kind: "accept"; match: string | undefined; submit: boolean };

export class HistorySearch {
  readonly #history: InputHistory;
  /** The input when the search started, restored by Esc / Ctrl+G. */
  readonly original: string;
  readonly originalCursor: number;
  #query = "";
  /** Index of the current match in history, or -1. */
  #index: number;
  #failing = false;
  #backwards: boolean;

  constructor(history: InputHistory, backwards: boolean, original: string, cursor: number) {
    this.#history = history;
    this.#backwards = backwards;
    this.#index = backwards ? history.length : -1;
    this.original = original;
    this.originalCursor = cursor;
  }

  /** The history index of the match (where history navigation goes on from). */
  get index(): number {
    return this.#index;
  }

  /** Handles a key (see SearchStep). */
  key(ev: KeyEvent): SearchStep {
    const h = this.#history;
    if (ev.kind === "text" || ev.kind === "paste") {
      this.#query += ev.text;
      const from = this.#index >= 0 && this.#index < h.length ? this.#index : h.length - 1;
      this.#find(from, this.#backwards);
      return { kind: "search" };
    }
    if (ev.kind === "key" && ev.name === "backspace") {
      this.#query = Array.from(this.#query).slice(0, -1).join("");
      this.#find(h.length - 1, true);
      return { kind: "search" };
    }
    if (ev.kind === "ctrl" && (ev.key === "r" || ev.key === "s")) {
      this.#backwards = ev.key === "r";
      const from = this.#backwards ? this.#index - 1 : this.#index + 1;
      if (this.#query !== "") this.#find(from, this.#backwards);
      return { kind: "search" };
    }
    if ((ev.kind === "ctrl" && ev.key === "g") || (ev.kind === "key" && ev.name === "escape")) {
      return { kind: "cancel" };
    }
    return {
      kind: "accept",
      match: this.match(),
      submit: ev.kind === "key" && ev.name === "enter",
    };
  }

  #find(from: number, backwards: boolean): void {
    const i = this.#query === "" ? -1 : this.#history.search(this.#query, from, backwards);
    if (i >= 0) {
      this.#index = i;
      this.#failing = false;
    } else if (this.#query !== "") {
      this.#failing = true;
    }
  }

  /** The history entry the search stands on, if any. */
  match(): string | undefined {
    if (this.#index < 0 || this.#index >= this.#history.length || this.#query === "") {
      return undefined;
    }
    return this.#history.at(this.#index);
  }

  /** The prompt while searching, and the text shown after it (`input`: the editor's). */
  display(input: string): { prompt: string; text: string } {
    const text = this.match() ?? (this.#query === "" ? "" : input);
    const dir = this.#backwards ? "reverse" : "forward";
    const prompt = `(${this.#failing ? "failing " : ""}${dir}-i-search)'${this.#query}': `;
    return { prompt, text };
  }

  /** `text` with the query marked (reverse video with `color`), while it matches. */
  highlight(text: string, color: boolean): string {
    if (this.#query === "" || this.#failing) return text;
    const i = text.indexOf(this.#query);
    if (i < 0) return text;
    const on = color ? "\x1b[7m" : "";
    const off = color ? "\x1b[0m" : "";
    return text.slice(0, i) + on + this.#query + off + text.slice(i + this.#query.length);
  }
}
