/**
 * The session repository: sessions and their records (executions, host calls), in order.
 * A record's data is JSON text, kept as it is.
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";

export type SessionStatus = "active" | "completed";

export interface SessionRow {
  id: string;
  status: SessionStatus;
  /** ISO 8601, UTC. */
  created: string;
  updated: string;
  /** How many executions it recorded. */
  executions: number;
}

export interface SessionRecord {
  seq: number;
  kind: "execution" | "host_call";
  /** ISO 8601, UTC. */
  at: string;
  /** JSON text. */
  data: string;
}

export interface SessionRepository {
  /** Creates the session unless it exists. */
  open(id: string): void;
  /** Appends a record; its sequence number. */
  record(id: string, kind: SessionRecord["kind"], data: string): number;
  setStatus(id: string, status: SessionStatus): void;
  /** Newest first. */
  list(limit?: number): SessionRow[];
  get(id: string): SessionRow | undefined;
  /** The sessions whose id starts with `prefix`. */
  find(prefix: string): string[];
  records(id: string): SessionRecord[];
}

const ROW = `SELECT id, status, created_at AS created, updated_at AS updated,
  (SELECT COUNT(*) FROM session_records r WHERE r.session = s.id AND r.kind = 'execution')
    AS executions
  FROM sessions s`;

export class SqliteSessionRepository implements SessionRepository {
  readonly #db: DatabaseSync;
  readonly #transaction: <T>(fn: () => T) => T;
  readonly #open: StatementSync;
  readonly #next: StatementSync;
  readonly #insert: StatementSync;
  readonly #touch: StatementSync;

  constructor(db: DatabaseSync, transaction: <T>(fn: () => T) => T) {
    this.#db = db;
    this.#transaction = transaction;
    this.#open = db.prepare(
      "INSERT OR IGNORE INTO sessions (id, status, created_at, updated_at) VALUES (?, 'active', ?, ?)",
    );
    this.#next = db.prepare(
      "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM session_records WHERE session = ?",
    );
    this.#insert = db.prepare(
      "INSERT INTO session_records (session, seq, kind, at, data) VALUES (?, ?, ?, ?, ?)",
    );
    this.#touch = db.prepare("UPDATE sessions SET updated_at = ? WHERE id = ?");
  }

  open(id: string): void {
    const now = new Date().toISOString();
    this.#open.run(id, now, now);
  }

  record(id: string, kind: SessionRecord["kind"], data: string): number {
    return this.#transaction(() => {
      const seq = Number((this.#next.get(id) as { seq: number }).seq);
      const now = new Date().toISOString();
      this.#insert.run(id, seq, kind, now, data);
      this.#touch.run(now, id);
      return seq;
    });
  }

  setStatus(id: string, status: SessionStatus): void {
    this.#db.prepare("UPDATE sessions SET status = ?, updated_at = ? WHERE id = ?")
      .run(status, new Date().toISOString(), id);
  }

  list(limit = 1000): SessionRow[] {
    return this.#db.prepare(`${ROW} ORDER BY created_at DESC, id LIMIT ?`).all(limit)
      .map(toRow);
  }

  get(id: string): SessionRow | undefined {
    const row = this.#db.prepare(`${ROW} WHERE id = ?`).get(id);
    return row ? toRow(row) : undefined;
  }

  find(prefix: string): string[] {
    return this.#db.prepare("SELECT id FROM sessions WHERE substr(id, 1, ?) = ? ORDER BY id")
      .all(prefix.length, prefix).map((r) => r.id as string);
  }

  records(id: string): SessionRecord[] {
    return this.#db.prepare(
      "SELECT seq, kind, at, data FROM session_records WHERE session = ? ORDER BY seq",
    ).all(id).map((r) => ({
      seq: Number(r.seq),
      kind: r.kind as SessionRecord["kind"],
      at: r.at as string,
      data: r.data as string,
    }));
  }
}

function toRow(r: Record<string, unknown>): SessionRow {
  return {
    id: r.id as string,
    status: r.status as SessionStatus,
    created: r.created as string,
    updated: r.updated as string,
    executions: Number(r.executions),
  };
}
