/**
 * The work folders of `llmspell backup` (`.backup-*`, `.restore-*` in the data directory) and
 * its partial archives (`.<name>.<uuid>.partial` beside the target), and the removal of those
 * a killed process left behind.
 *
 * Each is held, while its process works in it, by an exclusive flock on the folder (or file)
 * itself: the kernel drops the lock when the process dies, however it dies (SIGKILL included),
 * and a new process with the same pid does not hold it. So one whose lock can be taken has no
 * owner left, and removing it takes nothing from anyone. A pid file alone could not say that
 * (pids are reused); a time-out would remove a slow backup's folder.
 *
 * @module
 */
import { basename, dirname, join } from "../path.ts";

/** What a work folder's `owner.json` says, for the message that names a removed one. */
interface Owner {
  pid: number;
  command: string;
}

const OWNER_FILE = "owner.json";

/** A work folder or partial file held by this process until `release`. */
export interface Held {
  path: string;
  /** Removes it (recursively) and drops the lock. */
  release(): Promise<void>;
}

function command(): string {
  return `llmspell ${Deno.args.join(" ")}`.slice(0, 200);
}

/** Whether `path` still names the file `f` has open (a sweep may have removed it before the lock). */
function stillNamed(path: string, f: Deno.FsFile): boolean {
  try {
    return Deno.statSync(path).ino === f.statSync().ino;
  } catch {
    return false;
  }
}

/**
 * Locks what `create` made at a new name, and keeps it if the lock came before any sweep: one
 * that ran between the creation and the lock removed it, so then another is made.
 */
async function holdNew(create: () => Promise<string>, open: (p: string) => Deno.FsFile) {
  for (;;) {
    const path = await create();
    let f: Deno.FsFile;
    try {
      f = open(path);
    } catch {
      continue;
    }
    f.lockSync(true);
    if (stillNamed(path, f)) return { path, f };
    f.close();
  }
}

/** A new work folder `<prefix><random>` in `dataDir`, held by this process. */
export async function makeWorkDir(
  dataDir: string,
  prefix: ".backup-" | ".restore-",
): Promise<Held> {
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { path, f } = await holdNew(
    () => Deno.makeTempDir({ dir: dataDir, prefix }),
    (p) => Deno.openSync(p, { read: true }),
  );
  const owner: Owner = { pid: Deno.pid, command: command() };
  await Deno.writeTextFile(join(path, OWNER_FILE), JSON.stringify(owner) + "\n", { mode: 0o600 });
  return {
    path,
    release: async () => {
      await Deno.remove(path, { recursive: true }).catch(() => {});
      f.close();
    },
  };
}

/** The partial file a backup is written to before it is renamed to `target`, held; open for writing. */
export async function makePartial(target: string): Promise<Held & { file: Deno.FsFile }> {
  const { path, f } = await holdNew(
    async () => {
      const p = join(dirname(target), `.${basename(target)}.${crypto.randomUUID()}.partial`);
      (await Deno.open(p, { write: true, createNew: true, mode: 0o600 })).close();
      return p;
    },
    (p) => Deno.openSync(p, { write: true }),
  );
  return {
    path,
    file: f,
    release: async () => {
      await Deno.remove(path).catch(() => {});
      f.close();
    },
  };
}

/** Whether nothing holds `path` (a folder or a file): its owner is gone. */
function orphaned(path: string, isDir: boolean): { f: Deno.FsFile } | undefined {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, isDir ? { read: true } : { write: true });
  } catch {
    return undefined;
  }
  if (f.tryLockSync(true)) return { f };
  f.close();
  return undefined;
}

async function ownerOf(dir: string): Promise<string> {
  try {
    const o = JSON.parse(await Deno.readTextFile(join(dir, OWNER_FILE))) as Owner;
    return ` (left by \`${o.command}\`, pid ${o.pid}, which is gone)`;
  } catch {
    return "";
  }
}

/**
 * Removes the work folders in `dataDir` and the partial archives in `backupsDir` whose process
 * is gone; returns one line per removal, for the user. `.restore-*` folders that an interrupted
 * restore's journal still needs are left: the store finishes that restore when it next opens
 * (src/store/restore_swap.ts), and this runs after.
 */
export async function sweepStale(
  dataDir: string,
  backupsDir: string,
  keep: (path: string) => boolean = () => false,
): Promise<string[]> {
  const out: string[] = [];
  const scan = async (dir: string, match: (name: string, isDir: boolean) => boolean) => {
    const found: { path: string; isDir: boolean }[] = [];
    try {
      for await (const e of Deno.readDir(dir)) {
        if (match(e.name, e.isDirectory)) {
          found.push({ path: join(dir, e.name), isDir: e.isDirectory });
        }
      }
    } catch {
      // No such folder: nothing left there.
    }
    return found;
  };
  const work = await scan(
    dataDir,
    (n, isDir) => isDir && (n.startsWith(".backup-") || n.startsWith(".restore-")),
  );
  const partial = await scan(backupsDir, (n, isDir) => !isDir && /^\..+\.partial$/.test(n));
  for (const { path, isDir } of [...work, ...partial]) {
    if (keep(path)) continue;
    const held = orphaned(path, isDir);
    if (!held) continue;
    try {
      const who = isDir ? await ownerOf(path) : "";
      await Deno.remove(path, { recursive: true });
      out.push(
        `removed ${isDir ? "the work folder" : "the partial backup"} ${path} of an interrupted ${
          basename(path).startsWith(".restore-") ? "restore" : "backup"
        }${who}`,
      );
    } catch {
      // Removed by another sweep meanwhile, or not ours to remove: left as it is.
    } finally {
      held.f.close();
    }
  }
  return out;
}
