/**
 * The state repository: scoped key-value pairs whose values are encoded Lua values
 * (src/engine/shared/host_values.ts), kept as opaque bytes. Callers never see SQL, so a server database
 * can implement the same interface (an update there is `SELECT ... FOR UPDATE`).
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";

/** A stored value and its version (the number of writes it has seen). */
export interface Versioned {
  value: Uint8Array;
  version: number;
}

/** One pair of a scope. */
export interface StateEntry {
  key: string;
  value: Uint8Array;
}

export interface StateRepository {
  get(scope: string, key: string): Uint8Array | undefined;
  getVersioned(scope: string, key: string): Versioned | undefined;
  /** Stores `value`, or deletes the key when it is null. */
  set(scope: string, key: string, value: Uint8Array | null): void;
  /**
   * Stores (or with null deletes) only if the key is still at `version` (0: absent);
   * false when another writer came first.
   */
  setIfVersion(scope: string, key: string, value: Uint8Array | null, version: number): boolean;
  /**
   * Read-modify-write in one transaction: `fn` gets the current value (undefined when
   * absent) and returns the new one (null deletes). Two writers never both read the same
   * old value. `fn` must not call back into the store.
   */
  update(
    scope: string,
    key: string,
    fn: (old: Uint8Array | undefined) => Uint8Array | null,
  ): Uint8Array | null;
  /** True when the key existed. */
  delete(scope: string, key: string): boolean;
  exists(scope: string, key: string): boolean;
  /** Keys of a scope starting with `prefix`, sorted by their bytes. */
  keys(scope: string, prefix?: string): string[];
  entries(scope: string, prefix?: string): StateEntry[];
  /** Scopes that hold at least one key, sorted. */
  scopes(): string[];
  /** Deletes every key of a scope; how many there were. */
  clear(scope: string): number;
  /** Runs `fn` in one transaction (an import). */
  transaction<T>(fn: () => T): T;
}

/** The upper bound of keys starting with `prefix` (exclusive), for a range scan. */
function prefixEnd(prefix: string): string {
  // Keys are compared by their UTF-8 bytes (SQLite's BINARY collation); U+10FFFF sorts
  // after every other character, so prefix + it bounds every key with that prefix.
  return prefix + "\u{10FFFF}";
}

/** `StateRepository` on the llmspell SQLite database. */
export class SqliteStateRepository implements StateRepository {
  readonly #db: DatabaseSync;
  readonly #transaction: <T>(fn: () => T) => T;
  readonly #get: StatementSync;
  readonly #getVersioned: StatementSync;
  readonly #upsert: StatementSync;
  readonly #insertNew: StatementSync;
  readonly #updateAt: StatementSync;
  readonly #delete: StatementSync;
  readonly #deleteAt: StatementSync;

  constructor(db: DatabaseSync, transaction: <T>(fn: () => T) => T) {
    this.#db = db;
    this.#transaction = transaction;
    this.#get = db.prepare("SELECT value FROM state WHERE scope = ? AND key = ?");
    this.#getVersioned = db.prepare(
      "SELECT value, version FROM state WHERE scope = ? AND key = ?",
    );
    this.#upsert = db.prepare(
      `INSERT INTO state (scope, key, value, version, updated_at) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT (scope, key) DO UPDATE
       SET value = excluded.value, version = version + 1, updated_at = excluded.updated_at`,
    );
    this.#insertNew = db.prepare(
      `INSERT INTO state (scope, key, value, version, updated_at) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT (scope, key) DO NOTHING`,
    );
    this.#updateAt = db.prepare(
      `UPDATE state SET value = ?, version = version + 1, updated_at = ?
       WHERE scope = ? AND key = ? AND version = ?`,
    );
    this.#delete = db.prepare("DELETE FROM state WHERE scope = ? AND key = ?");
    this.#deleteAt = db.prepare("DELETE FROM state WHERE scope = ? AND key = ? AND version = ?");
  }

  get(scope: string, key: string): Uint8Array | undefined {
    const row = this.#get.get(scope, key) as { value: Uint8Array } | undefined;
    return row?.value;
  }

  getVersioned(scope: string, key: string): Versioned | undefined {
    const row = this.#getVersioned.get(scope, key) as Versioned | undefined;
    return row ? { value: row.value, version: Number(row.version) } : undefined;
  }

  set(scope: string, key: string, value: Uint8Array | null): void {
    if (value === null) this.#delete.run(scope, key);
    else this.#upsert.run(scope, key, value, new Date().toISOString());
  }

  setIfVersion(scope: string, key: string, value: Uint8Array | null, version: number): boolean {
    if (version === 0) {
      if (value === null) return !this.exists(scope, key);
      return Number(this.#insertNew.run(scope, key, value, new Date().toISOString()).changes) === 1;
    }
    if (value === null) return Number(this.#deleteAt.run(scope, key, version).changes) === 1;
    const now = new Date().toISOString();
    return Number(this.#updateAt.run(value, now, scope, key, version).changes) === 1;
  }

  update(
    scope: string,
    key: string,
    fn: (old: Uint8Array | undefined) => Uint8Array | null,
  ): Uint8Array | null {
    return this.#transaction(() => {
      const next = fn(this.get(scope, key));
      this.set(scope, key, next);
      return next;
    });
  }

  delete(scope: string, key: string): boolean {
    return Number(this.#delete.run(scope, key).changes) === 1;
  }

  exists(scope: string, key: string): boolean {
    return this.#get.get(scope, key) !== undefined;
  }

  keys(scope: string, prefix = ""): string[] {
    const rows = prefix === ""
      ? this.#db.prepare("SELECT key FROM state WHERE scope = ? ORDER BY key").all(scope)
      : this.#db.prepare(
        "SELECT key FROM state WHERE scope = ? AND key >= ? AND key < ? ORDER BY key",
      ).all(scope, prefix, prefixEnd(prefix));
    return rows.map((r) => r.key as string);
  }

  entries(scope: string, prefix = ""): StateEntry[] {
    const rows = prefix === ""
      ? this.#db.prepare("SELECT key, value FROM state WHERE scope = ? ORDER BY key").all(scope)
      : this.#db.prepare(
        "SELECT key, value FROM state WHERE scope = ? AND key >= ? AND key < ? ORDER BY key",
      ).all(scope, prefix, prefixEnd(prefix));
    return rows.map((r) => ({ key: r.key as string, value: r.value as Uint8Array }));
  }

  scopes(): string[] {
    return this.#db.prepare("SELECT DISTINCT scope FROM state ORDER BY scope").all()
      .map((r) => r.scope as string);
  }

  clear(scope: string): number {
    return Number(this.#db.prepare("DELETE FROM state WHERE scope = ?").run(scope).changes);
  }

  transaction<T>(fn: () => T): T {
    return this.#transaction(fn);
  }
}
