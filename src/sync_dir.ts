/**
 * Syncing a directory after a rename in it, so that the rename itself survives a crash (a
 * file written beside its final name, synced and renamed is whole; the directory entry that
 * names it is on disk only once the directory is synced).
 *
 * @module
 */

/** Syncs the directory `dir`; best effort: some file systems cannot sync a directory. */
export function syncDirectory(dir: string): void {
  try {
    const d = Deno.openSync(dir, { read: true });
    try {
      d.syncSync();
    } finally {
      d.close();
    }
  } catch {
    // The rename is done either way.
  }
}
