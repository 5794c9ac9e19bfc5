/**
 * Jupyter history (history_request tail / range / search) over the store's history
 * repository. Every kernel start or restart opens a session; a stored cell is (session,
 * line = execution count, source, output). Sessions in requests follow IPython: a positive
 * number is a session, 0 the current one, a negative number counts back from it.
 */
import type { HistoryEntry, Store } from "../store/mod.ts";
import type { JsonObject } from "../protocol/jupyter/wire.ts";
import { num, str } from "./request.ts";

/** One row: [session, line, source] or [session, line, [source, output]]. */
export type HistoryRow = [number, number, string | [string, string | null]];

function rows(entries: HistoryEntry[], output: boolean): HistoryRow[] {
  return entries.map((r) => [r.session, r.line, output ? [r.source, r.output] : r.source]);
}

export class History {
  readonly #repo: Store["history"];
  readonly #kernelId: string;
  #session = 0;

  constructor(store: Pick<Store, "history">, kernelId: string) {
    this.#repo = store.history;
    this.#kernelId = kernelId;
    this.newSession();
  }

  /** The current session number. */
  get session(): number {
    return this.#session;
  }

  /** Starts a new session (kernel start or restart). */
  newSession(): number {
    this.#session = this.#repo.newSession(this.#kernelId);
    return this.#session;
  }

  add(line: number, source: string): void {
    this.#repo.add(this.#session, line, source);
  }

  /** Deletes every stored cell, of every session (the REPL's .clear-history). */
  clear(): void {
    this.#repo.clear();
  }

  setOutput(line: number, output: string): void {
    this.#repo.setOutput(this.#session, line, output);
  }

  /** The last `n` cells, oldest first. */
  tail(n: number, output: boolean): HistoryRow[] {
    return rows(this.#repo.tail(n), output).reverse();
  }

  /** Lines [start, stop) of a session (stop 0 or less: to the end). */
  range(session: number, start: number, stop: number, output: boolean): HistoryRow[] {
    const s = session <= 0 ? this.#session + session : session;
    const hi = stop > 0 ? stop : Number.MAX_SAFE_INTEGER;
    return rows(this.#repo.range(s, Math.max(0, start), hi), output);
  }

  /**
   * Cells whose source matches the glob `pattern`, oldest first; the last `n` if given; with
   * `unique`, each source once (its latest cell).
   */
  search(pattern: string, n: number | undefined, unique: boolean, output: boolean): HistoryRow[] {
    return rows(this.#repo.search(pattern, n ?? 0, unique), output).reverse();
  }
}

/** history_reply's content (no history: an empty list). */
export function historyReply(h: History | undefined, c: JsonObject): JsonObject {
  if (!h) return { status: "ok", history: [] };
  const output = c.output === true;
  let rows: HistoryRow[] = [];
  switch (c.hist_access_type) {
    case "tail":
      rows = h.tail(num(c.n, 10), output);
      break;
    case "range":
      rows = h.range(num(c.session, 0), num(c.start, 1), num(c.stop, 0), output);
      break;
    case "search":
      rows = h.search(
        str(c.pattern, "*"),
        typeof c.n === "number" ? c.n : undefined,
        c.unique === true,
        output,
      );
      break;
  }
  return { status: "ok", history: rows };
}
