/**
 * The keys' audit: one row per change `llmspell keys` makes to the key store (a key set or
 * removed), with the key's name and the time, never its value. The keys themselves live in
 * their own file (src/store/key_file.ts); this says who changed what when, for `keys log`.
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";

export type KeyAction = "set" | "remove";

/** One change to the key store. */
export interface KeyAuditEntry {
  name: string;
  action: KeyAction;
  /** ISO 8601, UTC. */
  at: string;
}

export interface KeyAuditRepository {
  /** Records a change to the key `name`. */
  record(name: string, action: KeyAction, at?: Date): void;
  /** The changes, oldest first; those of `name` only when given. */
  list(name?: string): KeyAuditEntry[];
}

/** `KeyAuditRepository` on the llmspell SQLite database. */
export class SqliteKeyAuditRepository implements KeyAuditRepository {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#insert = db.prepare("INSERT INTO key_audit (name, action, at) VALUES (?, ?, ?)");
  }

  record(name: string, action: KeyAction, at: Date = new Date()): void {
    this.#insert.run(name, action, at.toISOString());
  }

  list(name?: string): KeyAuditEntry[] {
    const sql = "SELECT name, action, at FROM key_audit" +
      (name === undefined ? "" : " WHERE name = ?") + " ORDER BY id";
    const params = name === undefined ? [] : [name];
    return this.#db.prepare(sql).all(...params) as unknown as KeyAuditEntry[];
  }
}
