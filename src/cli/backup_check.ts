/**
 * Checking a backup (`backup verify`, and `backup restore` before it changes anything): the
 * archive against its manifest (backup_archive.ts), then the database inside it, written to
 * a work folder: `PRAGMA integrity_check`, a schema this llmspell knows, and a content file
 * (or a known-missing one) for every artifact it lists.
 *
 * @module
 */
import { join } from "../path.ts";
import { MIGRATIONS, openDatabaseCopy, type StoreCounts } from "../store/mod.ts";
import { artifactMember, DB_MEMBER, type Manifest, readBackup } from "./backup_archive.ts";

export interface CheckedBackup {
  manifest: Manifest | undefined;
  /** The archive's members by name (those read whole and matching the manifest). */
  members: Map<string, Uint8Array>;
  /** The database copy written to the work folder (when the archive has it whole). */
  dbFile: string | undefined;
  /** What `PRAGMA integrity_check` said of it. */
  integrity: string[] | undefined;
  /** What the database copy holds, counted. */
  counts: StoreCounts | undefined;
  problems: string[];
}

/** Checks the backup `file`; its database copy is left in `workDir` as `llmspell.db`. */
export async function checkBackup(file: string, workDir: string): Promise<CheckedBackup> {
  const { manifest, members, problems } = await readBackup(file);
  const out: CheckedBackup = {
    manifest,
    members,
    dbFile: undefined,
    integrity: undefined,
    counts: undefined,
    problems,
  };
  const db = members.get(DB_MEMBER);
  if (!manifest || !db) return out;
  out.dbFile = join(workDir, DB_MEMBER);
  await Deno.writeFile(out.dbFile, db, { mode: 0o600 });
  let copy;
  try {
    copy = openDatabaseCopy(out.dbFile);
    out.integrity = copy.integrityCheck();
  } catch (e) {
    problems.push(`${DB_MEMBER} is not a usable database (${e instanceof Error ? e.message : e})`);
    copy?.close();
    return out;
  }
  try {
    if (out.integrity.join() !== "ok") {
      problems.push(`${DB_MEMBER}: integrity_check found ${out.integrity.slice(0, 5).join("; ")}`);
      return out;
    }
    const version = copy.schemaVersion();
    if (version > MIGRATIONS.length) {
      problems.push(
        `${DB_MEMBER} has schema version ${version}; this llmspell knows ${MIGRATIONS.length} (a newer llmspell wrote it)`,
      );
    }
    out.counts = copy.counts();
    const missing = new Set(manifest.missing_artifact_files);
    for (const sha of copy.artifactShas()) {
      if (!missing.has(sha) && !members.has(artifactMember(sha))) {
        problems.push(`the database lists artifact content ${sha}, which the archive lacks`);
      }
    }
  } finally {
    copy.close();
  }
  return out;
}
