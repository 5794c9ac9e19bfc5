/**
 * The answers the worker gives again itself: a host call answered with LastingResults
 * (src/engine/shared/host_channel.ts) stays the answer to the same call while the first bytes
 * of its file read its token. So the same call again (a State.get in a loop) reads those
 * bytes and, if they are unchanged, answers from here without crossing to the main thread
 * ([0027](../../../docs/decisions/0027-state-get-answered-in-the-worker.md)).
 *
 * Entries share one file and token: a lasting answer with another token starts afresh, and
 * so does a read that finds the file changed. So a lookup finds nothing until the main thread
 * has answered that call since the last change, and every lookup that answers reads the file
 * first.
 */
import type { LastingResults } from "../shared/host_channel.ts";

/** The longest arguments an entry is kept for (a State.get's are a scope and a key). */
const MAX_KEY_BYTES = 1024;
/** Bounds on what is kept: past either, the cache starts afresh. */
const MAX_ENTRIES = 4096;
const MAX_BYTES = 4 << 20;

export class AnswerCache {
  /** Methods whose answers have been lasting: only their calls are looked up. */
  readonly #methods = new Set<string>();
  readonly #entries = new Map<string, Uint8Array>();
  #bytes = 0;
  #file: string | undefined;
  #handle: Deno.FsFile | undefined;
  /** Files that could not be opened: their answers are not kept. */
  readonly #unreadable = new Set<string>();
  #token = new Uint8Array(0);
  #read = new Uint8Array(0);

  /** The key of a call, when calls of `method` may be answered here. */
  key(method: string, args: Uint8Array): string | undefined {
    if (!this.#methods.has(method) || args.length > MAX_KEY_BYTES) return undefined;
    return callKey(method, args);
  }

  /** The results of call `key` if they are still its answer. */
  get(key: string): Uint8Array | undefined {
    const results = this.#entries.get(key);
    if (results === undefined) return undefined;
    if (this.#unchanged()) return results;
    this.#clear();
    return undefined;
  }

  /** Keeps a lasting answer of call `method(args)`; its results (a copy). */
  keep(method: string, args: Uint8Array, lasting: LastingResults): Uint8Array {
    const results = lasting.results.slice();
    if (args.length > MAX_KEY_BYTES || this.#unreadable.has(lasting.file)) return results;
    if (lasting.file !== this.#file || !sameBytes(lasting.token, this.#token)) {
      if (!this.#open(lasting.file)) return results;
      this.#clear();
      this.#token = lasting.token.slice();
      this.#read = new Uint8Array(this.#token.length);
    }
    if (this.#entries.size >= MAX_ENTRIES || this.#bytes + results.length > MAX_BYTES) {
      this.#clear();
    }
    this.#methods.add(method);
    this.#entries.set(callKey(method, args), results);
    this.#bytes += results.length;
    return results;
  }

  #open(file: string): boolean {
    if (file === this.#file) return true;
    this.#handle?.close();
    this.#handle = undefined;
    this.#file = undefined;
    try {
      this.#handle = Deno.openSync(file, { read: true });
    } catch {
      this.#unreadable.add(file);
      return false;
    }
    this.#file = file;
    return true;
  }

  /** The file still reads the token. */
  #unchanged(): boolean {
    const h = this.#handle;
    if (!h) return false;
    try {
      h.seekSync(0, Deno.SeekMode.Start);
      const n = h.readSync(this.#read);
      return n === this.#read.length && sameBytes(this.#read, this.#token);
    } catch {
      return false;
    }
  }

  #clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

/** The method and the encoded arguments as one string (one char per byte). */
function callKey(method: string, args: Uint8Array): string {
  let key = method + "\0";
  for (let i = 0; i < args.length; i++) key += String.fromCharCode(args[i]);
  return key;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
