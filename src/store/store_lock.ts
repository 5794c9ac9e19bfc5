/**
 * Which processes have the database open, so that `backup restore` never replaces it under
 * one (which would go on writing to the file moved aside).
 *
 * Every process that opens the database (openStore) holds a shared flock on `<database>.lock`
 * beside it until it closes it; a restore takes that lock exclusively around its swap, so it
 * goes ahead only when no process has the database open, and one that opens it meanwhile
 * waits for the swap (renames: milliseconds). The kernel drops a flock when its process ends,
 * however it ends (SIGKILL included), and a new process with a reused pid does not inherit it:
 * no claim goes stale, nothing needs cleaning. SQLite's own locks are POSIX locks that node:sqlite
 * does not expose, and a registry of pids would go stale with every killed process.
 * `/proc/locks` names the holders (Linux; elsewhere they go unnamed).
 *
 * @module
 */
import { log } from "../telemetry/log.ts";
import { finishSwap, swapPending } from "./restore_swap.ts";

/** The lock file of the database at `dbPath`. */
export function lockFile(dbPath: string): string {
  return `${dbPath}.lock`;
}

function openLock(dbPath: string): Deno.FsFile {
  return Deno.openSync(lockFile(dbPath), { read: true, write: true, create: true, mode: 0o600 });
}

/**
 * Finishes a restore that was killed in the middle of its swap (its journal is still there),
 * holding `lock` exclusively meanwhile; says what it did with `log.warn`.
 */
function recover(lock: Deno.FsFile | undefined, dbPath: string): void {
  // flock converts a lock by dropping it first: two processes here both wait for the exclusive
  // lock, the first one finishes the swap, the second finds no journal.
  lock?.unlockSync();
  lock?.lockSync(true);
  try {
    const done = finishSwap(dbPath);
    if (done) log.warn(done);
  } finally {
    lock?.unlockSync();
    lock?.lockSync(false);
  }
}

/**
 * Holds the database at `dbPath` as open by this process until `release` (shared with every
 * other one that has it open); waits while a restore replaces it, and first finishes a restore
 * that was killed midway, so the database opened is never a half-swapped one. Where no lock can
 * be had (a read-only folder, a file system without flock), the database opens as before.
 */
export function useStore(dbPath: string): { release(): void } {
  let lock: Deno.FsFile | undefined;
  try {
    lock = openLock(dbPath);
    lock.lockSync(false);
  } catch {
    lock?.close();
    lock = undefined;
  }
  try {
    if (swapPending(dbPath)) recover(lock, dbPath);
  } catch (e) {
    lock?.close();
    throw e;
  }
  return { release: () => lock?.close() };
}

/**
 * Takes the database at `dbPath` for this process alone (a restore's swap), or undefined when
 * another process has it open (`storeUsers` names them). Finishes an interrupted restore first.
 */
export function takeStore(dbPath: string): { release(): void } | undefined {
  const lock = openLock(dbPath);
  if (!lock.tryLockSync(true)) {
    lock.close();
    return undefined;
  }
  try {
    const done = finishSwap(dbPath);
    if (done) log.warn(done);
  } catch (e) {
    lock.close();
    throw e;
  }
  return { release: () => lock.close() };
}

/** A process that has the database open. */
export interface StoreUser {
  pid: number;
  /** Its command line, as `llmspell ARGS` when it is llmspell's. */
  command: string;
}

/** `/proc/locks` writes a file as `MAJOR:MINOR:INODE` (hex, hex, decimal). */
function lockId(info: Deno.FileInfo): string | undefined {
  if (info.dev === null || info.ino === null) return undefined;
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  const major = (info.dev >>> 8) & 0xfff;
  const minor = (info.dev & 0xff) | ((info.dev >>> 12) & 0xfff00);
  return `${hex(major)}:${hex(minor)}:${info.ino}`;
}

/** What `pid` runs, as `llmspell ARGS` when it runs llmspell (its main.ts or its binary). */
function commandOf(pid: number): string {
  try {
    const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter((a) => a);
    const at = argv.findIndex((a) => a.endsWith("/main.ts") || /(^|\/)llmspell$/.test(a));
    return at >= 0 ? ["llmspell", ...argv.slice(at + 1)].join(" ") : argv.join(" ");
  } catch {
    return "?";
  }
}

/**
 * The other processes that hold the database at `dbPath` open, by the lock `useStore` takes;
 * empty where `/proc/locks` cannot tell (not Linux).
 */
export function storeUsers(dbPath: string): StoreUser[] {
  let id: string | undefined, locks: string;
  try {
    id = lockId(Deno.statSync(lockFile(dbPath)));
    locks = Deno.readTextFileSync("/proc/locks");
  } catch {
    return [];
  }
  const pids = new Set<number>();
  for (const line of locks.split("\n")) {
    // `N: FLOCK  ADVISORY  READ  PID MAJ:MIN:INODE START END`; `N: -> ...` is a waiter.
    const f = line.trim().split(/\s+/);
    if (f[1] === "FLOCK" && f[5] === id && Number(f[4]) !== Deno.pid) pids.add(Number(f[4]));
  }
  return [...pids].sort((a, b) => a - b).map((pid) => ({ pid, command: commandOf(pid) }));
}
