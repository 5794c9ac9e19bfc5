/**
 * Putting a checked backup in place (`backup restore`), once no process uses the database:
 * not a kernel of this user (its registry), not any process that has the database open (a
 * REPL, a `run`, `exec` or debug session that touched State, Session or Artifact, another
 * CLI command: src/store/store_lock.ts). The swap itself, and finishing one a kill
 * interrupted, is src/store/restore_swap.ts.
 *
 * @module
 */
import type { LlmspellPaths } from "../config/mod.ts";
import { LlmspellError } from "../errors.ts";
import { isAlive, listKernels } from "../kernel/registry.ts";
import { checkpoint, openStore, storeUsers, swapIn, takeStore } from "../store/mod.ts";

/** Whether anything (a file, a folder, a dangling link) is at `p`. */
export async function exists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The error of a restore refused because `what` uses the database. */
function inUse(what: string, hint: string): LlmspellError {
  return new LlmspellError({
    code: "backup_store_in_use",
    message: `${what} uses the database; nothing restored`,
    hint,
  });
}

async function refuseRunningKernels(paths: LlmspellPaths): Promise<void> {
  const running = (await listKernels(paths.runtimeDir)).filter(isAlive);
  if (running.length === 0) return;
  const k = running[0];
  throw inUse(
    `kernel ${k.id} (pid ${k.pid}) is running and`,
    `stop it first (llmspell kernel stop ${k.id})${
      running.length > 1 ? `, and the ${running.length - 1} other(s) kernel status lists` : ""
    }`,
  );
}

/** The refusal naming the processes that have the database open. */
function refuseUsers(paths: LlmspellPaths): LlmspellError {
  const users = storeUsers(paths.dbPath);
  if (users.length === 0) {
    return inUse(
      "another llmspell process",
      "stop the REPLs, scripts and kernels of this LLMSPELL_HOME, then restore again",
    );
  }
  const [u] = users;
  const more = users.length > 1 ? ` and ${users.length - 1} other process(es)` : "";
  return inUse(
    `\`${u.command}\` (pid ${u.pid})${more}`,
    `stop ${
      more ? "them" : "it"
    } first (quit the REPL, let the script end, llmspell kernel stop for a kernel), then restore again`,
  );
}

/** Refuses (an error) while a kernel runs or another process has the database open. */
export async function refuseInUse(paths: LlmspellPaths): Promise<void> {
  await refuseRunningKernels(paths);
  const held = takeStore(paths.dbPath);
  if (!held) throw refuseUsers(paths);
  held.release();
}

/**
 * Swaps the staged database and artifacts of `stagingDir` in (the current ones into
 * `asideDir`), holding the database alone meanwhile: refused if a process opened it since
 * the first check.
 */
export async function putInPlace(
  paths: LlmspellPaths,
  stagingDir: string,
  asideDir: string,
  source: string,
): Promise<void> {
  await refuseRunningKernels(paths);
  const held = takeStore(paths.dbPath);
  if (!held) throw refuseUsers(paths);
  try {
    if (await exists(paths.dbPath)) {
      // The database file alone then holds every commit: the WAL files moved with it are empty.
      const store = openStore(paths.dbPath, { held: true });
      try {
        checkpoint(store);
      } finally {
        store.close();
      }
    }
    swapIn(paths.dbPath, stagingDir, asideDir, source);
  } finally {
    held.release();
  }
}
