/**
 * The session repository: sessions and their records (executions, host calls), in order.
 * A record's data is JSON text, kept as it is.
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";

export type SessionStatus = "active" | "suspended" | "completed" | "failed";

export const SESSION_STATUSES: readonly SessionStatus[] = [
  "active",
  "suspended",
  "completed",
  "failed",
];

/** What a created session carries besides its id (Session.create). */
export interface SessionDetails {
  name?: string;
  description?: string;
  tags?: string[];
  parent?: string;
}

/** Which sessions `list` returns. */
export interface SessionFilter {
  status?: SessionStatus;
  /** Sessions carrying every one of these tags. */
  tags?: string[];
  limit?: number;
}

export interface SessionRow {
  id: string;
  name: string | null;
  description: string | null;
  tags: string[];
  parent: string | null;
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
  open(id: string, details?: SessionDetails): void;
  /** Appends a record; its sequence number. */
  record(id: string, kind: SessionRecord["kind"], data: string): number;
  /** Replaces a record's data (a call that ends after later records began: a stream). */
  update(id: string, seq: number, data: string): void;
  setStatus(id: string, status: SessionStatus): void;
  /** Newest first. */
  list(filter?: SessionFilter): SessionRow[];
  /** Deletes a session and its records; whether it existed. */
  delete(id: string): boolean;
  /**
   * Deletes the sessions that ended (completed or failed) before `before`, and the oldest
   * beyond the newest `keep` (0: no limit), never `spare`; the ids deleted.
   */
  prune(options: { before?: Date; keep?: number; spare?: string }): string[];
  get(id: string): SessionRow | undefined;
  /** The sessions whose id starts with `prefix`. */
  find(prefix: string): string[];
  records(id: string): SessionRecord[];
}

/**
 * A record's key is (its session's number << 32) + its seq (migration 8): the records of
 * session `s` (a row of sessions) are those whose id is in this range.
 */
const RECORDS_OF = (s: string) => `r.id BETWEEN ${s}.num << 32 AND (${s}.num << 32) + 0xFFFFFFFF`;
/** The session whose id is ?1, for the statements on one session's records. */
const SESSION = "(SELECT num FROM sessions WHERE id = ?1)";

// `updated`: the last status change or record, whichever is later (a record does not touch
// its session's row: that would be one more page written per recorded write).
const ROW = `SELECT id, name, description, tags, parent, status, created_at AS created,
  MAX(updated_at, COALESCE((SELECT at FROM session_records r WHERE ${RECORDS_OF("s")}
    ORDER BY r.id DESC LIMIT 1), '')) AS updated,
  (SELECT COUNT(*) FROM session_records r WHERE ${RECORDS_OF("s")} AND r.kind = 'execution')
    AS executions
  FROM sessions s`;

export class SqliteSessionRepository implements SessionRepository {
  readonly #db: DatabaseSync;
  readonly #transaction: <T>(fn: () => T) => T;
  readonly #dropArtifacts: (shas: string[]) => void;
  readonly #open: StatementSync;
  readonly #insert: StatementSync;

  /**
   * `dropArtifacts` gets the content hashes of a deleted session's artifacts (which go with
   * it: ON DELETE CASCADE), for their files (src/store/artifacts.ts `collect`).
   */
  constructor(
    db: DatabaseSync,
    transaction: <T>(fn: () => T) => T,
    dropArtifacts: (shas: string[]) => void,
  ) {
    this.#db = db;
    this.#transaction = transaction;
    this.#dropArtifacts = dropArtifacts;
    // One statement, so the number is the next one even with another process creating one.
    this.#open = db.prepare(
      `INSERT OR IGNORE INTO sessions (id, num, status, created_at, updated_at, name, description,
        tags, parent) VALUES (?, (SELECT COALESCE(MAX(num), 0) + 1 FROM sessions), 'active', ?, ?,
        ?, ?, ?, ?)`,
    );
    // The next seq of the session, in the INSERT itself; nothing when the session is not there.
    this.#insert = db.prepare(
      `INSERT INTO session_records (id, kind, at, data)
        SELECT COALESCE((SELECT MAX(r.id) FROM session_records r WHERE ${RECORDS_OF("s")}),
          s.num << 32) + 1, ?2, ?3, ?4
        FROM sessions s WHERE s.id = ?1
        RETURNING id & 0xFFFFFFFF AS seq`,
    );
  }

  open(id: string, d: SessionDetails = {}): void {
    const now = new Date().toISOString();
    this.#open.run(
      id,
      now,
      now,
      d.name ?? null,
      d.description ?? null,
      JSON.stringify(d.tags ?? []),
      d.parent ?? null,
    );
  }

  record(id: string, kind: SessionRecord["kind"], data: string): number {
    // One statement, so atomic without a transaction of its own (a savepoint inside the
    // write's transaction costs two more statements per recorded call).
    const row = this.#insert.get(id, kind, new Date().toISOString(), data) as
      | { seq: number }
      | undefined;
    if (!row) throw new Error(`no session ${id} to record in (was it deleted?)`);
    return Number(row.seq);
  }

  update(id: string, seq: number, data: string): void {
    this.#db.prepare(`UPDATE session_records SET data = ?2 WHERE id = (${SESSION} << 32) + ?3`)
      .run(id, data, seq);
  }

  setStatus(id: string, status: SessionStatus): void {
    this.#db.prepare("UPDATE sessions SET status = ?, updated_at = ? WHERE id = ?")
      .run(status, new Date().toISOString(), id);
  }

  list(filter: SessionFilter = {}): SessionRow[] {
    const tags = filter.tags ?? [];
    // Tags are a JSON array: json_each matches each wanted tag exactly.
    const where = [
      ...(filter.status ? ["status = ?"] : []),
      ...tags.map(() => "EXISTS (SELECT 1 FROM json_each(s.tags) WHERE value = ?)"),
    ];
    const params = [...(filter.status ? [filter.status] : []), ...tags, filter.limit ?? 1000];
    return this.#db.prepare(
      `${ROW} ${
        where.length ? `WHERE ${where.join(" AND ")}` : ""
      } ORDER BY created_at DESC, rowid DESC LIMIT ?`,
    ).all(...params).map(toRow);
  }

  delete(id: string): boolean {
    return this.#transaction(() => {
      const shas = this.#db.prepare("SELECT DISTINCT sha256 FROM artifacts WHERE session = ?")
        .all(id).map((r) => r.sha256 as string);
      if (shas.length) this.#dropArtifacts(shas);
      this.#db.prepare(
        `DELETE FROM session_records WHERE id BETWEEN ${SESSION} << 32
          AND (${SESSION} << 32) + 0xFFFFFFFF`,
      ).run(id);
      // Its session-scope state (State's scope `session`) goes with it.
      this.#db.prepare("DELETE FROM state WHERE scope = ?").run(`session:${id}`);
      return Number(this.#db.prepare("DELETE FROM sessions WHERE id = ?").run(id).changes) > 0;
    });
  }

  prune(options: { before?: Date; keep?: number; spare?: string }): string[] {
    return this.#transaction(() => {
      const ids = new Set<string>();
      if (options.before) {
        for (
          const r of this.#db.prepare(
            "SELECT id FROM sessions WHERE status IN ('completed', 'failed') AND updated_at < ?",
          ).all(options.before.toISOString())
        ) ids.add(r.id as string);
      }
      if (options.keep) {
        for (
          const r of this.#db.prepare(
            "SELECT id FROM sessions ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?",
          ).all(options.keep)
        ) ids.add(r.id as string);
      }
      if (options.spare) ids.delete(options.spare);
      for (const id of ids) this.delete(id);
      return [...ids];
    });
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
      `SELECT id & 0xFFFFFFFF AS seq, kind, at, data FROM session_records
        WHERE id BETWEEN ${SESSION} << 32 AND (${SESSION} << 32) + 0xFFFFFFFF ORDER BY id`,
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
    name: (r.name as string | null) ?? null,
    description: (r.description as string | null) ?? null,
    tags: JSON.parse((r.tags as string | null) ?? "[]"),
    parent: (r.parent as string | null) ?? null,
    status: r.status as SessionStatus,
    created: r.created as string,
    updated: r.updated as string,
    executions: Number(r.executions),
  };
}
