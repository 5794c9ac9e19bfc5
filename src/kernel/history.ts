/**
 * Jupyter history (history_request tail / range / search) persisted in the store. Every
 * kernel start or restart opens a session; a stored cell is (session, line = execution
 * count, source, output). Sessions in requests follow IPython: a positive number is a
 * session, 0 the current one, a negative number counts back from it.
 */
import type { StatementSync } from "node:sqlite";
import type { SqliteStore } from "../store/mod.ts";
import type { JsonObject } from "../protocol/jupyter/wire.ts";
import { num, str } from "./request.ts";

/** One row: [session, line, source] or [session, line, [source, output]]. */
export type HistoryRow = [number, number, string | [string, string | null]];

export class History {
  readonly #store: SqliteStore;
  readonly #kernelId: string;
  #session = 0;
  readonly #insert: StatementSync;
  readonly #output: StatementSync;

  constructor(store: SqliteStore, kernelId: string) {
    this.#store = store;
    this.#kernelId = kernelId;
    this.#insert = store.db.prepare(
      "INSERT OR REPLACE INTO history (session, line, source, output) VALUES (?, ?, ?, NULL)",
    );
    this.#output = store.db.prepare("UPDATE history SET output = ? WHERE session = ? AND line = ?");
    this.newSession();
  }

  /** The current session number. */
  get session(): number {
    return this.#session;
  }

  /** Starts a new session (kernel start or restart). */
  newSession(): number {
    const r = this.#store.db.prepare(
      "INSERT INTO history_sessions (kernel_id, started_at) VALUES (?, ?)",
    ).run(this.#kernelId, new Date().toISOString());
    this.#session = Number(r.lastInsertRowid);
    return this.#session;
  }

  add(line: number, source: string): void {
    this.#insert.run(this.#session, line, source);
  }

  /** Deletes every stored cell, of every session (the REPL's .clear-history). */
  clear(): void {
    this.#store.db.exec("DELETE FROM history");
  }

  setOutput(line: number, output: string): void {
    this.#output.run(output, this.#session, line);
  }

  #rows(sql: string, params: (string | number)[], output: boolean): HistoryRow[] {
    const rows = this.#store.db.prepare(sql).all(...params) as {
      session: number;
      line: number;
      source: string;
      output: string | null;
    }[];
    return rows.map((r) => [r.session, r.line, output ? [r.source, r.output] : r.source]);
  }

  /** The last `n` cells, oldest first. */
  tail(n: number, output: boolean): HistoryRow[] {
    const rows = this.#rows(
      "SELECT session, line, source, output FROM history ORDER BY session DESC, line DESC LIMIT ?",
      [Math.max(0, Math.floor(n))],
      output,
    );
    return rows.reverse();
  }

  /** Lines [start, stop) of a session (stop 0 or less: to the end). */
  range(session: number, start: number, stop: number, output: boolean): HistoryRow[] {
    const s = session <= 0 ? this.#session + session : session;
    const hi = stop > 0 ? stop : Number.MAX_SAFE_INTEGER;
    return this.#rows(
      "SELECT session, line, source, output FROM history WHERE session = ? AND line >= ? AND line < ? ORDER BY line",
      [s, Math.max(0, start), hi],
      output,
    );
  }

  /**
   * Cells whose source matches the glob `pattern` (SQLite GLOB: `*`, `?`, `[...]`), oldest
   * first; the last `n` if given; with `unique`, each source once (its latest cell).
   */
  search(pattern: string, n: number | undefined, unique: boolean, output: boolean): HistoryRow[] {
    const where = "WHERE source GLOB ?";
    const limit = n !== undefined && n > 0 ? ` LIMIT ${Math.floor(n)}` : "";
    const sql = unique
      ? `SELECT session, line, source, output FROM history WHERE rowid IN (
           SELECT max(rowid) FROM history ${where} GROUP BY source)
         ORDER BY session DESC, line DESC${limit}`
      : `SELECT session, line, source, output FROM history ${where}
         ORDER BY session DESC, line DESC${limit}`;
    return this.#rows(sql, [pattern], output).reverse();
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
