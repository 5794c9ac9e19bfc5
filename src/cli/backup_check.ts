/**
 * Checking a backup (`backup verify`, and `backup restore` before it changes anything): the
 * archive against its manifest (backup_archive.ts), streamed through, its database written to
 * a work folder (and for a restore its artifact files too): then that database's
 * `PRAGMA integrity_check`, a schema this llmspell knows, and a content file (or a
 * known-missing one) for every artifact it lists.
 *
 * @module
 */
import { join } from "../path.ts";
import { artifactPath, MIGRATIONS, openDatabaseCopy, type StoreCounts } from "../store/mod.ts";
import {
  artifactMember,
  DB_MEMBER,
  type Manifest,
  type ManifestMember,
  readBackup,
  shaOfMember,
} from "./backup_archive.ts";

export interface CheckedBackup {
  manifest: Manifest | undefined;
  /** The archive's members by name (those read whole and matching the manifest). */
  members: Map<string, ManifestMember>;
  /** The database copy written to the work folder (when the archive has it whole). */
  dbFile: string | undefined;
  /** What `PRAGMA integrity_check` said of it. */
  integrity: string[] | undefined;
  /** What the database copy holds, counted. */
  counts: StoreCounts | undefined;
  problems: string[];
}

/**
 * Checks the backup `file`; its database copy is left in `workDir` as `llmspell.db`, and with
 * `stage` its artifact files in `workDir/artifacts`, the layout of the data directory.
 */
export async function checkBackup(
  file: string,
  workDir: string,
  stage = false,
): Promise<CheckedBackup> {
  const artifacts = join(workDir, "artifacts");
  const { manifest, members, problems } = await readBackup(file, (name) => {
    if (name === DB_MEMBER) return join(workDir, DB_MEMBER);
    const sha = shaOfMember(name);
    if (!stage || sha === undefined) return undefined;
    const to = artifactPath(artifacts, sha);
    Deno.mkdirSync(join(to, ".."), { recursive: true, mode: 0o700 });
    return to;
  });
  const out: CheckedBackup = {
    manifest,
    members,
    dbFile: undefined,
    integrity: undefined,
    counts: undefined,
    problems,
  };
  if (!manifest || !members.has(DB_MEMBER)) return out;
  out.dbFile = join(workDir, DB_MEMBER);
  // A restore puts the artifacts folder in place even when the backup has no artifact.
  if (stage) await Deno.mkdir(artifacts, { recursive: true, mode: 0o700 });
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
