/**
 * The console's sources: how a frame's source is named (a file's absolute path, or `=In[3]`
 * for a chunk its host knows by name), how the user types and reads those names, and
 * listings with a marker at the current line.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import * as path from "../../path.ts";
import type { ConsoleHost, ConsoleIO } from "./target.ts";

export class SourceView {
  readonly #io: ConsoleIO;
  readonly #host: ConsoleHost;
  readonly #cwd: string;
  readonly #files = new Map<string, string[]>();
  /** Where `list` without arguments goes on. */
  #listAt: { key: string; line: number } | undefined;

  constructor(io: ConsoleIO, host: ConsoleHost, cwd: string) {
    this.#io = io;
    this.#host = host;
    this.#cwd = cwd;
  }

  /**
   * The source key of a frame: its file's path, or `=NAME` for a chunk the host knows by
   * name; undefined for C frames and unknown strings.
   */
  keyOfFrame(f: DP.StackFrame | undefined): string | undefined {
    if (!f) return undefined;
    if (f.source?.path) return f.source.path;
    const name = f.source?.name;
    if (name && this.#host.sourceText?.("=" + name) !== undefined) return "=" + name;
    return undefined;
  }

  /** The source key of what the user typed: a file, or a chunk of the host like `In[3]`. */
  resolve(f: string): string {
    const name = f.startsWith("=") ? f : "=" + f;
    if (this.#host.sourceText?.(name) !== undefined) return name;
    const candidates = [path.resolve(this.#cwd, f)];
    if (this.#host.baseDir) candidates.push(path.resolve(this.#host.baseDir, f));
    for (const c of candidates) {
      try {
        return Deno.realPathSync(c);
      } catch { /* next */ }
    }
    return candidates[0];
  }

  /** A source key as the user reads and types it: a relative path, or `In[3]`. */
  show(key: string): string {
    if (key.startsWith("=")) return key.slice(1);
    return path.relative(this.#cwd, key) || key;
  }

  /** The DAP source of a key. */
  dapSource(key: string): DP.Source {
    return key.startsWith("=") ? { name: key } : { path: key };
  }

  lines(key: string): string[] | undefined {
    if (key.startsWith("=")) return this.#host.sourceText?.(key)?.split("\n");
    let lines = this.#files.get(key);
    if (!lines) {
      try {
        lines = Deno.readTextFileSync(key).split("\n");
      } catch {
        return undefined;
      }
      this.#files.set(key, lines);
    }
    return lines;
  }

  /** Prints lines `line - around` to `line + around`, with `->` at `marker`. */
  print(key: string, line: number, around: number, marker = line): void {
    const lines = this.lines(key);
    if (!lines) return;
    const from = Math.max(1, line - around);
    const to = Math.min(lines.length, line + around);
    const w = String(to).length;
    for (let i = from; i <= to; i++) {
      this.#io.write(`${i === marker ? "->" : "  "} ${String(i).padStart(w)}  ${lines[i - 1]}\n`);
    }
    this.#listAt = { key, line: to + 1 };
  }

  /** `list [LINE|FILE:LINE]`: around a line of `current` (or the given source), or on. */
  list(rest: string, current: string | undefined, frame: DP.StackFrame | undefined): void {
    const here = this.keyOfFrame(frame);
    let key = current;
    let center: number;
    const fl = /^(.+):(\d+)$/.exec(rest);
    if (/^\d+$/.test(rest)) center = Number(rest);
    else if (fl) {
      key = this.resolve(fl[1]);
      center = Number(fl[2]);
    } else if (this.#listAt && !rest) {
      key = this.#listAt.key;
      center = this.#listAt.line + 5;
    } else center = frame?.line ?? 1;
    if (key === undefined) {
      this.#io.write("no current source: list CHUNK:LINE or FILE:LINE\n");
      return;
    }
    this.print(key, center, 5, here === key ? frame!.line : -1);
  }

  /** Listing goes on from a new place next time (a new stop, a cell's end). */
  reset(): void {
    this.#listAt = undefined;
  }
}
