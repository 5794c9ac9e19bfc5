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
  sha256,
  snapshotDatabase,
  type StoreCounts,
  storeFailure,
} from "../store/mod.ts";
import { isAlive, listKernels } from "../kernel/registry.ts";
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
  type Manifest,
  readManifest,
  shaOfMember,
  writeBackup,
} from "./backup_archive.ts";
import { checkBackup, type CheckedBackup } from "./backup_check.ts";
import { exists, stageArtifacts, swapIn } from "./backup_restore.ts";

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

/** A snapshot of the database and the content files its artifacts use. */
interface Snapshot {
  db: Uint8Array;
  schemaVersion: number;
  counts: StoreCounts;
  files: Map<string, Uint8Array>;
  missing: string[];
}

/**
 * Copies the database as of one commit, then reads the content files it lists. A file
 * missing then belongs to an artifact deleted since the snapshot (its file goes after the
 * commit): a new snapshot no longer lists it. One still missing after the last attempt was
 * lost before the backup; the manifest says so.
 */
async function takeSnapshot(ctx: CliContext, paths: LlmspellPaths): Promise<Snapshot> {
  const store = openStore(paths.dbPath);
  const work = await Deno.makeTempDir({ dir: paths.dataDir, prefix: ".backup-" });
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
      const files = new Map<string, Uint8Array>();
      const missing: string[] = [];
      for (const sha of shas) {
        const data = await Deno.readFile(artifactPath(artifactsDir(paths.dbPath), sha)).catch(
          () => undefined,
        );
        if (data !== undefined && await sha256(data) === sha) files.set(sha, data);
        else missing.push(sha);
      }
      if (missing.length === 0 || attempt === SNAPSHOT_ATTEMPTS) {
        return { db: await Deno.readFile(file), schemaVersion, counts, files, missing };
      }
    }
  } catch (e) {
    throw storeFailure(store.path, e) ?? e;
  } finally {
    store.close();
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
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
  const snap = await takeSnapshot(ctx, paths);
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
  }, [
    { name: DB_MEMBER, data: snap.db },
    ...[...snap.files].map(([sha, data]) => ({ name: artifactMember(sha), data })),
  ]);
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
      artifact_files: snap.files.size,
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
  const dir = backupsDir(resolvePaths(ctx.env, ctx.cwd));
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

/** Checks `file` in a temporary work folder (under `parent`, default the system's). */
async function checked<T>(
  file: string,
  parent: string | undefined,
  fn: (c: CheckedBackup, work: string) => Promise<T>,
): Promise<T> {
  const work = await Deno.makeTempDir({ dir: parent, prefix: ".restore-" });
  try {
    return await fn(await checkBackup(file, work), work);
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
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
  await checked(source, undefined, (c) => {
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
  // Staged inside the data dir, so that putting it in place is a rename.
  await checked(source, paths.dataDir, async (c, work) => {
    if (c.problems.length > 0) throw invalid(source, c);
    const running = (await listKernels(paths.runtimeDir)).filter(isAlive);
    if (running.length > 0) {
      const k = running[0];
      throw new LlmspellError({
        code: "backup_store_in_use",
        message: `kernel ${k.id} (pid ${k.pid}) is running and uses the database; nothing restored`,
        hint: `stop it first (llmspell kernel stop ${k.id})${
          running.length > 1 ? `, and the ${running.length - 1} other(s) kernel status lists` : ""
        }`,
      });
    }
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
    const files = new Map<string, Uint8Array>();
    for (const [name, data] of c.members) {
      const sha = shaOfMember(name);
      if (sha !== undefined) files.set(sha, data);
    }
    progress(ctx, `writing ${plural(files.size, "artifact file")}…`);
    await stageArtifacts(work, files);
    const aside = path.join(paths.dataDir, `before-restore-${stamp(new Date())}`);
    await swapIn(paths.dbPath, work, aside);
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
