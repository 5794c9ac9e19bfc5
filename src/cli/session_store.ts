/**
 * The llmspell database as the commands open it (`session`, `state`, `keys`,
 * `debug --replay`), and a session named by its id or a unique start of it.
 */
import { resolvePaths } from "../config/mod.ts";
import { LlmspellError, usageError } from "../errors.ts";
import { openStore, type SqliteStore, storeFailure } from "../store/mod.ts";
import type { CliContext } from "./context.ts";

/**
 * Runs `fn` with the database open, closing it after; a full disk, a lock held too long or a
 * read-only file is one clear error (storeFailure).
 */
export function withStore<T>(ctx: CliContext, fn: (store: SqliteStore) => T): T {
  const store = openStore(resolvePaths(ctx.env, ctx.cwd).dbPath);
  try {
    return fn(store);
  } catch (e) {
    throw storeFailure(store.path, e) ?? e;
  } finally {
    store.close();
  }
}

/** The full id of the session `id` names (its id, or a unique start of it). */
export function resolveId(store: SqliteStore, id: string): string {
  const found = store.sessions.find(id);
  if (found.includes(id)) return id;
  if (found.length === 1) return found[0];
  if (found.length > 1) throw usageError(`'${id}' names ${found.length} sessions: give more of it`);
  throw new LlmspellError({
    code: "session_not_found",
    message: `no session '${id}'`,
    hint: "llmspell session list shows them",
  });
}
