/**
 * The backup archive (`llmspell backup`): a tar file (npm:nanotar, as the archive_handler tool
 * uses) whose first member is `manifest.json`, then the database copy `llmspell.db`, then
 * each artifact content file as `artifacts/<2 hex>/<sha256>`, the layout of the data
 * directory. The manifest holds the SHA-256 and size of every other member, so a flipped
 * byte or a cut-off archive is found and named; the manifest comes first so that a truncated
 * archive still says what it lacks.
 *
 * The archive is built and read in memory (nanotar has no streaming API): a backup needs
 * about its own size in free memory.
 *
 * @module
 */
import { createTar, parseTar } from "nanotar";
import { basename, dirname, join } from "../path.ts";
import { LlmspellError } from "../errors.ts";
import { syncDirectory } from "../sync_dir.ts";
import { sha256, type StoreCounts } from "../store/mod.ts";

export const MANIFEST_MEMBER = "manifest.json";
export const DB_MEMBER = "llmspell.db";
/** The manifest's `format`, and the newest `format_version` this llmspell reads. */
export const BACKUP_FORMAT = "llmspell-backup";
export const BACKUP_FORMAT_VERSION = 1;

const TAR_BLOCK = 512;
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

/**
 * Writes the archive of `members` (manifest first, with their hashes) to `target`: to a
 * temporary name beside it, synced, then renamed, so that a crash or a full disk leaves no
 * file under the backup's name. Returns the manifest written and the archive's size.
 */
export async function writeBackup(
  target: string,
  manifest: Omit<Manifest, "members">,
  members: { name: string; data: Uint8Array }[],
): Promise<{ manifest: Manifest; bytes: number }> {
  const listed: ManifestMember[] = [];
  for (const m of members) {
    listed.push({ name: m.name, size: m.data.length, sha256: await sha256(m.data) });
  }
  const full: Manifest = { ...manifest, members: listed };
  const text = new TextEncoder().encode(JSON.stringify(full, null, 2) + "\n");
  const attrs = { mode: "600", mtime: Date.parse(full.created) };
  const tar = createTar([
    { name: MANIFEST_MEMBER, data: text, attrs },
    ...members.map((m) => ({ name: m.name, data: m.data, attrs })),
  ]);
  const tmp = join(dirname(target), `.${basename(target)}.${crypto.randomUUID()}.partial`);
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
    try {
      for (let at = 0; at < tar.length;) at += await file.write(tar.subarray(at));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, target);
    syncDirectory(dirname(target));
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new LlmspellError({
      code: "backup_write_failed",
      message: `cannot write the backup ${target}: ${e instanceof Error ? e.message : e}`,
      hint: "check the free space and permissions there; no partial backup was left",
      cause: e,
    });
  }
  return { manifest: full, bytes: tar.length };
}

/** An archive as read: its manifest (if readable), its members, and what is wrong with it. */
export interface ReadBackup {
  manifest: Manifest | undefined;
  /** Members whose bytes are all there, by name (the manifest excluded). */
  members: Map<string, Uint8Array>;
  /** One line per problem found; empty when every member matches the manifest. */
  problems: string[];
}

/** The members of a tar archive with their data; a member cut off by the end is flagged. */
function tarMembers(bytes: Uint8Array): { name: string; data: Uint8Array; truncated: boolean }[] {
  // nanotar reads `data.buffer`: hand it a buffer of exactly these bytes.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : bytes.slice();
  const out: { name: string; data: Uint8Array; truncated: boolean }[] = [];
  let offset = 0;
  // metaOnly: names and sizes, without reading past the end as data would.
  for (const item of parseTar(own, { metaOnly: true })) {
    const start = offset + TAR_BLOCK;
    const end = start + item.size;
    if (item.type === "file") {
      out.push({
        name: item.name,
        data: bytes.subarray(start, Math.min(end, bytes.length)),
        truncated: end > bytes.length,
      });
    }
    offset = start + Math.ceil(item.size / TAR_BLOCK) * TAR_BLOCK;
  }
  return out;
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

/** Only the manifest of the archive at `file` (`backup list`), read from its first member. */
export async function readManifest(file: string): Promise<Manifest> {
  const f = await Deno.open(file, { read: true });
  try {
    const head = new Uint8Array(TAR_BLOCK * 2);
    await readFull(f, head.subarray(0, TAR_BLOCK));
    const [item] = parseTar(head, { metaOnly: true });
    if (item?.name !== MANIFEST_MEMBER || !(item.size > 0) || item.size > 64 << 20) {
      throw new Error(`its first member is not ${MANIFEST_MEMBER}`);
    }
    const data = new Uint8Array(item.size);
    if (await readFull(f, data) < data.length) throw new Error(`${MANIFEST_MEMBER} is truncated`);
    const m = JSON.parse(new TextDecoder().decode(data));
    const problem = manifestProblem(m);
    if (problem) throw new Error(problem);
    return m as Manifest;
  } finally {
    f.close();
  }
}

async function readFull(f: Deno.FsFile, into: Uint8Array): Promise<number> {
  let at = 0;
  while (at < into.length) {
    const n = await f.read(into.subarray(at));
    if (n === null) break;
    at += n;
  }
  return at;
}

/**
 * Reads the archive at `file` and checks every member against the manifest: each listed
 * member present, whole, of its size and SHA-256; no member the manifest does not list; the
 * artifact members named by their content.
 */
export async function readBackup(file: string): Promise<ReadBackup> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (e) {
    throw new LlmspellError({
      code: "backup_unreadable",
      message: `cannot read ${file}: ${e instanceof Error ? e.message : e}`,
      hint: "llmspell backup list shows the backups of the backups folder",
    });
  }
  const problems: string[] = [];
  const found = new Map<string, { data: Uint8Array; truncated: boolean }>();
  for (const m of tarMembers(bytes)) found.set(m.name, m);
  const head = found.get(MANIFEST_MEMBER);
  let manifest: Manifest | undefined;
  if (!head) problems.push(`${MANIFEST_MEMBER} is missing: not an llmspell backup, or cut off`);
  else if (head.truncated) problems.push(`${MANIFEST_MEMBER} is truncated`);
  else {
    try {
      const m = JSON.parse(new TextDecoder().decode(head.data));
      const problem = manifestProblem(m);
      if (problem) problems.push(problem);
      else manifest = m as Manifest;
    } catch {
      problems.push(`${MANIFEST_MEMBER} is not valid JSON`);
    }
  }
  const members = new Map<string, Uint8Array>();
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
    } else if (got.data.length !== want.size) {
      problems.push(
        `member ${want.name} has ${got.data.length} bytes, the manifest says ${want.size}`,
      );
    } else if (await sha256(got.data) !== want.sha256) {
      problems.push(`member ${want.name}: its SHA-256 differs from the manifest's (damaged)`);
    } else if (shaOfMember(want.name) !== undefined && shaOfMember(want.name) !== want.sha256) {
      problems.push(`member ${want.name}: its content is not the one its name gives`);
    } else members.set(want.name, got.data);
  }
  if (!listed.has(DB_MEMBER)) problems.push(`the manifest lists no ${DB_MEMBER}`);
  for (const name of found.keys()) {
    if (name !== MANIFEST_MEMBER && !listed.has(name)) {
      problems.push(`member ${name} is not in the manifest`);
    }
  }
  return { manifest, members, problems };
}
