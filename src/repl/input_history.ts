/**
 * Input history: navigation filtered by the typed prefix (Up/Down) and incremental search
 * (Ctrl+R backwards, Ctrl+S forwards). Entries are oldest first; adding an entry removes an
 * earlier identical one, so duplicates collapse and the list keeps its most recent order.
 */
export class InputHistory {
  #entries: string[];
  readonly maxSize: number;

  constructor(entries: string[] = [], maxSize = 10_000) {
    this.maxSize = maxSize;
    this.#entries = [];
    for (const e of entries) this.add(e);
  }

  get entries(): readonly string[] {
    return this.#entries;
  }

  get length(): number {
    return this.#entries.length;
  }

  /** Adds an entry; returns false for blank input, which is not kept. */
  add(entry: string): boolean {
    if (entry.trim() === "") return false;
    const i = this.#entries.lastIndexOf(entry);
    if (i >= 0) this.#entries.splice(i, 1);
    this.#entries.push(entry);
    if (this.#entries.length > this.maxSize) {
      this.#entries.splice(0, this.#entries.length - this.maxSize);
    }
    return true;
  }

  clear(): void {
    this.#entries = [];
  }

  /** Index of the nearest entry before `from` that starts with `prefix`, or -1. */
  previous(from: number, prefix: string): number {
    for (let i = Math.min(from, this.#entries.length) - 1; i >= 0; i--) {
      if (this.#entries[i].startsWith(prefix)) return i;
    }
    return -1;
  }

  /** Index of the nearest entry after `from` that starts with `prefix`, or -1. */
  next(from: number, prefix: string): number {
    for (let i = from + 1; i < this.#entries.length; i++) {
      if (this.#entries[i].startsWith(prefix)) return i;
    }
    return -1;
  }

  /**
   * Incremental search: the nearest entry containing `query`, starting at `from` and going
   * backwards (Ctrl+R) or forwards (Ctrl+S); -1 when none.
   */
  search(query: string, from: number, backwards: boolean): number {
    if (backwards) {
      for (let i = Math.min(from, this.#entries.length - 1); i >= 0; i--) {
        if (this.#entries[i].includes(query)) return i;
      }
    } else {
      for (let i = Math.max(from, 0); i < this.#entries.length; i++) {
        if (this.#entries[i].includes(query)) return i;
      }
    }
    return -1;
  }

  at(i: number): string {
    return this.#entries[i];
  }
}
