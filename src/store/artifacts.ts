/**
 * Artifacts: metadata in the database (linked to a session), content in files named by
 * their SHA-256 under `<data dir>/artifacts/`, so the same content is kept once. A file
 * is written to a temporary name and renamed, so a reader never sees half of one.
 *
 * A content file goes with the last artifact that uses it (`Artifact.delete`, a deleted
 * or pruned session: `collect`). Both sides hold the database's write lock where they
 * meet: `collect` checks that no artifact uses a file and removes it in one transaction,
 * and `store` inserts its row and makes sure the file is there in one, so a file is never
 * removed under an artifact that another process is storing. A crash between a commit
 * and the removal leaves a file no artifact uses (space), never an artifact without one.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { dirname, join } from "../path.ts";

export interface ArtifactMeta {
  id: string;
  session: string;
  name: string;
  kind: string | null;
  mime_type: string | null;
  tags: string[];
  sha256: string;
  size: number;
  /** ISO 8601, UTC. */
  created: string;
}

export interface ArtifactFilter {
  session?: string;
  kind?: string;
  name?: string;
  /** Artifacts carrying every one of these tags. */
  tags?: string[];
  limit?: number;
}

export interface ArtifactRepository {
  /** Keeps `content` (once per SHA-256) and its metadata; the new artifact. */
  store(
    session: string,
    name: string,
    content: Uint8Array,
    meta: { kind?: string; mime_type?: string; tags?: string[] },
  ): Promise<ArtifactMeta>;
  get(id: string): ArtifactMeta | undefined;
  /** The artifact's content (undefined when its file is gone). */
  content(meta: ArtifactMeta): Promise<Uint8Array | undefined>;
  /** Newest first. */
  list(filter?: ArtifactFilter): ArtifactMeta[];
  /** Deletes the metadata, and the content once no artifact uses it; whether it existed. */
  delete(id: string): boolean;
  /**
   * Removes the content files of `shas` that no artifact uses any more (their artifacts
   * were deleted with a session). Call it once the deletion has committed.
   */
  collect(shas: Iterable<string>): void;
}

/** The SHA-256 of `content`, as 64 lowercase hex digits (an artifact file's name). */
export async function sha256(content: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", content as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The folder of the content files of the database at `dbPath`. */
export function artifactsDir(dbPath: string): string {
  return join(dirname(dbPath), "artifacts");
}

/** Where the content file of `sha` lives under an artifacts folder. */
export function artifactPath(dir: string, sha: string): string {
  return join(dir, sha.slice(0, 2), sha);
}

const SELECT = `SELECT id, session, name, kind, mime_type, tags, sha256, size,
  created_at AS created FROM artifacts`;

export class SqliteArtifactRepository implements ArtifactRepository {
  readonly #db: DatabaseSync;
  readonly #transaction: <T>(fn: () => T) => T;
  readonly #afterCommit: (fn: () => void) => void;
  /** Where content files live; undefined for an in-memory database (no data directory). */
  readonly #dir: string | undefined;

  /** `afterCommit` runs a function once the transaction in progress (if any) has committed. */
  constructor(
    db: DatabaseSync,
    dbPath: string,
    transaction: <T>(fn: () => T) => T,
    afterCommit: (fn: () => void) => void,
  ) {
    this.#db = db;
    this.#transaction = transaction;
    this.#afterCommit = afterCommit;
    this.#dir = dbPath === ":memory:" ? undefined : artifactsDir(dbPath);
  }

  #file(sha: string): string {
    if (!this.#dir) {
      throw new Error("artifacts need a database on disk ([state] enabled = true)");
    }
    return artifactPath(this.#dir, sha);
  }

  async store(
    session: string,
    name: string,
    content: Uint8Array,
    meta: { kind?: string; mime_type?: string; tags?: string[] },
  ): Promise<ArtifactMeta> {
    const sha = await sha256(content);
    const file = this.#file(sha);
    if (!exists(file)) {
      // Written before the lock is taken: a large file does not hold up other writers.
      await Deno.mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${crypto.randomUUID()}.tmp`;
      await Deno.writeFile(tmp, content, { mode: 0o600 });
      await Deno.rename(tmp, file);
    }
    const row: ArtifactMeta = {
      id: crypto.randomUUID(),
      session,
      name,
      kind: meta.kind ?? null,
      mime_type: meta.mime_type ?? null,
      tags: meta.tags ?? [],
      sha256: sha,
      size: content.length,
      created: new Date().toISOString(),
    };
    this.#transaction(() => {
      this.#db.prepare(
        `INSERT INTO artifacts (id, session, name, kind, mime_type, tags, sha256, size, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        row.id,
        session,
        name,
        row.kind,
        row.mime_type,
        JSON.stringify(row.tags),
        sha,
        row.size,
        row.created,
      );
      // Another process's collect may have removed the file since it was found above (its
      // last artifact went meanwhile); with the row in, none can remove it again.
      if (!exists(file)) writeAtomically(file, content);
    });
    return row;
  }

  get(id: string): ArtifactMeta | undefined {
    const r = this.#db.prepare(`${SELECT} WHERE id = ?`).get(id);
    return r ? toMeta(r) : undefined;
  }

  async content(meta: ArtifactMeta): Promise<Uint8Array | undefined> {
    try {
      return await Deno.readFile(this.#file(meta.sha256));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  }

  list(f: ArtifactFilter = {}): ArtifactMeta[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    for (const [column, value] of [["session", f.session], ["kind", f.kind], ["name", f.name]]) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    for (const t of f.tags ?? []) {
      where.push("EXISTS (SELECT 1 FROM json_each(artifacts.tags) WHERE value = ?)");
      params.push(t);
    }
    params.push(f.limit ?? 1000);
    return this.#db.prepare(
      `${SELECT} ${
        where.length ? `WHERE ${where.join(" AND ")}` : ""
      } ORDER BY created_at DESC, rowid DESC LIMIT ?`,
    ).all(...params).map(toMeta);
  }

  delete(id: string): boolean {
    const row = this.#db.prepare("DELETE FROM artifacts WHERE id = ? RETURNING sha256").get(id);
    if (!row) return false;
    // After the commit: a deletion rolled back must find its file still there.
    this.#afterCommit(() => this.collect([row.sha256 as string]));
    return true;
  }

  collect(shas: Iterable<string>): void {
    if (!this.#dir) return;
    const used = this.#db.prepare("SELECT 1 FROM artifacts WHERE sha256 = ? LIMIT 1");
    try {
      this.#transaction(() => {
        for (const sha of new Set(shas)) {
          if (used.get(sha)) continue;
          try {
            Deno.removeSync(this.#file(sha));
          } catch (e) {
            if (!(e instanceof Deno.errors.NotFound)) throw e;
          }
        }
      });
    } catch {
      // The deletion that asked has committed: a file left (a busy database, a file that
      // cannot be removed) costs space, not correctness.
    }
  }
}

function exists(file: string): boolean {
  try {
    Deno.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes `content` to `file` through a temporary file, so no reader sees half of it. */
function writeAtomically(file: string, content: Uint8Array): void {
  Deno.mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${crypto.randomUUID()}.tmp`;
  Deno.writeFileSync(tmp, content, { mode: 0o600 });
  Deno.renameSync(tmp, file);
}

function toMeta(r: Record<string, unknown>): ArtifactMeta {
  return {
    id: r.id as string,
    session: r.session as string,
    name: r.name as string,
    kind: (r.kind as string | null) ?? null,
    mime_type: (r.mime_type as string | null) ?? null,
    tags: JSON.parse(r.tags as string),
    sha256: r.sha256 as string,
    size: Number(r.size),
    created: r.created as string,
  };
}
