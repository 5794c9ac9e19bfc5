/**
 * Versioned schema migrations of the llmspell database, applied in order, each in its
 * own transaction. Append only: never edit or renumber a released migration; add one
 * (history, state, sessions, …) with the next version.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";

/** One schema change. `up` runs inside a transaction the runner owns. */
export interface Migration {
  /** 1, 2, 3, … without gaps. */
  readonly version: number;
  /** Short snake_case description, recorded in `schema_migrations`. */
  readonly name: string;
  readonly up: (db: DatabaseSync) => void;
}

/** Every migration, in version order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "schema_migrations",
    // The record of applied migrations is itself migration 1, so an empty file and a
    // file from any release take the same path.
    up(db) {
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TEXT NOT NULL
      ) STRICT`);
    },
  },
  {
    version: 2,
    name: "kernel_history",
    // Jupyter history: one session per kernel start (or restart), one row per stored cell.
    up(db) {
      db.exec(`CREATE TABLE history_sessions (
        session    INTEGER PRIMARY KEY AUTOINCREMENT,
        kernel_id  TEXT NOT NULL,
        started_at TEXT NOT NULL
      ) STRICT`);
      db.exec(`CREATE TABLE history (
        session INTEGER NOT NULL REFERENCES history_sessions(session),
        line    INTEGER NOT NULL,
        source  TEXT NOT NULL,
        output  TEXT,
        PRIMARY KEY (session, line)
      ) STRICT`);
    },
  },
  {
    version: 3,
    name: "state",
    // State: one row per (scope, key). The value is the host-call encoding of a Lua value
    // (src/engine/shared/host_values.ts), stored as it is; `version` counts writes, so State.update can
    // compare and swap.
    up(db) {
      db.exec(`CREATE TABLE state (
        scope      TEXT NOT NULL,
        key        TEXT NOT NULL,
        value      BLOB NOT NULL,
        version    INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (scope, key)
      ) STRICT, WITHOUT ROWID`);
    },
  },
  {
    version: 4,
    name: "sessions",
    // A session per engine (a run, an exec, a REPL, a kernel's Lua state), recorded from its
    // first host call: its executions and its host calls that reach outside Lua, in order.
    // `data` is JSON whose Lua values are in the exact form of src/api/value_text.ts.
    up(db) {
      db.exec(`CREATE TABLE sessions (
        id         TEXT PRIMARY KEY,
        status     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT`);
      db.exec(`CREATE TABLE session_records (
        session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq     INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        at      TEXT NOT NULL,
        data    TEXT NOT NULL,
        PRIMARY KEY (session, seq)
      ) STRICT`);
    },
  },
  {
    version: 5,
    name: "session_details",
    // Sessions a script creates (Session.create) carry a name, a description, tags (a JSON
    // array of strings) and a parent session; a session can also be suspended or failed.
    up(db) {
      db.exec("ALTER TABLE sessions ADD COLUMN name TEXT");
      db.exec("ALTER TABLE sessions ADD COLUMN description TEXT");
      db.exec("ALTER TABLE sessions ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'");
      db.exec("ALTER TABLE sessions ADD COLUMN parent TEXT");
      db.exec("CREATE INDEX sessions_created ON sessions (created_at)");
    },
  },
  {
    version: 6,
    name: "artifacts",
    // Artifact metadata; the content lives once per SHA-256 in files under the data
    // directory (src/store/artifacts.ts). `tags` is a JSON array of strings.
    up(db) {
      db.exec(`CREATE TABLE artifacts (
        id         TEXT PRIMARY KEY,
        session    TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        name       TEXT NOT NULL,
        kind       TEXT,
        mime_type  TEXT,
        tags       TEXT NOT NULL DEFAULT '[]',
        sha256     TEXT NOT NULL,
        size       INTEGER NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT`);
      db.exec("CREATE INDEX artifacts_session ON artifacts (session, created_at)");
      db.exec("CREATE INDEX artifacts_sha256 ON artifacts (sha256)");
    },
  },
  {
    version: 7,
    name: "session_records_without_rowid",
    // Records keyed by (session, seq) alone: a rowid table kept a second b-tree for that key,
    // so every recorded write (a State.set with its record, in one commit) wrote one page
    // more to the WAL (bench/state.ts).
    up(db) {
      db.exec(`CREATE TABLE session_records_new (
        session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq     INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        at      TEXT NOT NULL,
        data    TEXT NOT NULL,
        PRIMARY KEY (session, seq)
      ) STRICT, WITHOUT ROWID`);
      db.exec(`INSERT INTO session_records_new (session, seq, kind, at, data)
        SELECT session, seq, kind, at, data FROM session_records`);
      db.exec("DROP TABLE session_records");
      db.exec("ALTER TABLE session_records_new RENAME TO session_records");
    },
  },
  {
    version: 8,
    name: "session_records_by_number",
    // A record keyed by one integer, the rowid: (its session's number << 32) + seq, so that a
    // session's records are one range, in order. A recorded write appends its record at the
    // end of a rowid table's b-tree, with one new page when the last one is full; the WITHOUT
    // ROWID table of migration 7 rebalanced three pages then, and wrote 2.55 pages per recorded
    // State.set against 2.05 (bench/state.ts). Sessions get a number of their own (a rowid
    // may change in a VACUUM); the record no longer has a foreign key, which its INSERT checks
    // instead (no session, no record), and a session's deletion deletes its records itself.
    up(db) {
      db.exec("ALTER TABLE sessions ADD COLUMN num INTEGER");
      db.exec("UPDATE sessions SET num = rowid");
      db.exec("CREATE UNIQUE INDEX sessions_num ON sessions (num)");
      db.exec(`CREATE TABLE session_records_new (
        id   INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        at   TEXT NOT NULL,
        data TEXT NOT NULL
      ) STRICT`);
      db.exec(`INSERT INTO session_records_new (id, kind, at, data)
        SELECT (s.num << 32) + r.seq, r.kind, r.at, r.data
        FROM session_records r JOIN sessions s ON s.id = r.session ORDER BY 1`);
      db.exec("DROP TABLE session_records");
      db.exec("ALTER TABLE session_records_new RENAME TO session_records");
    },
  },
  {
    version: 9,
    name: "key_audit",
    // The keys' audit (src/store/key_audit.ts): a row per key set or removed, without its value.
    up(db) {
      db.exec(`CREATE TABLE key_audit (
        id     INTEGER PRIMARY KEY,
        name   TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('set', 'remove')),
        at     TEXT NOT NULL
      ) STRICT`);
    },
  },
];
