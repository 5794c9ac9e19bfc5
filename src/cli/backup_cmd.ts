/**
 * `llmspell backup create | list | verify | restore`: what llmspell keeps in its data
 * directory (the database: state, sessions, history; the artifact content files), in one
 * archive file (backup_archive.ts), taken while kernels and scripts write to it, checked
 * (backup_check.ts) and put back (backup_restore.ts). The API-key file is left out.
 */
import { Command } from "commander";
import * as path from "../path.ts";
import { type LlmspellPaths, resolvePaths } from "../config/mod.ts";
import { ExitCode, LlmspellError, usageError } from "../errors.ts";
import {
  artifactPath,
  artifactsDir,
  openDatabaseCopy,
  openStore,
  snapshotDatabase,
  type StoreCounts,
  storeFailure,
  swapPending,
  useStore,
} from "../store/mod.ts";
import { VERSION } from "../version.ts";
import type { CliContext } from "./context.ts";
import { writeErr, writeOut } from "../frontend/output.ts";
import { toYaml } from "../yaml.ts";
import { contextOf, example, setExit, withGlobalOptions } from "./command.ts";
import {
  artifactMember,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  DB_MEMBER,
  hashFile,
  type Manifest,
  readManifest,
  type SourceMember,
  writeBackup,
} from "./backup_archive.ts";
import { checkBackup, type CheckedBackup } from "./backup_check.ts";
import { exists, putInPlace, refuseInUse } from "./backup_restore.ts";
import { makeWorkDir, sweepStale } from "./backup_work.ts";

/** What a backup leaves out, as its manifest and `create` say. */
const NOT_INCLUDED = [
  "the API keys (keys.json, llmspell keys): a backup is meant to be copied elsewhere, keys are not",
];

/** Snapshots taken before giving up on artifact files deleted meanwhile. */
const SNAPSHOT_ATTEMPTS = 3;

function backupsDir(paths: LlmspellPaths): string {
  return path.join(paths.dataDir, "backups");
}

/** A timestamp usable in a file name: 2026-12-08T00-12-03-456Z. */
function stamp(d: Date): string {
  return d.toISOString().replace(/[:.]/g, "-");
}

function print(ctx: CliContext, data: unknown, text: string): void {
  if (ctx.output === "json") writeOut(JSON.stringify(data, null, 2) + "\n");
  else if (ctx.output === "yaml") writeOut(toYaml(data));
  else if (text) writeOut(text.endsWith("\n") ? text : text + "\n");
}

/** A step of long work, on a terminal only (text output): scripts read the result alone. */
function progress(ctx: CliContext, message: string): void {
  if (ctx.output === "text" && Deno.stderr.isTerminal()) writeErr(`${message}\n`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function countsText(c: StoreCounts): string {
  return `${plural(c.state_values, "state value")}, ${plural(c.sessions, "session")}, ${
    plural(c.artifacts, "artifact")
  }`;
}

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1 << 20) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

/** A snapshot of the database and the content files its artifacts use, in a work folder. */
interface Snapshot {
  schemaVersion: number;
  counts: StoreCounts;
  /** The database copy first, then the artifact files (hard links into the work folder). */
  members: SourceMember[];
  missing: string[];
}

/**
 * Links (or, across file systems, copies) the content file of `sha` into `dir` and checks it:
 * the link keeps its bytes while the backup reads them, even if its artifact goes meanwhile.
 * Undefined when it is missing or damaged.
 */
async function keepArtifact(paths: LlmspellPaths, dir: string, sha: string) {
  const to = path.join(dir, sha);
  const from = artifactPath(artifactsDir(paths.dbPath), sha);
  try {
    await Deno.link(from, to).catch(() => Deno.copyFile(from, to));
    const h = await hashFile(to);
    return h.sha256 === sha ? { name: artifactMember(sha), file: to, ...h } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Copies the database as of one commit, then links the content files it lists. A file
 * missing then belongs to an artifact deleted since the snapshot (its file goes after the
 * commit): a new snapshot no longer lists it. One still missing after the last attempt was
 * lost before the backup; the manifest says so.
 */
async function takeSnapshot(
  ctx: CliContext,
  paths: LlmspellPaths,
  work: string,
): Promise<Snapshot> {
  const store = openStore(paths.dbPath);
  try {
    for (let attempt = 1;; attempt++) {
      progress(ctx, "copying the database…");
      const file = path.join(work, `snapshot-${attempt}.db`);
      snapshotDatabase(store, file);
      const copy = openDatabaseCopy(file);
      let shas: string[], counts: StoreCounts, schemaVersion: number;
      try {
        shas = copy.artifactShas();
        counts = copy.counts();
        schemaVersion = copy.schemaVersion();
      } finally {
        copy.close();
      }
      progress(ctx, `reading ${plural(shas.length, "artifact file")}…`);
      const dir = path.join(work, `artifacts-${attempt}`);
      await Deno.mkdir(dir, { mode: 0o700 });
      const members: SourceMember[] = [{ name: DB_MEMBER, file, ...await hashFile(file) }];
      const missing: string[] = [];
      for (const sha of shas) {
        const kept = await keepArtifact(paths, dir, sha);
        if (kept) members.push(kept);
        else missing.push(sha);
      }
      if (missing.length === 0 || attempt === SNAPSHOT_ATTEMPTS) {
        return { schemaVersion, counts, members, missing };
      }
    }
  } catch (e) {
    throw storeFailure(store.path, e) ?? e;
  } finally {
    store.close();
  }
}

/**
 * Finishes a restore a kill interrupted (the store does it before it opens) and removes the
 * work folders and partial backups of killed backup commands, saying so on stderr.
 */
async function tidy(paths: LlmspellPaths): Promise<void> {
  if (swapPending(paths.dbPath)) useStore(paths.dbPath).release();
  for (const line of await sweepStale(paths.dataDir, backupsDir(paths))) writeErr(`${line}\n`);
}

async function create(ctx: CliContext, file: string | undefined): Promise<void> {
  const paths = resolvePaths(ctx.env, ctx.cwd);
  const created = new Date();
  const target = file === undefined
    ? path.join(backupsDir(paths), `llmspell-${stamp(created)}.tar`)
    : path.resolve(ctx.cwd, file);
  if (await exists(target)) {
    throw new LlmspellError({
      code: "backup_exists",
      message: `${target} exists`,
      hint: "give another file name; a backup never overwrites a file",
    });
  }
  await Deno.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  await tidy(paths);
  const work = await makeWorkDir(paths.dataDir, ".backup-");
  try {
    await writeSnapshot(ctx, paths, work.path, target, created);
  } finally {
    await work.release();
  }
}

async function writeSnapshot(
  ctx: CliContext,
  paths: LlmspellPaths,
  work: string,
  target: string,
  created: Date,
): Promise<void> {
  const snap = await takeSnapshot(ctx, paths, work);
  for (const sha of snap.missing) {
    writeErr(
      `warning: the content file of artifact ${sha} is missing or damaged in ${
        artifactsDir(paths.dbPath)
      }; the backup records it as missing\n`,
    );
  }
  progress(ctx, `writing ${target}…`);
  const { manifest, bytes } = await writeBackup(target, {
    format: BACKUP_FORMAT,
    format_version: BACKUP_FORMAT_VERSION,
    llmspell_version: VERSION,
    created: created.toISOString(),
    schema_version: snap.schemaVersion,
    counts: snap.counts,
    missing_artifact_files: snap.missing,
    not_included: NOT_INCLUDED,
  }, snap.members);
  if (ctx.output === "text") {
    writeOut(`${target}\n`);
    writeErr(
      `backed up ${countsText(manifest.counts)} (${sizeText(bytes)}); not included: ${
        NOT_INCLUDED.join("; ")
      }\n`,
    );
  } else {
    print(ctx, {
      file: target,
      bytes,
      created: manifest.created,
      counts: manifest.counts,
      artifact_files: snap.members.length - 1,
      missing_artifact_files: manifest.missing_artifact_files,
      not_included: manifest.not_included,
    }, "");
  }
}

interface Listed {
  file: string;
  bytes: number;
  created?: string;
  llmspell_version?: string;
  counts?: StoreCounts;
  /** Why the file's manifest could not be read. */
  error?: string;
}

async function list(ctx: CliContext): Promise<void> {
  const paths = resolvePaths(ctx.env, ctx.cwd);
  await tidy(paths);
  const dir = backupsDir(paths);
  const out: Listed[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !e.name.endsWith(".tar") || e.name.startsWith(".")) continue;
      const file = path.join(dir, e.name);
      const bytes = (await Deno.stat(file)).size;
      try {
        const m = await readManifest(file);
        out.push({
          file,
          bytes,
          created: m.created,
          llmspell_version: m.llmspell_version,
          counts: m.counts,
        });
      } catch (err) {
        out.push({ file, bytes, error: err instanceof Error ? err.message : String(err) });
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  out.sort((a, b) =>
    (b.created ?? "").localeCompare(a.created ?? "") || a.file.localeCompare(b.file)
  );
  print(
    ctx,
    out,
    out.map((b) =>
      `${b.file}  ${b.created ? b.created.replace("T", " ").slice(0, 19) : "?".padEnd(19)}  ${
        sizeText(b.bytes).padStart(10)
      }  ${b.counts ? countsText(b.counts) : `not readable: ${b.error}`}`
    ).join("\n"),
  );
}

/** Checks `file` in a work folder of `prefix` in the data dir (with `stage`, its artifacts too). */
async function checked<T>(
  paths: LlmspellPaths,
  file: string,
  prefix: ".backup-" | ".restore-",
  fn: (c: CheckedBackup, work: string) => Promise<T>,
): Promise<T> {
  await tidy(paths);
  const work = await makeWorkDir(paths.dataDir, prefix);
  try {
    return await fn(await checkBackup(file, work.path, prefix === ".restore-"), work.path);
  } finally {
    await work.release();
  }
}

/** The error of a backup that failed its check; every problem beyond the first on stderr. */
function invalid(file: string, c: CheckedBackup): LlmspellError {
  for (const p of c.problems.slice(1)) writeErr(`  ${p}\n`);
  const more = c.problems.length > 1 ? ` (and ${c.problems.length - 1} more, above)` : "";
  return new LlmspellError({
    code: "backup_invalid",
    message: `${file} is not a sound backup: ${c.problems[0]}${more}`,
    hint: "restore another backup (llmspell backup list); this one is damaged or incomplete",
  });
}

function checkReport(file: string, c: CheckedBackup) {
  return {
    file,
    ok: c.problems.length === 0,
    problems: c.problems,
    created: c.manifest?.created,
    llmspell_version: c.manifest?.llmspell_version,
    counts: c.counts,
    members: c.manifest?.members.length,
    integrity_check: c.integrity,
    missing_artifact_files: c.manifest?.missing_artifact_files,
  };
}

async function verify(ctx: CliContext, file: string): Promise<void> {
  const source = path.resolve(ctx.cwd, file);
  await checked(resolvePaths(ctx.env, ctx.cwd), source, ".backup-", (c) => {
    if (ctx.output !== "text") print(ctx, checkReport(source, c), "");
    if (c.problems.length > 0) throw invalid(source, c);
    if (ctx.output === "text") {
      writeOut(
        `ok: ${source}: ${countsText(c.counts!)}, ${
          plural(c.manifest!.members.length, "member")
        }, every SHA-256 matches, integrity_check ok\n`,
      );
    }
    return Promise.resolve();
  });
}

async function restore(ctx: CliContext, file: string, yes: boolean): Promise<void> {
  const paths = resolvePaths(ctx.env, ctx.cwd);
  const source = path.resolve(ctx.cwd, file);
  await Deno.mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  // Before the archive is read: a restore that would be refused anyway should not stage it.
  await tidy(paths);
  await refuseInUse(paths);
  // Staged inside the data dir, so that putting it in place is a rename.
  await checked(paths, source, ".restore-", async (c, work) => {
    if (c.problems.length > 0) throw invalid(source, c);
    const manifest = c.manifest as Manifest;
    if (!yes) {
      if (!Deno.stdin.isTerminal()) {
        throw usageError(
          "refusing to restore without --yes (stdin is not a terminal)",
          "pass --yes to replace the current data with the backup's",
        );
      }
      if (
        !confirm(
          `replace the current database and artifacts with the backup of ${manifest.created} (${
            countsText(c.counts!)
          })?`,
        )
      ) {
        writeErr("nothing restored\n");
        setExit(ExitCode.failure);
        return;
      }
    }
    const aside = path.join(paths.dataDir, `before-restore-${stamp(new Date())}`);
    await putInPlace(paths, work, aside, source);
    if (ctx.output === "text") {
      writeOut(`restored ${source}: ${countsText(c.counts!)}\n`);
      writeErr(`the previous database and artifacts are kept in ${aside}\n`);
    } else {
      print(ctx, {
        file: source,
        created: manifest.created,
        counts: c.counts,
        previous_data: aside,
      }, "");
    }
  });
}

export function registerBackupCommands(program: Command): void {
  const backup = withGlobalOptions(
    new Command("backup").description(
      "back up the database (state, sessions, history) and artifact files, check and restore backups",
    ),
  );
  example(
    backup,
    "llmspell backup create",
    "llmspell backup list",
    "llmspell backup restore ~/backups/llmspell-2026-12-08.tar",
  );

  const cr = withGlobalOptions(
    new Command("create")
      .description(
        "write a consistent backup while kernels and scripts keep writing (not the API keys)",
      )
      .argument("[file]", "where to write it (default: a timestamped file in the backups folder)"),
  );
  example(cr, "llmspell backup create", "llmspell backup create ~/llmspell.tar --output json");
  cr.action((file: string | undefined, _opts: unknown, cmd: Command) =>
    create(contextOf(cmd), file)
  );
  backup.addCommand(cr);

  const ls = withGlobalOptions(
    new Command("list").description("the backups in the backups folder, newest first"),
  );
  example(ls, "llmspell backup list", "llmspell backup list --output json");
  ls.action((_opts: unknown, cmd: Command) => list(contextOf(cmd)));
  backup.addCommand(ls);

  const ver = withGlobalOptions(
    new Command("verify")
      .description(
        "check a backup: the manifest, every member's SHA-256, the database's integrity_check",
      )
      .argument("<file>", "the backup"),
  );
  example(ver, "llmspell backup verify llmspell.tar");
  ver.action((file: string, _opts: unknown, cmd: Command) => verify(contextOf(cmd), file));
  backup.addCommand(ver);

  const res = withGlobalOptions(
    new Command("restore")
      .description(
        "replace the database and artifacts with a backup's (checked first; the current ones are kept aside)",
      )
      .argument("<file>", "the backup")
      .option("-y, --yes", "do not ask"),
  );
  example(
    res,
    "llmspell backup restore llmspell.tar",
    "llmspell backup restore llmspell.tar --yes",
  );
  res.action((file: string, opts: { yes?: boolean }, cmd: Command) =>
    restore(contextOf(cmd), file, opts.yes === true)
  );
  backup.addCommand(res);

  program.addCommand(backup);
}
