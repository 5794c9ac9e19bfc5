import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  BUSY_TIMEOUT_MS,
  Migration,
  MIGRATIONS,
  openStore,
  storeFailure,
} from "../../src/store/mod.ts";
import { LlmspellError } from "../../src/errors.ts";

async function tempDir() {
  const dir = await Deno.makeTempDir({ prefix: "llmspell-store-test-" });
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** MIGRATIONS plus a table of our own, with a counter of how often `up` ran. */
function withNotes(): { migrations: Migration[]; runs: () => number } {
  let runs = 0;
  const notes: Migration = {
    version: MIGRATIONS.length + 1,
    name: "notes",
    up(db) {
      runs++;
      db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    },
  };
  return { migrations: [...MIGRATIONS, notes], runs: () => runs };
}

Deno.test("openStore: creates the directory (0700) and applies migration 1", async () => {
  await using t = await tempDir();
  const dbPath = join(t.dir, "deep", "data", "llmspell.db");
  const store = openStore(dbPath, { migrations: MIGRATIONS.slice(0, 1) });
  try {
    const applied = store.migrationsApplied();
    assert.deepEqual(applied.map((m) => [m.version, m.name]), [[1, "schema_migrations"]]);
    assert.match(applied[0].appliedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(join(t.dir, "deep", "data"))).mode! & 0o777, 0o700);
    }
    // Migration 1 creates the record and nothing else.
    const tables = store.db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    ).all().map((r) => r.name);
    assert.deepEqual(tables, ["schema_migrations"]);
  } finally {
    store.close();
  }
});

Deno.test("openStore: WAL mode, busy timeout and foreign keys are on", async () => {
  await using t = await tempDir();
  const store = openStore(join(t.dir, "llmspell.db"));
  try {
    const pragma = (name: string) => Object.values(store.db.prepare(`PRAGMA ${name}`).get()!)[0];
    assert.equal(pragma("journal_mode"), "wal");
    assert.equal(pragma("busy_timeout"), BUSY_TIMEOUT_MS);
    assert.equal(pragma("foreign_keys"), 1);
  } finally {
    store.close();
  }
});

Deno.test("openStore: migrations run once; reopening is idempotent", async () => {
  await using t = await tempDir();
  const dbPath = join(t.dir, "llmspell.db");
  const { migrations, runs } = withNotes();
  const first = openStore(dbPath, { migrations });
  const appliedAt = first.migrationsApplied();
  first.db.prepare("INSERT INTO notes (body) VALUES (?)").run("kept");
  first.close();
  assert.equal(runs(), 1);

  const again = openStore(dbPath, { migrations });
  try {
    assert.equal(runs(), 1);
    assert.deepEqual(again.migrationsApplied(), appliedAt);
    assert.equal(again.db.prepare("SELECT count(*) AS n FROM notes").get()!.n, 1);
  } finally {
    again.close();
  }
});

Deno.test("openStore: a database upgraded in place gets only the new migrations", async () => {
  await using t = await tempDir();
  const dbPath = join(t.dir, "llmspell.db");
  openStore(dbPath).close();
  const { migrations, runs } = withNotes();
  const store = openStore(dbPath, { migrations });
  try {
    assert.equal(runs(), 1);
    assert.deepEqual(
      store.migrationsApplied().map((m) => m.version),
      [...MIGRATIONS.map((m) => m.version), MIGRATIONS.length + 1],
    );
  } finally {
    store.close();
  }
});

Deno.test("openStore: a failing migration leaves nothing behind", async () => {
  await using t = await tempDir();
  const dbPath = join(t.dir, "llmspell.db");
  const broken: Migration = {
    version: MIGRATIONS.length + 1,
    name: "broken",
    up(db) {
      db.exec("CREATE TABLE half (x)");
      throw new Error("boom");
    },
  };
  assert.throws(
    () => openStore(dbPath, { migrations: [...MIGRATIONS, broken] }),
    (e) =>
      e instanceof LlmspellError && e.code === "store_migration_failed" &&
      e.message.includes(`version ${MIGRATIONS.length + 1} (broken) failed: boom`),
  );
  const store = openStore(dbPath);
  try {
    assert.deepEqual(
      store.migrationsApplied().map((m) => m.version),
      MIGRATIONS.map((m) => m.version),
    );
    const half = store.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'half'").get();
    assert.equal(half, undefined);
  } finally {
    store.close();
  }
});

Deno.test("openStore: a database from a newer llmspell is refused", async () => {
  await using t = await tempDir();
  const dbPath = join(t.dir, "llmspell.db");
  openStore(dbPath, withNotes()).close();
  assert.throws(
    () => openStore(dbPath),
    (e) => e instanceof LlmspellError && e.code === "store_too_new",
  );
});

Deno.test("transaction: commits, rolls back on throw, nests with savepoints", async () => {
  await using t = await tempDir();
  const store = openStore(join(t.dir, "llmspell.db"), withNotes());
  try {
    const insert = store.db.prepare("INSERT INTO notes (body) VALUES (?)");
    const bodies = () =>
      store.db.prepare("SELECT body FROM notes ORDER BY id").all().map((r) => r.body);
    assert.equal(store.transaction(() => (insert.run("a"), 42)), 42);
    assert.throws(() =>
      store.transaction(() => {
        insert.run("lost");
        throw new Error("abort");
      }), /abort/);
    store.transaction(() => {
      insert.run("outer");
      assert.throws(() =>
        store.transaction(() => {
          insert.run("inner-lost");
          throw new Error("inner");
        })
      );
      store.transaction(() => insert.run("inner-kept"));
    });
    assert.deepEqual(bodies(), ["a", "outer", "inner-kept"]);
  } finally {
    store.close();
  }
});

Deno.test("a second connection sees committed data", async () => {
  await using t = await tempDir();
  const dbPath = join(t.dir, "llmspell.db");
  const a = openStore(dbPath, withNotes());
  const b = openStore(dbPath, withNotes());
  const raw = new DatabaseSync(dbPath, { readOnly: true });
  try {
    a.transaction(() => a.db.prepare("INSERT INTO notes (body) VALUES ('hello')").run());
    assert.equal(b.db.prepare("SELECT body FROM notes").get()!.body, "hello");
    assert.equal(raw.prepare("SELECT count(*) AS n FROM notes").get()!.n, 1);
  } finally {
    raw.close();
    b.close();
    a.close();
  }
});

Deno.test("openStore: a file that is not SQLite gives store_corrupt naming the file", async () => {
  await using t = await tempDir();
  const dbPath = join(t.dir, "llmspell.db");
  await Deno.writeTextFile(dbPath, "this is not a database\n".repeat(100));
  assert.throws(
    () => openStore(dbPath),
    (e) =>
      e instanceof LlmspellError && e.code === "store_corrupt" &&
      e.message.includes(dbPath) && e.hint!.includes(dbPath) &&
      e.hint!.includes("llmspell backup"),
  );
  // The file is left alone for the user to inspect or restore.
  assert.equal(await Deno.readTextFile(dbPath), "this is not a database\n".repeat(100));
});

Deno.test("openStore: a directory in the way is a clear open failure", async () => {
  await using t = await tempDir();
  await Deno.mkdir(join(t.dir, "llmspell.db"));
  assert.throws(
    () => openStore(join(t.dir, "llmspell.db")),
    (e) => e instanceof LlmspellError && e.code === "store_open_failed",
  );
});

Deno.test("storeFailure: a full disk, a lock held too long and a read-only file are clear errors", () => {
  const sqlite = (errcode: number, message: string) =>
    Object.assign(new Error(message), { errcode });
  const full = storeFailure("/d/llmspell.db", sqlite(13, "database or disk is full"));
  assert.equal(full?.code, "store_full");
  assert.match(full!.message, /the disk holding \/d\/llmspell\.db is full/);
  assert.equal(storeFailure("/d/x.db", sqlite(5, "database is locked"))?.code, "store_busy");
  // Extended codes carry the primary one in their low byte (SQLITE_READONLY_DBMOVED).
  assert.equal(storeFailure("/d/x.db", sqlite(8 | (4 << 8), "readonly"))?.code, "store_read_only");
  assert.equal(storeFailure("/d/x.db", sqlite(10 | (3 << 8), "disk I/O error"))?.code, "store_io");
  assert.equal(storeFailure("/d/x.db", sqlite(19, "constraint")), undefined);
  assert.equal(storeFailure("/d/x.db", new Error("no code")), undefined);
});
