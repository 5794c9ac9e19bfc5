/**
 * The history repository: Jupyter history's sessions (one per kernel start or restart) and
 * stored cells (session, line = execution count, source, output). Callers never see SQL;
 * the kernel's side (src/kernel/history.ts) keeps the current session and speaks
 * history_request.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";

/** One stored cell. */
export interface HistoryEntry {
  session: number;
  line: number;
  source: string;
  /** The cell's result text, when it had one. */
  output: string | null;
}

export interface HistoryRepository {
  /** Starts a session of this kernel; its number (greater than every earlier one). */
  newSession(kernelId: string): number;
  /** Stores a cell's source (replacing a cell of the same session and line). */
  add(session: number, line: number, source: string): void;
  setOutput(session: number, line: number, output: string): void;
  /** Deletes every stored cell, of every session. */
  clear(): void;
  /** The last `n` cells, newest first. */
  tail(n: number): HistoryEntry[];
  /** Lines [start, stop) of a session, in order. */
  range(session: number, start: number, stop: number): HistoryEntry[];
  /**
   * Cells whose source matches the glob `pattern` (SQLite GLOB: `*`, `?`, `[...]`), newest
   * first, at most `limit` (0: all); with `unique`, each source once (its latest cell).
   */
  search(pattern: string, limit: number, unique: boolean): HistoryEntry[];
}

const COLUMNS = "session, line, source, output";

/** `HistoryRepository` on the llmspell SQLite database. */
export class SqliteHistoryRepository implements HistoryRepository {
  readonly #db: DatabaseSync;
  readonly #newSession: StatementSync;
  readonly #insert: StatementSync;
  readonly #output: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#newSession = db.prepare(
      "INSERT INTO history_sessions (kernel_id, started_at) VALUES (?, ?)",
    );
    this.#insert = db.prepare(
      "INSERT OR REPLACE INTO history (session, line, source, output) VALUES (?, ?, ?, NULL)",
    );
    this.#output = db.prepare("UPDATE history SET output = ? WHERE session = ? AND line = ?");
  }

  newSession(kernelId: string): number {
    const r = this.#newSession.run(kernelId, new Date().toISOString());
    return Number(r.lastInsertRowid);
  }

  add(session: number, line: number, source: string): void {
    this.#insert.run(session, line, source);
  }

  setOutput(session: number, line: number, output: string): void {
    this.#output.run(output, session, line);
  }

  clear(): void {
    this.#db.exec("DELETE FROM history");
  }

  #rows(sql: string, params: (string | number)[]): HistoryEntry[] {
    return this.#db.prepare(sql).all(...params) as unknown as HistoryEntry[];
  }

  tail(n: number): HistoryEntry[] {
    return this.#rows(
      `SELECT ${COLUMNS} FROM history ORDER BY session DESC, line DESC LIMIT ?`,
      [Math.max(0, Math.floor(n))],
    );
  }

  range(session: number, start: number, stop: number): HistoryEntry[] {
    return this.#rows(
      `SELECT ${COLUMNS} FROM history WHERE session = ? AND line >= ? AND line < ? ORDER BY line`,
      [session, start, stop],
    );
  }

  search(pattern: string, limit: number, unique: boolean): HistoryEntry[] {
    const where = "WHERE source GLOB ?";
    const lim = limit > 0 ? ` LIMIT ${Math.floor(limit)}` : "";
    const sql = unique
      ? `SELECT ${COLUMNS} FROM history WHERE rowid IN (
           SELECT max(rowid) FROM history ${where} GROUP BY source)
         ORDER BY session DESC, line DESC${lim}`
      : `SELECT ${COLUMNS} FROM history ${where}
         ORDER BY session DESC, line DESC${lim}`;
    return this.#rows(sql, [pattern]);
  }
}
