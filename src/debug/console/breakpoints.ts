/**
 * The console's breakpoints as a DAP client holds them: the user's numbering and what each
 * asks for (a DAP `setBreakpoints` replaces the client's set for a source, so a client says
 * its whole set each time). Where they are set, verified and moved is the session's: it keeps
 * every client's, merged, on whichever engine runs, and its answers and `breakpoint` events
 * update the numbers shown here. Breakpoints other clients set are listed too.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import type { SourceView } from "./sources.ts";
import { type ConsoleIO, type DebugTarget, requestOrSay } from "./target.ts";

export interface Bp {
  num: number;
  kind: "line" | "function";
  /** Line breakpoints: the source key (a path or `=In[3]`). */
  file?: string;
  line?: number;
  fn?: string;
  cond?: string;
  hit?: string;
  log?: string;
  temp: boolean;
  enabled: boolean;
  // The session's answer:
  id?: number;
  verified?: boolean;
  actualLine?: number;
  message?: string;
}

const SPEC = /^(\S+)(?:\s+hit\s+((?:>=|<=|==|=|>|<|%)?\s*\d+))?(?:\s+if\s+(.+))?$/;

export class Breakpoints {
  readonly #target: DebugTarget;
  readonly #io: ConsoleIO;
  readonly #sources: SourceView;
  #list: Bp[] = [];
  #next = 1;
  /** Sources this client has set breakpoints in (deleting the last one sends an empty set). */
  readonly #sent = new Set<string>();
  /** Other clients' breakpoints, by the session's id. */
  readonly #others = new Map<number, DP.Breakpoint>();

  constructor(target: DebugTarget, io: ConsoleIO, sources: SourceView) {
    this.#target = target;
    this.#io = io;
    this.#sources = sources;
  }

  /** The breakpoint the session knows by `id`, if it is this client's. */
  byId(id: number): Bp | undefined {
    return this.#list.find((b) => b.id === id);
  }

  /**
   * Parses `LOC [hit N] [if COND]` (LOC: LINE in `current`, FILE:LINE, or a function) and
   * sets it; says what was set, or why not.
   */
  async add(
    spec: string,
    current: string | undefined,
    opts: { temp?: boolean; log?: string } = {},
  ): Promise<void> {
    const m = SPEC.exec(spec.trim());
    if (!m) {
      this.#io.write("usage: break LINE|FILE:LINE|FUNCTION [hit N] [if COND]\n");
      return;
    }
    const [, loc, hit, cond] = m;
    const bp: Bp = {
      num: 0,
      kind: "line",
      cond,
      hit,
      log: opts.log,
      temp: opts.temp ?? false,
      enabled: true,
    };
    const fl = /^(.+):(\d+)$/.exec(loc);
    if (/^\d+$/.test(loc)) {
      if (current === undefined) {
        this.#io.write("no current source: break CHUNK:LINE (In[3]:2) or FILE:LINE\n");
        return;
      }
      bp.file = current;
      bp.line = Number(loc);
    } else if (fl) {
      bp.file = this.#sources.resolve(fl[1]);
      bp.line = Number(fl[2]);
    } else {
      bp.kind = "function";
      bp.fn = loc;
    }
    if (bp.kind === "line" && bp.file!.startsWith("=")) {
      // A chunk that is no file: check the line against the text the host knows.
      const n = this.#sources.lines(bp.file!)?.length ?? 0;
      if (bp.line! < 1 || bp.line! > n) {
        this.#io.write(`${this.#sources.show(bp.file!)} has lines 1 to ${n}\n`);
        return;
      }
    }
    await this.#set(bp);
    this.#io.write(`${this.describe(bp)}\n`);
    if (bp.kind === "line" && bp.message && bp.verified === false) {
      this.#io.write(`  (${bp.message})\n`);
    }
  }

  /** `FILE:LINE[:COND]` of `--break-at`, set without a word. */
  async addSpec(spec: string): Promise<void> {
    const m = /^(.+?):(\d+)(?::(.*))?$/.exec(spec);
    if (!m) throw new Error(`--break-at expects FILE:LINE[:COND], got '${spec}'`);
    await this.#set({
      num: 0,
      kind: "line",
      file: this.#sources.resolve(m[1]),
      line: Number(m[2]),
      cond: m[3] || undefined,
      temp: false,
      enabled: true,
    });
  }

  async #set(bp: Bp): Promise<void> {
    bp.num = this.#next++;
    this.#list.push(bp);
    if (bp.kind === "line") await this.#syncFile(bp.file!);
    else await this.#syncFunctions();
  }

  async remove(nums: number[]): Promise<void> {
    this.#list = nums.length ? this.#list.filter((b) => !nums.includes(b.num)) : [];
    await this.#syncAll();
  }

  async setEnabled(nums: number[], on: boolean): Promise<void> {
    for (const b of this.#list) if (!nums.length || nums.includes(b.num)) b.enabled = on;
    await this.#syncAll();
  }

  /** Removes breakpoints in sources that are no more (a REPL's fresh state); how many. */
  async forget(isGone: (key: string) => boolean): Promise<number> {
    const before = this.#list.length;
    this.#list = this.#list.filter((b) => b.kind !== "line" || !isGone(b.file!));
    await this.#syncAll();
    return before - this.#list.length;
  }

  /** A temporary breakpoint was hit: it goes. */
  async hit(bp: Bp): Promise<void> {
    if (bp.temp) await this.remove([bp.num]);
  }

  describe(b: Bp): string {
    const what = b.log !== undefined ? "Logpoint" : b.temp ? "Temporary breakpoint" : "Breakpoint";
    let s = `${what} ${b.num} at `;
    if (b.kind === "function") s += `function ${b.fn}`;
    else {
      s += `${this.#sources.show(b.file!)}:${b.actualLine ?? b.line}`;
      if (b.actualLine !== undefined && b.actualLine !== b.line) {
        s += ` (moved from line ${b.line})`;
      }
    }
    if (b.hit) s += ` hit ${b.hit}`;
    if (b.cond) s += ` if ${b.cond}`;
    if (b.log !== undefined) s += ` log "${b.log}"`;
    if (b.verified === false) s += " [unverified]";
    return s;
  }

  /** `info breakpoints`: this client's, then the other clients'. */
  info(): void {
    if (this.#list.length === 0 && this.#others.size === 0) {
      this.#io.write("no breakpoints\n");
      return;
    }
    for (const b of this.#list) {
      this.#io.write(`${this.describe(b)}${b.enabled ? "" : " (disabled)"}\n`);
    }
    for (const b of this.#others.values()) {
      const key = b.source?.path ?? b.source?.name;
      const at = key !== undefined ? `${this.#sources.show(key)}:${b.line}` : "a function";
      this.#io.write(`Breakpoint of another client at ${at}\n`);
    }
  }

  /**
   * A `breakpoint` event of the session: an answer about one of ours (verified, moved, a
   * new engine), or another client's breakpoint.
   */
  onEvent(body: DP.BreakpointEvent["body"]): void {
    const bp = body.breakpoint;
    if (bp.id === undefined) return;
    const mine = this.byId(bp.id);
    if (mine) {
      if (body.reason !== "removed") this.#update(mine, bp);
      return;
    }
    if (body.reason === "removed") this.#others.delete(bp.id);
    else this.#others.set(bp.id, bp);
  }

  #update(b: Bp, res: DP.Breakpoint): void {
    if (res.id !== undefined) {
      b.id = res.id;
      // An event may have told of it before the answer did: it is ours.
      this.#others.delete(res.id);
    }
    b.verified = res.verified;
    if (b.kind === "line") b.actualLine = res.line;
    b.message = res.message;
  }

  async #syncAll(): Promise<void> {
    const files = new Set(this.#sent);
    for (const b of this.#list) if (b.kind === "line") files.add(b.file!);
    for (const f of files) await this.#syncFile(f);
    await this.#syncFunctions();
  }

  #request<B>(command: string, args: Record<string, unknown>): Promise<B | undefined> {
    return requestOrSay<B>(this.#target, this.#io, command, args);
  }

  async #syncFile(file: string): Promise<void> {
    const bps = this.#list.filter((b) => b.kind === "line" && b.file === file && b.enabled);
    this.#sent.add(file);
    const r = await this.#request<DP.SetBreakpointsResponse["body"]>("setBreakpoints", {
      source: this.#sources.dapSource(file),
      breakpoints: bps.map((b) => ({
        line: b.line!,
        condition: b.cond,
        hitCondition: b.hit,
        logMessage: b.log,
      })),
    });
    r?.breakpoints.forEach((res, i) => res && this.#update(bps[i], res));
  }

  #fnSent = false;

  async #syncFunctions(): Promise<void> {
    const bps = this.#list.filter((b) => b.kind === "function" && b.enabled);
    if (bps.length === 0 && !this.#fnSent) return;
    this.#fnSent = true;
    const r = await this.#request<DP.SetFunctionBreakpointsResponse["body"]>(
      "setFunctionBreakpoints",
      { breakpoints: bps.map((b) => ({ name: b.fn!, condition: b.cond, hitCondition: b.hit })) },
    );
    r?.breakpoints.forEach((res, i) => res && this.#update(bps[i], res));
  }
}
