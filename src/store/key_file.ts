/**
 * The API keys `llmspell keys` stores: one JSON file, `<data dir>/keys.json`, mode 0600
 * (docs/decisions/0030-key-store.md). A change is written to a temporary file in the same
 * directory, synced and renamed over the old one, so a crash or a full disk leaves the old
 * file or the new one, never half of one; changes take an exclusive lock on `keys.lock`
 * first, so two at once do not lose one of them. A file that others may read is refused
 * rather than used: its keys may already be out, and the user is the one to decide.
 *
 * This module imports nothing but utilities: a provider reads it at its first call that needs
 * a stored key, never at start-up.
 *
 * @module
 */
import { join } from "../path.ts";
import { ExitCode, LlmspellError } from "../errors.ts";
import { concat } from "../bytes.ts";
import { syncDirectory } from "../sync_dir.ts";

/** One stored key; `value` is the secret itself. */
export interface StoredKey {
  value: string;
  /** When it was set, ISO 8601 UTC. */
  setAt: string;
}

/** The file's name in the data directory. */
const KEYS_FILE_NAME = "keys.json";
const LOCK_FILE_NAME = "keys.lock";
/** The format's marker and version, first in the file. */
const FORMAT_KEY = "llmspell_keys";
const FORMAT_VERSION = 1;

/** A key's name: a provider's name as `[providers.NAME]` can spell it in a shell. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** What is wrong with `name` as a key's name; undefined when it is fine. */
export function keyNameProblem(name: string): string | undefined {
  if (NAME.test(name)) return undefined;
  return `'${name}' is not a key name: a provider's name is 1 to 64 letters, digits, '_', '.' ` +
    "or '-', starting with a letter or digit";
}

/** What is wrong with `value` as an API key (it goes into an HTTP header as it is). */
export function keyValueProblem(value: string): string | undefined {
  if (value.length === 0) return "the key is empty";
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) return "the key has a control character (or several lines)";
  if (/\s/.test(value)) return "the key has a space in it";
  return undefined;
}

export function keysFilePath(dataDir: string): string {
  return join(dataDir, KEYS_FILE_NAME);
}

function unreadable(path: string, detail: string, hint?: string): LlmspellError {
  return new LlmspellError({
    code: "keys_file_unreadable",
    message: `cannot use the key store ${path}: ${detail}`,
    hint,
  });
}

/**
 * Every stored key, by name; empty when there is no file yet.
 *
 * @throws LlmspellError `keys_file_unsafe` when group or others may access the file,
 *   `keys_file_unreadable` when it cannot be read or is not a key store
 */
export function readKeys(path: string): Map<string, StoredKey> {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return new Map();
    throw unreadable(path, e instanceof Error ? e.message : String(e));
  }
  let text: string;
  try {
    // The mode of the file opened, not of the path, so a swap between the check and the
    // read cannot slip an unchecked file in.
    const mode = file.statSync().mode;
    if (mode !== null && (mode & 0o077) !== 0) {
      throw new LlmspellError({
        code: "keys_file_unsafe",
        message: `the key store ${path} may be read by other users (mode ${
          (mode & 0o777).toString(8).padStart(3, "0")
        }); refusing to use it`,
        hint: `chmod 600 ${path} (and replace the keys in it if others could read them)`,
      });
    }
    text = new TextDecoder().decode(readAll(file));
  } finally {
    file.close();
  }
  return parseKeys(path, text);
}

function readAll(file: Deno.FsFile): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(16 * 1024);
  for (;;) {
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    chunks.push(buf.slice(0, n));
  }
  return concat(chunks);
}

function parseKeys(path: string, text: string): Map<string, StoredKey> {
  const bad = (why: string) =>
    unreadable(
      path,
      `not a key store (${why})`,
      `move it aside and set the keys again with llmspell keys set NAME`,
    );
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  const top = doc as Record<string, unknown> | null;
  if (typeof top !== "object" || top === null || top[FORMAT_KEY] !== FORMAT_VERSION) {
    throw bad(`"${FORMAT_KEY}": ${FORMAT_VERSION} missing`);
  }
  const keys = top.keys;
  if (typeof keys !== "object" || keys === null || Array.isArray(keys)) {
    throw bad('"keys" is not an object');
  }
  const out = new Map<string, StoredKey>();
  for (const [name, entry] of Object.entries(keys)) {
    const e = entry as Record<string, unknown> | null;
    if (typeof e?.value !== "string" || typeof e.set_at !== "string") {
      throw bad(`the entry of '${name}' needs "value" and "set_at" strings`);
    }
    out.set(name, { value: e.value, setAt: e.set_at });
  }
  return out;
}

function formatKeys(keys: Map<string, StoredKey>): string {
  const entries: Record<string, { value: string; set_at: string }> = {};
  for (const [name, k] of [...keys].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
    entries[name] = { value: k.value, set_at: k.setAt };
  }
  return JSON.stringify(
    {
      [FORMAT_KEY]: FORMAT_VERSION,
      note: "API keys written by `llmspell keys set`: keep this file private (mode 0600)",
      keys: entries,
    },
    null,
    2,
  ) + "\n";
}

/**
 * Writes `text` to `path` in one step: a new file (mode 0600) beside it, synced, renamed over
 * it, and the directory synced so the rename itself survives a crash.
 */
function replaceFile(path: string, dir: string, text: string): void {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  const bytes = new TextEncoder().encode(text);
  try {
    const f = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
    try {
      let off = 0;
      while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
      f.syncSync();
    } finally {
      f.close();
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // Never created, or already renamed.
    }
    throw new LlmspellError({
      code: "keys_file_write_failed",
      message: `cannot write the key store ${path}: ${
        e instanceof Error ? e.message : String(e)
      }; it is unchanged`,
      hint: "check that the data directory is writable and the disk has room",
      cause: e,
    });
  }
  syncDirectory(dir);
}

/**
 * Changes the stored keys under the store's lock: `change` gets them as they are and
 * returns what to do (`write: false` leaves the file as it is). Returns `change`'s result.
 */
export function changeKeys<T>(
  dataDir: string,
  change: (keys: Map<string, StoredKey>) => { write: boolean; result: T },
): T {
  const path = keysFilePath(dataDir);
  try {
    Deno.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw unreadable(path, e instanceof Error ? e.message : String(e));
  }
  const lock = Deno.openSync(join(dataDir, LOCK_FILE_NAME), {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  try {
    lock.lockSync(true);
    const keys = readKeys(path);
    const { write, result } = change(keys);
    if (write) replaceFile(path, dataDir, formatKeys(keys));
    return result;
  } finally {
    lock.close();
  }
}

/** The key stored for `name`; undefined when none is. Reads the file each time. */
export function storedKey(dataDir: string, name: string): string | undefined {
  return readKeys(keysFilePath(dataDir)).get(name)?.value;
}

/** The error of a key that is not stored (`keys get`, `keys remove`). */
export function keyNotStored(name: string): LlmspellError {
  return new LlmspellError({
    code: "key_not_found",
    message: `no key stored for '${name}'`,
    hint: `store one with: llmspell keys set ${name}`,
    exitCode: ExitCode.failure,
  });
}
