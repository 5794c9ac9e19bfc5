/**
 * The backup archive (`llmspell backup`): a tar file whose first member is `manifest.json`,
 * then the database copy `llmspell.db`, then each artifact content file as
 * `artifacts/<2 hex>/<sha256>`, the layout of the data directory. The manifest holds the
 * SHA-256 and size of every other member, so a flipped byte or a cut-off archive is found and
 * named; the manifest comes first so that a truncated archive still says what it lacks.
 *
 * Written and read as streams (backup_tar.ts), a chunk at a time: memory stays bounded
 * whatever the size of the database and the artifacts (docs/decisions/0031).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname } from "../path.ts";
import { concat } from "../bytes.ts";
import { LlmspellError } from "../errors.ts";
import { syncDirectory } from "../sync_dir.ts";
import type { StoreCounts } from "../store/mod.ts";
import { makePartial } from "./backup_work.ts";
import {
  CHUNK,
  END,
  fileHeader,
  padding,
  readTar,
  TarFormatError,
  TruncatedError,
} from "./backup_tar.ts";

export const MANIFEST_MEMBER = "manifest.json";
export const DB_MEMBER = "llmspell.db";
/** The manifest's `format`, and the newest `format_version` this llmspell reads. */
export const BACKUP_FORMAT = "llmspell-backup";
export const BACKUP_FORMAT_VERSION = 1;

/** A manifest larger than this is not one of ours (it lists names, sizes and hashes). */
const MAX_MANIFEST_BYTES = 64 << 20;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface ManifestMember {
  name: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  format_version: number;
  llmspell_version: string;
  /** ISO 8601, UTC. */
  created: string;
  /** The database's schema version (its newest migration). */
  schema_version: number;
  counts: StoreCounts;
  /** Every member but the manifest, in archive order. */
  members: ManifestMember[];
  /** Content files the database's artifacts use that were already gone from the data dir. */
  missing_artifact_files: string[];
  /** What llmspell keeps that a backup leaves out, and why (for the reader of the file). */
  not_included: string[];
}

/** The member name of an artifact content file. */
export function artifactMember(sha: string): string {
  return `artifacts/${sha.slice(0, 2)}/${sha}`;
}

/** The content SHA-256 an artifact member's name gives, or undefined for another name. */
export function shaOfMember(name: string): string | undefined {
  const m = /^artifacts\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(name);
  return m && m[2].startsWith(m[1]) ? m[2] : undefined;
}

/** The chunks of the file `f`, each a new buffer (a stream may hold on to it), at most `limit` bytes. */
async function* chunks(f: Deno.FsFile, limit = Infinity): AsyncGenerator<Uint8Array> {
  let left = limit;
  while (left > 0) {
    const buf = new Uint8Array(Math.min(CHUNK, left));
    const n = await f.read(buf);
    if (n === null) return;
    left -= n;
    yield n === buf.length ? buf : buf.subarray(0, n);
  }
}

async function writeAll(f: Deno.FsFile, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) at += await f.write(data.subarray(at));
}

/** The SHA-256 (hex) and size of the file at `path`, read a chunk at a time. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const f = await Deno.open(path, { read: true });
  try {
    const h = createHash("sha256");
    let size = 0;
    for await (const c of chunks(f)) {
      h.update(c);
      size += c.length;
    }
    return { sha256: h.digest("hex"), size };
  } finally {
    f.close();
  }
}

/** A member to archive: the file that holds its bytes, hashed already (`hashFile`). */
export interface SourceMember extends ManifestMember {
  file: string;
}

/** Appends the member `m` to `out`, read from its file a chunk at a time. */
async function addMember(out: Deno.FsFile, m: SourceMember, mtime: Date): Promise<number> {
  await writeAll(out, fileHeader(m.name, m.size, mtime));
  const f = await Deno.open(m.file, { read: true });
  let size = 0;
  try {
    for await (const c of chunks(f, m.size)) {
      await writeAll(out, c);
      size += c.length;
    }
  } finally {
    f.close();
  }
  if (size !== m.size) throw new Error(`${m.file} changed while it was archived`);
  await writeAll(out, padding(size));
  return 512 + size + padding(size).length;
}

/**
 * Writes the archive of `members` (manifest first, with their hashes) to `target`: to a
 * temporary name beside it, synced, then renamed, so that a crash or a full disk leaves no
 * file under the backup's name. Returns the manifest written and the archive's size.
 */
export async function writeBackup(
  target: string,
  manifest: Omit<Manifest, "members">,
  members: SourceMember[],
): Promise<{ manifest: Manifest; bytes: number }> {
  const full: Manifest = {
    ...manifest,
    members: members.map(({ name, size, sha256 }) => ({ name, size, sha256 })),
  };
  const text = new TextEncoder().encode(JSON.stringify(full, null, 2) + "\n");
  const mtime = new Date(full.created);
  const partial = await makePartial(target);
  let bytes = 0;
  try {
    const out = partial.file;
    for (
      const part of [fileHeader(MANIFEST_MEMBER, text.length, mtime), text, padding(text.length)]
    ) {
      await writeAll(out, part);
      bytes += part.length;
    }
    for (const m of members) bytes += await addMember(out, m, mtime);
    await writeAll(out, END);
    bytes += END.length;
    await out.sync();
    await Deno.rename(partial.path, target);
    syncDirectory(dirname(target));
    out.close();
  } catch (e) {
    await partial.release();
    throw new LlmspellError({
      code: "backup_write_failed",
      message: `cannot write the backup ${target}: ${e instanceof Error ? e.message : e}`,
      hint: "check the free space and permissions there; no partial backup was left",
      cause: e,
    });
  }
  return { manifest: full, bytes };
}

/** A member as read from an archive. */
export interface ScannedMember {
  size: number;
  sha256: string;
  /** The archive ended inside it. */
  truncated: boolean;
}

/** An archive as read: its manifest (if readable), its members, and what is wrong with it. */
export interface ReadBackup {
  manifest: Manifest | undefined;
  /** Members read whole and matching the manifest, by name (the manifest excluded). */
  members: Map<string, ManifestMember>;
  /** One line per problem found; empty when every member matches the manifest. */
  problems: string[];
}

/**
 * The members of the tar archive at `file`, each hashed as it streams by; `into(name)` says
 * where to write one (a path) or undefined to only hash it. `first` stops after the first
 * member (the manifest). Directory entries (GNU tar's) are skipped.
 */
async function scanTar(
  file: string,
  into: (name: string) => string | undefined,
  onMember: (name: string, m: ScannedMember, text: Uint8Array | undefined) => void,
  first = false,
): Promise<void> {
  const f = await Deno.open(file, { read: true });
  try {
    for await (const entry of readTar(f)) {
      const h = createHash("sha256");
      const keep = entry.name === MANIFEST_MEMBER ? [] as Uint8Array[] : undefined;
      const target = keep ? undefined : into(entry.name);
      const out = target
        ? await Deno.open(target, { write: true, create: true, truncate: true, mode: 0o600 })
        : undefined;
      let size = 0;
      let truncated = false;
      try {
        for await (const c of entry.data()) {
          h.update(c);
          size += c.length;
          if (keep && size <= MAX_MANIFEST_BYTES) keep.push(c.slice());
          if (out) await writeAll(out, c);
        }
      } catch (e) {
        // A disk that fails while a restore stages is an error, not a damaged backup.
        if (!(e instanceof TruncatedError)) throw e;
        truncated = true;
      } finally {
        out?.close();
      }
      const text = keep && size <= MAX_MANIFEST_BYTES ? concat(keep) : undefined;
      onMember(entry.name, { size, sha256: h.digest("hex"), truncated }, text);
      if (truncated || first) break;
    }
  } catch (e) {
    // Not a tar past this point (a cut-off or damaged header): what was read stands.
    if (!(e instanceof TarFormatError)) throw e;
  } finally {
    f.close();
  }
}

function manifestProblem(m: Record<string, unknown>): string | undefined {
  if (m.format !== BACKUP_FORMAT) return `${MANIFEST_MEMBER} is not an llmspell backup's`;
  if (typeof m.format_version !== "number" || m.format_version > BACKUP_FORMAT_VERSION) {
    return `${MANIFEST_MEMBER} has format version ${m.format_version}; this llmspell reads ${BACKUP_FORMAT_VERSION}`;
  }
  const members = m.members;
  if (
    !Array.isArray(members) ||
    !members.every((x) =>
      typeof x?.name === "string" && typeof x.size === "number" && SHA256_HEX.test(x.sha256)
    ) || typeof m.created !== "string" || typeof m.counts !== "object" ||
    !Array.isArray(m.missing_artifact_files)
  ) return `${MANIFEST_MEMBER} is malformed`;
  return undefined;
}

/** The manifest in `text`, or the problem with it. */
function parseManifest(text: Uint8Array): Manifest | string {
  try {
    const m = JSON.parse(new TextDecoder().decode(text));
    return manifestProblem(m) ?? m as Manifest;
  } catch {
    return `${MANIFEST_MEMBER} is not valid JSON`;
  }
}

/** Only the manifest of the archive at `file` (`backup list`), read from its first member. */
export async function readManifest(file: string): Promise<Manifest> {
  let found: Manifest | string = `its first member is not ${MANIFEST_MEMBER}`;
  await scanTar(file, () => undefined, (name, m, text) => {
    if (name !== MANIFEST_MEMBER) return;
    if (m.truncated) found = `${MANIFEST_MEMBER} is truncated`;
    else if (text) found = parseManifest(text);
  }, true);
  if (typeof found === "string") throw new Error(found);
  return found;
}

/**
 * Reads the archive at `file` and checks every member against the manifest: each listed
 * member present, whole, of its size and SHA-256; no member the manifest does not list; the
 * artifact members named by their content. `into(name)` says where to write a member's bytes
 * as they are read (restore stages them; verify keeps only the database).
 */
export async function readBackup(
  file: string,
  into: (name: string) => string | undefined,
): Promise<ReadBackup> {
  try {
    await Deno.stat(file);
  } catch (e) {
    throw new LlmspellError({
      code: "backup_unreadable",
      message: `cannot read ${file}: ${e instanceof Error ? e.message : e}`,
      hint: "llmspell backup list shows the backups of the backups folder",
    });
  }
  const problems: string[] = [];
  const found = new Map<string, ScannedMember>();
  let head: { m: ScannedMember; text: Uint8Array | undefined } | undefined;
  await scanTar(
    file,
    (name) => name === MANIFEST_MEMBER ? undefined : into(name),
    (name, m, text) => {
      if (name === MANIFEST_MEMBER) head = { m, text };
      else found.set(name, m);
    },
  );
  let manifest: Manifest | undefined;
  if (!head) problems.push(`${MANIFEST_MEMBER} is missing: not an llmspell backup, or cut off`);
  else if (head.m.truncated) problems.push(`${MANIFEST_MEMBER} is truncated`);
  else if (!head.text) problems.push(`${MANIFEST_MEMBER} is larger than any backup's`);
  else {
    const parsed = parseManifest(head.text);
    if (typeof parsed === "string") problems.push(parsed);
    else manifest = parsed;
  }
  const members = new Map<string, ManifestMember>();
  if (!manifest) return { manifest, members, problems };
  const listed = new Set<string>();
  for (const want of manifest.members) {
    listed.add(want.name);
    const got = found.get(want.name);
    if (want.name !== DB_MEMBER && shaOfMember(want.name) === undefined) {
      problems.push(`member ${want.name}: not a name a backup holds`);
    } else if (!got) problems.push(`member ${want.name} is missing (the archive is cut off?)`);
    else if (got.truncated) {
      problems.push(`member ${want.name} is truncated (the archive is cut off)`);
    } else if (got.size !== want.size) {
      problems.push(`member ${want.name} has ${got.size} bytes, the manifest says ${want.size}`);
    } else if (got.sha256 !== want.sha256) {
      problems.push(`member ${want.name}: its SHA-256 differs from the manifest's (damaged)`);
    } else if (shaOfMember(want.name) !== undefined && shaOfMember(want.name) !== want.sha256) {
      problems.push(`member ${want.name}: its content is not the one its name gives`);
    } else members.set(want.name, want);
  }
  if (!listed.has(DB_MEMBER)) problems.push(`the manifest lists no ${DB_MEMBER}`);
  for (const name of found.keys()) {
    if (!listed.has(name)) problems.push(`member ${name} is not in the manifest`);
  }
  return { manifest, members, problems };
}
