/**
 * The llmspell database (docs/architecture.md, Configuration, store, logs): one SQLite file
 * under the data directory holding state, sessions, events, artifact metadata and history.
 *
 * Connections use WAL (readers never block the writer, so a kernel and a CLI command can
 * share the file), a 5 s busy timeout (writers queue instead of failing with "database
 * is locked") and enforced foreign keys. Opening applies pending migrations.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "../path.ts";
import { LlmspellError } from "../errors.ts";
import { Migration, MIGRATIONS } from "./migrations.ts";
import { SqliteStateRepository, type StateRepository } from "./state.ts";
import { type SessionRepository, SqliteSessionRepository } from "./sessions.ts";
import { type ArtifactRepository, SqliteArtifactRepository } from "./artifacts.ts";
import { type HistoryRepository, SqliteHistoryRepository } from "./history.ts";
import { type KeyAuditRepository, SqliteKeyAuditRepository } from "./key_audit.ts";
import { useStore } from "./store_lock.ts";

/** A row of `schema_migrations`. */
export interface AppliedMigration {
  version: number;
  name: string;
  /** ISO 8601, UTC. */
  appliedAt: string;
}

/**
 * What the rest of llmspell needs from a database. An interface so that a shared server
 * database can serve several kernel hosts later.
 */
export interface Store {
  /** Where the database lives (a file path for SQLite). */
  readonly path: string;
  /** Migrations recorded as applied, in version order. */
  migrationsApplied(): AppliedMigration[];
  /**
   * Runs `fn` in a transaction: committed when it returns, rolled back when it throws
   * (the error is rethrown). Nested calls use savepoints, so helpers that need atomicity
   * can be called from inside a larger transaction.
   */
  transaction<T>(fn: () => T): T;
  /** Scoped key-value state (the State global, `llmspell state`). */
  readonly state: StateRepository;
  /** Sessions and their records (the Session global, `llmspell session`). */
  readonly sessions: SessionRepository;
  /** Artifacts: metadata here, content files beside the database (the Artifact global). */
  readonly artifacts: ArtifactRepository;
  /** Jupyter history: kernel sessions and their stored cells (history_request, the REPL). */
  readonly history: HistoryRepository;
  /** Changes to the stored API keys, without their values (`llmspell keys`). */
  readonly keyAudit: KeyAuditRepository;
  /**
   * Bytes that every commit to the database rewrites, whichever process makes it, and the
   * file they are read from: while they read the same, what was read before them is still
   * what the database holds. Read them before what they vouch for. Undefined when there are
   * none (an in-memory database).
   */
  changeToken(): ChangeToken | undefined;
  /** Closes the connection. Further calls fail. */
  close(): void;
}

/** See Store.changeToken. */
export interface ChangeToken {
  file: string;
  /** The first `token.length` bytes of `file`. */
  token: Uint8Array;
}

/**
 * The WAL index's header (SQLite's file format, "WAL-Index Format"): two copies of 48 bytes
 * at the start of the `-shm` file. Every commit rewrites them (its change counter, frame
 * count and checksums), which is how SQLite tells each connection that another one wrote.
 */
const WAL_INDEX_HEADER_BYTES = 96;
/** `isInit` of the first copy: 1 once the header is set up. */
const WAL_INDEX_IS_INIT = 12;

/**
 * WAL pages after which a commit checkpoints (SQLite's default: 1000). A checkpoint syncs the
 * WAL and the database file, two fsyncs whose cost hardly depends on how much they write on
 * a busy disk; a recorded State.set writes two pages, so with the default every 500th one
 * paid them (14 ms and more). Commits stay as durable (synchronous NORMAL); the WAL file
 * grows to ~16 MiB (4 KiB pages) before it starts over, and one wal-index segment (4096
 * frames) still covers it, so reads search no more.
 */
const WAL_AUTOCHECKPOINT_PAGES = 4000;

/** How long a connection waits for another writer before failing. */
export const BUSY_TIMEOUT_MS = 5000;

/** SQLite result codes that mean "this file is not a healthy database". */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;
/** SQLite result codes of a read or write that failed for a reason outside llmspell. */
const SQLITE_BUSY = 5;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** The migration list (tests pass their own); defaults to `MIGRATIONS`. */
  migrations?: readonly Migration[];
  /**
   * The caller holds the database alone (store_lock.ts takeStore: a restore's swap), so this
   * connection takes no lock of its own.
   */
  held?: boolean;
}

/** `Store` on a local SQLite file through `node:sqlite`. */
export class SqliteStore implements Store {
  readonly path: string;
  /** The connection, for the repositories that own tables (state, sessions, history…). */
  readonly db: DatabaseSync;
  #depth = 0;
  /** What runs once the outermost transaction commits, with the depth that asked. */
  #afterCommit: { depth: number; fn: () => void }[] = [];
  /** Statements of transaction control by their SQL (see #run). */
  readonly #control = new Map<string, StatementSync>();
  #state: StateRepository | undefined;
  #sessions: SessionRepository | undefined;
  #artifacts: ArtifactRepository | undefined;
  #history: HistoryRepository | undefined;
  #keyAudit: KeyAuditRepository | undefined;
  /** The WAL index file, opened at the first changeToken (null: there is none to read). */
  #walIndex: Deno.FsFile | null | undefined;
  /** This process's claim on the database (store_lock.ts), dropped at close. */
  #use: { release(): void } | undefined;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.db = db;
  }

  /**
   * Opens (creating if needed) the database at `path` and applies pending migrations.
   * Prefer `openStore`, which also creates the parent directory.
   */
  static open(path: string, opts: OpenStoreOptions = {}): SqliteStore {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path);
      const store = new SqliteStore(path, db);
      // busy_timeout first: switching to WAL takes a lock another process may hold.
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.exec("PRAGMA foreign_keys = ON");
      db.prepare("PRAGMA journal_mode = WAL").get();
      // NORMAL is durable in WAL mode except for the last commits on power loss.
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      store.#migrate(opts.migrations ?? MIGRATIONS);
      return store;
    } catch (e) {
      try {
        db?.close();
      } catch {
        // Already failing; the original error is the one to report.
      }
      throw storeError(path, e);
    }
  }

  migrationsApplied(): AppliedMigration[] {
    if (!this.#hasMigrationsTable()) return [];
    const rows = this.db.prepare(
      "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
    ).all() as { version: number; name: string; applied_at: string }[];
    return rows.map((r) => ({ version: r.version, name: r.name, appliedAt: r.applied_at }));
  }

  transaction<T>(fn: () => T): T {
    const outer = this.#depth === 0;
    const savepoint = `sp_${this.#depth}`;
    // IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
    // instead of one failing with SQLITE_BUSY when it upgrades a read lock.
    this.#run(outer ? "BEGIN IMMEDIATE" : `SAVEPOINT ${savepoint}`);
    this.#depth++;
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.#depth--;
      // A statement that failed on a full disk may have rolled the whole transaction back
      // already: then there is nothing left to roll back.
      if (this.db.isTransaction) {
        if (outer) this.#run("ROLLBACK");
        else {
          this.#run(`ROLLBACK TO ${savepoint}`);
          this.#run(`RELEASE ${savepoint}`);
        }
      }
      this.#dropAfterCommit();
      throw e;
    }
    this.#depth--;
    try {
      this.#run(outer ? "COMMIT" : `RELEASE ${savepoint}`);
    } catch (e) {
      // A COMMIT that failed (a full disk) can leave the transaction open: end it, so
      // that the connection stays usable and nothing of it is half written.
      if (outer && this.db.isTransaction) this.#run("ROLLBACK");
      this.#dropAfterCommit();
      throw e;
    }
    if (outer) this.#runAfterCommit();
    return result;
  }

  /**
   * Runs a statement of transaction control, prepared once: a prepared statement's error
   * carries SQLite's result code (errcode), which `exec`'s does not, and storeFailure
   * needs it to tell a full disk from a busy database.
   */
  #run(sql: string): void {
    let stmt = this.#control.get(sql);
    if (!stmt) this.#control.set(sql, stmt = this.db.prepare(sql));
    stmt.run();
  }

  /** What a rolled-back part of a transaction asked for must not happen. */
  #dropAfterCommit(): void {
    this.#afterCommit = this.#afterCommit.filter((a) => a.depth <= this.#depth);
  }

  /** Runs `fn` once the transaction in progress has committed; at once outside of one. */
  afterCommit(fn: () => void): void {
    if (this.#depth === 0) fn();
    else this.#afterCommit.push({ depth: this.#depth, fn });
  }

  #runAfterCommit(): void {
    if (this.#afterCommit.length === 0) return;
    const due = this.#afterCommit;
    this.#afterCommit = [];
    for (const a of due) a.fn();
  }

  get state(): StateRepository {
    return this.#state ??= new SqliteStateRepository(this.db, (fn) => this.transaction(fn));
  }

  get sessions(): SessionRepository {
    return this.#sessions ??= new SqliteSessionRepository(
      this.db,
      (fn) => this.transaction(fn),
      // A deleted session's artifacts: their content files go once the deletion commits.
      (shas) => this.afterCommit(() => this.artifacts.collect(shas)),
    );
  }

  get artifacts(): ArtifactRepository {
    return this.#artifacts ??= new SqliteArtifactRepository(
      this.db,
      this.path,
      (fn) => this.transaction(fn),
      (fn) => this.afterCommit(fn),
    );
  }

  get history(): HistoryRepository {
    return this.#history ??= new SqliteHistoryRepository(this.db);
  }

  get keyAudit(): KeyAuditRepository {
    return this.#keyAudit ??= new SqliteKeyAuditRepository(this.db);
  }

  changeToken(): ChangeToken | undefined {
    if (this.#walIndex === undefined) {
      try {
        this.#walIndex = this.path === ":memory:"
          ? null
          : Deno.openSync(`${this.path}-shm`, { read: true });
      } catch {
        this.#walIndex = null;
      }
    }
    const file = this.#walIndex;
    if (file === null) return undefined;
    const token = new Uint8Array(WAL_INDEX_HEADER_BYTES);
    try {
      file.seekSync(0, Deno.SeekMode.Start);
      if (file.readSync(token) !== token.length) return undefined;
    } catch {
      return undefined;
    }
    // A header being written reads as two different copies (SQLite writes the second one
    // first): no token then.
    const half = WAL_INDEX_HEADER_BYTES / 2;
    if (token[WAL_INDEX_IS_INIT] !== 1) return undefined;
    for (let i = 0; i < half; i++) if (token[i] !== token[half + i]) return undefined;
    return { file: `${this.path}-shm`, token };
  }

  /** Ties this process's claim on the database (openStore) to this connection. */
  holdUse(use: { release(): void } | undefined): void {
    this.#use = use;
  }

  close(): void {
    this.#walIndex?.close();
    this.#walIndex = null;
    try {
      this.db.close();
    } finally {
      this.#use?.release();
      this.#use = undefined;
    }
  }

  #hasMigrationsTable(): boolean {
    return this.db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    ).get() !== undefined;
  }

  #appliedVersions(): Set<number> {
    return new Set(this.migrationsApplied().map((m) => m.version));
  }

  #migrate(migrations: readonly Migration[]): void {
    migrations.forEach((m, i) => {
      if (m.version !== i + 1) {
        throw new Error(`migration list out of order: position ${i} has version ${m.version}`);
      }
    });
    const latest = migrations.length;
    const applied = this.#appliedVersions();
    const newest = Math.max(0, ...applied);
    if (newest > latest) {
      throw new LlmspellError({
        code: "store_too_new",
        message:
          `database ${this.path} has schema version ${newest}; this llmspell knows ${latest}`,
        hint: "upgrade llmspell, or point LLMSPELL_HOME elsewhere",
      });
    }
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      try {
        this.transaction(() => {
          // Another process may have applied it while we waited for the write lock.
          if (this.#appliedVersions().has(m.version)) return;
          m.up(this.db);
          this.db.prepare(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
          ).run(m.version, m.name, new Date().toISOString());
        });
      } catch (e) {
        const errcode = (e as { errcode?: unknown }).errcode;
        // Corruption surfaces here too; let storeError name it as such.
        if (errcode === SQLITE_NOTADB || errcode === SQLITE_CORRUPT) throw e;
        throw new LlmspellError({
          code: "store_migration_failed",
          message: `migrating ${this.path} to version ${m.version} (${m.name}) failed: ${
            e instanceof Error ? e.message : String(e)
          }`,
          hint: "the database is unchanged; report this with the message above",
          cause: e,
        });
      }
    }
  }
}

/**
 * Opens the database at `dbPath`, creating its directory (mode 0700: the database holds
 * conversations and keys) and applying pending migrations.
 *
 * @throws LlmspellError `store_corrupt` when the file is not a SQLite database or is
 *   damaged, `store_too_new` when a newer llmspell migrated it, `store_migration_failed`
 *   when a migration fails (it is rolled back), `store_open_failed`
 *   for other failures (permissions, a directory in the way)
 */
export function openStore(dbPath: string, opts: OpenStoreOptions = {}): SqliteStore {
  if (dbPath === ":memory:") return SqliteStore.open(dbPath, opts);
  let use: { release(): void } | undefined;
  try {
    Deno.mkdirSync(dirname(dbPath), { recursive: true, mode: 0o700 });
    // Before SQLite opens the file: a restore may be swapping it (we wait), or have been
    // killed while it did (we finish its swap first).
    if (!opts.held) use = useStore(dbPath);
  } catch (e) {
    throw storeError(dbPath, e);
  }
  try {
    const store = SqliteStore.open(dbPath, opts);
    store.holdUse(use);
    return store;
  } catch (e) {
    use?.release();
    throw e;
  }
}

function storeError(path: string, e: unknown): LlmspellError {
  if (e instanceof LlmspellError) return e;
  const errcode = (e as { errcode?: unknown }).errcode;
  const detail = e instanceof Error ? e.message : String(e);
  if (errcode === SQLITE_NOTADB || errcode === SQLITE_CORRUPT) {
    return new LlmspellError({
      code: "store_corrupt",
      message: `${path} is not a usable llmspell database (${detail})`,
      hint:
        `move ${path} aside (or restore it with \`llmspell backup\`) and run again to start a fresh database`,
      cause: e,
    });
  }
  return new LlmspellError({
    code: "store_open_failed",
    message: `cannot open database ${path}: ${detail}`,
    hint: "check that the data directory is writable, or set LLMSPELL_HOME",
    cause: e,
  });
}

/**
 * A read or write of the database at `path` that failed for a reason the user can act on
 * (a full disk, a lock held too long, a read-only file) as a clear error; undefined for
 * anything else. SQLite rolls the statement back, so the database stays as it was.
 */
export function storeFailure(path: string, e: unknown): LlmspellError | undefined {
  if (e instanceof LlmspellError) return e;
  const errcode = (e as { errcode?: unknown }).errcode;
  if (typeof errcode !== "number") return undefined;
  // Extended result codes carry the primary code in their low byte.
  const primary = errcode & 0xff;
  const detail = e instanceof Error ? e.message : String(e);
  const fail = (code: string, message: string, hint: string) =>
    new LlmspellError({ code, message, hint, cause: e });
  if (primary === SQLITE_FULL) {
    return fail(
      "store_full",
      `the disk holding ${path} is full (${detail})`,
      "free some space there: nothing was written, and the database is usable as it was",
    );
  }
  if (primary === SQLITE_BUSY) {
    return fail(
      "store_busy",
      `${path} stayed locked by another process for ${BUSY_TIMEOUT_MS / 1000} s`,
      "try again; a process holding a long write transaction blocks the others",
    );
  }
  if (primary === SQLITE_READONLY) {
    return fail(
      "store_read_only",
      `${path} cannot be written (${detail})`,
      "check the permissions of the file and of its directory",
    );
  }
  if (primary === SQLITE_IOERR) {
    return fail(
      "store_io",
      `reading or writing ${path} failed (${detail})`,
      "check the disk; the database is unchanged",
    );
  }
  if (primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB) return storeError(path, e);
  return undefined;
}
