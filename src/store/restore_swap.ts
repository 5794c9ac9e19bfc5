/**
 * Putting a restored database and artifacts folder in place (`llmspell backup restore`): the
 * staged ones (a folder inside the data directory, written and checked whole) are swapped in by
 * renames: the current database (with its WAL files) and artifacts folder into a folder kept
 * aside, then the staged ones into their place. Renames within one file system are atomic; a
 * journal written first lists them, so a process killed midway leaves a swap that the next one
 * to open the database finishes (src/store/store_lock.ts) instead of a home without a database,
 * which the next open would have replaced with an empty one. Finishing it (rolling forward)
 * rather than undoing it: the staged data is whole and checked, and the user asked for it; the
 * previous data is kept aside either way. A rename that fails (not a kill) undoes those done.
 *
 * @module
 */
import { dirname, join } from "../path.ts";
import { LlmspellError } from "../errors.ts";
import { syncDirectory } from "../sync_dir.ts";
import { artifactsDir } from "./artifacts.ts";

const DB_FILE = "llmspell.db";

interface Journal {
  pid: number;
  /** The backup restored (for the message). */
  source: string;
  staging: string;
  aside: string;
  /** [from, to], in order. */
  moves: [string, string][];
}

/** Where the journal of a swap in progress lives: a fixed name, checked at each open. */
export function swapJournal(dbPath: string): string {
  return `${dbPath}-restore.json`;
}

function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether a swap's journal is there: a restore swaps now, or was killed while it did. */
export function swapPending(dbPath: string): boolean {
  return exists(swapJournal(dbPath));
}

/** The journal of an interrupted swap, if there is one. */
function readSwapJournal(dbPath: string): Journal | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(swapJournal(dbPath))) as Journal;
  } catch {
    return undefined;
  }
}

function writeJournal(dbPath: string, j: Journal): void {
  const file = swapJournal(dbPath);
  const tmp = `${file}.${crypto.randomUUID()}.tmp`;
  const f = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    f.writeSync(new TextEncoder().encode(JSON.stringify(j) + "\n"));
    f.syncSync();
  } finally {
    f.close();
  }
  Deno.renameSync(tmp, file);
  syncDirectory(dirname(file));
}

function endJournal(dbPath: string, j: Journal): void {
  syncDirectory(j.aside);
  syncDirectory(dirname(dbPath));
  Deno.removeSync(swapJournal(dbPath));
  syncDirectory(dirname(dbPath));
  try {
    Deno.removeSync(j.staging, { recursive: true });
  } catch {
    // Its owner (a live restore) removes it; a sweep removes an orphaned one.
  }
}

/**
 * Swaps the staged `llmspell.db` and `artifacts/` of `stagingDir` in for those of `dbPath`,
 * which move into `asideDir`. The caller holds the database alone (store_lock.ts takeStore)
 * and has checkpointed it, so that its WAL files hold nothing (they move with it anyway).
 */
export function swapIn(dbPath: string, stagingDir: string, asideDir: string, source: string): void {
  Deno.mkdirSync(asideDir, { recursive: true, mode: 0o700 });
  const live = artifactsDir(dbPath);
  const moves: [string, string][] = [];
  for (const suffix of ["", "-wal", "-shm"]) {
    if (exists(dbPath + suffix)) moves.push([dbPath + suffix, join(asideDir, DB_FILE + suffix)]);
  }
  if (exists(live)) moves.push([live, join(asideDir, "artifacts")]);
  moves.push([join(stagingDir, DB_FILE), dbPath], [join(stagingDir, "artifacts"), live]);
  const j: Journal = { pid: Deno.pid, source, staging: stagingDir, aside: asideDir, moves };
  writeJournal(dbPath, j);
  const done: [string, string][] = [];
  try {
    for (const [from, to] of moves) {
      Deno.renameSync(from, to);
      done.push([from, to]);
    }
  } catch (e) {
    for (const [from, to] of done.reverse()) Deno.renameSync(to, from);
    Deno.removeSync(swapJournal(dbPath));
    try {
      // Empty again: nothing was kept aside.
      Deno.removeSync(asideDir);
    } catch {
      // Left empty.
    }
    throw e;
  }
  endJournal(dbPath, j);
}

/**
 * Finishes the swap of a restore killed midway, by its journal: the renames not done yet are
 * done. Returns what it did, for the user, or undefined when there was none. The caller holds
 * the database alone.
 */
export function finishSwap(dbPath: string): string | undefined {
  if (!swapPending(dbPath)) return undefined;
  const j = readSwapJournal(dbPath);
  if (!j) {
    throw new LlmspellError({
      code: "store_restore_unfinished",
      message: `an interrupted restore left ${swapJournal(dbPath)}, which cannot be read`,
      hint: `look at ${
        dirname(dbPath)
      }: the previous data is in a before-restore-* folder, the restored one in a .restore-* folder; remove the file once the database is in place`,
    });
  }
  for (const [from, to] of j.moves) {
    if (exists(from) && exists(to)) {
      throw new LlmspellError({
        code: "store_restore_unfinished",
        message:
          `an interrupted restore of ${j.source} cannot be finished: both ${from} and ${to} exist`,
        hint: `keep the one you want at ${to}, then remove ${swapJournal(dbPath)}`,
      });
    }
    if (exists(from)) Deno.renameSync(from, to);
  }
  endJournal(dbPath, j);
  return `finished the restore of ${j.source} that was interrupted (pid ${j.pid}): the previous database and artifacts are kept in ${j.aside}`;
}
