/**
 * A consistent copy of the database while other processes write to it, and what a copy
 * holds: `llmspell backup` (src/cli/backup_cmd.ts) archives one and checks one.
 *
 * `VACUUM INTO` reads the whole database inside one read transaction, so the copy is the
 * database as of one commit, and in WAL mode it blocks no writer. node:sqlite's `backup()`
 * copies in steps and starts again whenever another connection commits between two, so under
 * a steady writer it does not end. See docs/decisions/0031-backup-by-vacuum-into.md.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import type { SqliteStore } from "./store.ts";

/** What a database holds, as a backup's manifest counts it. */
export interface StoreCounts {
  state_values: number;
  sessions: number;
  artifacts: number;
}

/** Writes a copy of `store`'s database, as of one commit, to `target` (which must not exist). */
export function snapshotDatabase(store: SqliteStore, target: string): void {
  store.db.prepare("VACUUM INTO ?").run(target);
}

/** A database file opened read-only, to look at without migrating or changing it. */
export interface DatabaseCopy {
  /** Its schema version (the newest migration applied); 0 when it has none. */
  schemaVersion(): number;
  counts(): StoreCounts;
  /** The SHA-256 of every content file its artifacts use. */
  artifactShas(): string[];
  /** `PRAGMA integrity_check`: ["ok"] when the file is sound, else SQLite's findings. */
  integrityCheck(): string[];
  close(): void;
}

/** Opens the database file at `path` read-only (a snapshot or a backup's copy). */
export function openDatabaseCopy(path: string): DatabaseCopy {
  const db = new DatabaseSync(path, { readOnly: true });
  const count = (table: string) =>
    Number((db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
  return {
    schemaVersion: () =>
      Number(
        (db.prepare("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations").get() as {
          v: number;
        }).v,
      ),
    counts: () => ({
      state_values: count("state"),
      sessions: count("sessions"),
      artifacts: count("artifacts"),
    }),
    artifactShas: () =>
      (db.prepare("SELECT DISTINCT sha256 FROM artifacts ORDER BY sha256").all() as {
        sha256: string;
      }[]).map((r) => r.sha256),
    integrityCheck: () =>
      (db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((r) =>
        r.integrity_check
      ),
    close: () => db.close(),
  };
}

/**
 * Writes what the WAL holds into the database file and empties the WAL, so that the file
 * alone is the database (before it is moved aside). Best effort: a reader in another process
 * can keep part of the WAL, which then moves with it.
 */
export function checkpoint(store: SqliteStore): void {
  try {
    store.db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").get();
  } catch {
    // The WAL file moves with the database: nothing is lost.
  }
}
