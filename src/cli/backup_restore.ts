/**
 * Putting a checked backup in place (`backup restore`): its database and artifact files are
 * first written to a staging folder inside the data directory, then the current database
 * (with its WAL files) and artifacts folder are renamed into a folder kept aside, and the
 * staged ones renamed into their place. Renames within one directory tree are atomic, and
 * if one fails the ones done are undone in reverse order, so a restore that fails leaves the
 * previous data as it was.
 *
 * @module
 */
import { dirname, join } from "../path.ts";
import { syncDirectory } from "../sync_dir.ts";
import { artifactPath, artifactsDir, checkpoint, openStore } from "../store/mod.ts";
import { DB_MEMBER } from "./backup_archive.ts";

/** Whether anything (a file, a folder, a dangling link) is at `p`. */
export async function exists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Writes the artifact content files into `stagingDir/artifacts`, the layout of the data dir. */
export async function stageArtifacts(
  stagingDir: string,
  files: Map<string, Uint8Array>,
): Promise<void> {
  const dir = join(stagingDir, "artifacts");
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [sha, data] of files) {
    const file = artifactPath(dir, sha);
    await Deno.mkdir(join(file, ".."), { recursive: true, mode: 0o700 });
    await Deno.writeFile(file, data, { mode: 0o600 });
  }
}

/**
 * Swaps the staged database and artifacts (in `stagingDir`, as `stageArtifacts` and the
 * check left them) for the current ones of `dbPath`, which move into `asideDir`.
 */
export async function swapIn(dbPath: string, stagingDir: string, asideDir: string): Promise<void> {
  if (await exists(dbPath)) {
    // The database file alone then holds every commit: the WAL files moved with it are empty.
    const store = openStore(dbPath);
    try {
      checkpoint(store);
    } finally {
      store.close();
    }
  }
  await Deno.mkdir(asideDir, { recursive: true, mode: 0o700 });
  const live = artifactsDir(dbPath);
  const moves: [string, string][] = [];
  for (const suffix of ["", "-wal", "-shm"]) {
    if (await exists(dbPath + suffix)) {
      moves.push([dbPath + suffix, join(asideDir, DB_MEMBER + suffix)]);
    }
  }
  if (await exists(live)) moves.push([live, join(asideDir, "artifacts")]);
  moves.push([join(stagingDir, DB_MEMBER), dbPath], [join(stagingDir, "artifacts"), live]);
  const done: [string, string][] = [];
  try {
    for (const [from, to] of moves) {
      await Deno.rename(from, to);
      done.push([from, to]);
    }
  } catch (e) {
    for (const [from, to] of done.reverse()) await Deno.rename(to, from);
    // Empty again: nothing was kept aside.
    await Deno.remove(asideDir).catch(() => {});
    throw e;
  }
  syncDirectory(asideDir);
  syncDirectory(dirname(dbPath));
}
