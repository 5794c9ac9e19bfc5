/**
 * The keys' audit repository and its migration: a database of the release before it gets the
 * table in place, with its other data kept; rows come back in order, by name; an action that
 * is not `set` or `remove` is refused by the table itself.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MIGRATIONS, openStore } from "../../src/store/mod.ts";

Deno.test("key_audit: added to a database of the previous schema; rows in order, by name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llmspell-key-audit-" });
  try {
    const dbPath = join(dir, "llmspell.db");
    const audit = MIGRATIONS.findIndex((m) => m.name === "key_audit");
    assert.ok(audit > 0, "key_audit is a migration");
    // A database as the release before the audit left it, with a value in it.
    const old = openStore(dbPath, { migrations: MIGRATIONS.slice(0, audit) });
    old.state.set("global", "kept", new Uint8Array([1, 2, 3]));
    assert.equal(
      old.db.prepare("SELECT name FROM sqlite_master WHERE name = 'key_audit'").get(),
      undefined,
    );
    old.close();

    const store = openStore(dbPath);
    try {
      assert.ok(store.migrationsApplied().some((m) => m.name === "key_audit"));
      assert.deepEqual(store.state.get("global", "kept"), new Uint8Array([1, 2, 3]));
      assert.deepEqual(store.keyAudit.list(), []);
      store.keyAudit.record("openai", "set", new Date("2026-12-01T10:00:00Z"));
      store.keyAudit.record("work", "set", new Date("2026-12-01T09:00:00Z"));
      store.keyAudit.record("openai", "remove", new Date("2026-12-01T11:00:00Z"));
      // In the order they were recorded, whatever their times.
      assert.deepEqual(store.keyAudit.list().map((e) => [e.name, e.action, e.at]), [
        ["openai", "set", "2026-12-01T10:00:00.000Z"],
        ["work", "set", "2026-12-01T09:00:00.000Z"],
        ["openai", "remove", "2026-12-01T11:00:00.000Z"],
      ]);
      assert.deepEqual(store.keyAudit.list("work").map((e) => e.action), ["set"]);
      assert.deepEqual(store.keyAudit.list("nobody"), []);
      // Only what the CLI does is an action; the columns hold no value.
      assert.throws(() =>
        store.db.prepare("INSERT INTO key_audit (name, action, at) VALUES ('x', 'read', 'now')")
          .run()
      );
      const columns = store.db.prepare("PRAGMA table_info(key_audit)").all()
        .map((c) => (c as { name: string }).name);
      assert.deepEqual(columns, ["id", "name", "action", "at"]);
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
