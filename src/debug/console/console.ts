/**
 * The terminal debugger's console: gdb-like commands (commands.ts) as DAP requests to a
 * debug session, of which it is one client (target.ts), and the session's events rendered
 * as text: a stop as the source around its line with a marker. It drives no engine: its
 * host runs the code (`llmspell debug` a program, the REPL its cells) and says when a run
 * starts and ends.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { Breakpoints } from "./breakpoints.ts";
import { type ConsoleActions, findCommand, HELP } from "./commands.ts";
import { SourceView } from "./sources.ts";
import { type ConsoleHost, type ConsoleIO, type DebugTarget, requestOrSay } from "./target.ts";

type State = "idle" | "running" | "stopped";

/**
 * When an error stops the program: the names of the config's `debug.break_on_error`.
 * `catch off` is accepted as `never`.
 */
const CATCH_MODES = ["all", "uncaught", "never"] as const;
export type CatchMode = typeof CATCH_MODES[number];

const SCOPES = ["Locals", "Upvalues", "Globals"] as const;

export class DebugConsole implements ConsoleActions {
  readonly #target: DebugTarget;
  readonly #host: ConsoleHost;
  readonly #io: ConsoleIO;
  readonly #sources: SourceView;
  readonly #bps: Breakpoints;
  #state: State = "idle";
  #watches: string[];
  #catch: CatchMode;
  #frames: DP.StackFrame[] = [];
  #frame = 0;
  #lastStep = "";
  #more: { ref: number; next: number; total: number } | undefined;
  #waiters: (() => void)[] = [];
  /** A pause was asked and no stop has come since. */
  #pauseAsked = false;
  readonly #unsubscribe: () => void;

  constructor(opts: {
    target: DebugTarget;
    host: ConsoleHost;
    io: ConsoleIO;
    cwd: string;
    watches?: string[];
    /** Where errors stop until `catch` says otherwise (sent by `configure`). */
    catchMode?: CatchMode;
  }) {
    this.#target = opts.target;
    this.#host = opts.host;
    this.#io = opts.io;
    this.#sources = new SourceView(opts.io, opts.host, opts.cwd);
    this.#bps = new Breakpoints(opts.target, opts.io, this.#sources);
    this.#watches = [...(opts.watches ?? [])];
    this.#catch = opts.catchMode ?? "never";
    this.#unsubscribe = opts.target.onEvent((event, body) => this.#onEvent(event, body));
  }

  get state(): State {
    return this.#state;
  }

  /**
   * Before a program starts: where errors stop, and the `--break-at` breakpoints
   * (FILE:LINE[:COND]); throws on a malformed one.
   */
  async configure(breakAt: string[]): Promise<void> {
    await this.#sendCatch();
    for (const spec of breakAt) await this.#bps.addSpec(spec);
  }

  /** The host started running code (a program, a cell): its stops are shown from now on. */
  running(): void {
    this.#state = "running";
    this.#frames = [];
  }

  /** The host's code has ended. */
  ended(): void {
    if (this.#pauseAsked) {
      // A pause that reached the engine after the code ended would stop the next run at
      // its entry.
      this.#pauseAsked = false;
      this.#target.request("continue", { threadId: 1 }).catch(() => {});
    }
    this.#state = "idle";
    this.#frames = [];
    this.#more = undefined;
    this.#sources.reset();
    this.#wake();
  }

  /** Removes breakpoints in sources that are no more (a REPL's fresh state); how many. */
  forgetSources(isGone: (key: string) => boolean): Promise<number> {
    return this.#bps.forget(isGone);
  }

  /** Resolves when the code stops or ends (at once if it is not running). */
  waitIdle(): Promise<void> {
    if (this.#state !== "running") return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  close(): void {
    this.#unsubscribe();
  }

  // ── events ────────────────────────────────────────────────────────────────────────────

  #onEvent(event: string, body: unknown): void {
    switch (event) {
      case "output":
        this.#io.write((body as DP.OutputEvent["body"]).output);
        return;
      case "stopped":
        void this.#onStopped(body as DP.StoppedEvent["body"]);
        return;
      case "continued":
        // Another client resumed the program.
        if (this.#state === "stopped") this.running();
        return;
      case "breakpoint":
        this.#bps.onEvent(body as DP.BreakpointEvent["body"]);
        return;
    }
  }

  async #onStopped(body: DP.StoppedEvent["body"]): Promise<void> {
    if (this.#state !== "running") {
      // Not in code of this host (its own query hit a breakpoint): nobody to stop for.
      if (this.#host.continueStrayStops) {
        await this.#target.request("continue", { threadId: 1 }).catch(() => {});
      }
      return;
    }
    // Let output written before the stop reach the terminal first.
    await new Promise((r) => setTimeout(r, 0));
    this.#pauseAsked = false;
    this.#state = "stopped";
    this.#more = undefined;
    const st = await this.#request<DP.StackTraceResponse["body"]>("stackTrace", { threadId: 1 });
    this.#frames = st?.stackFrames ?? [];
    // Show the innermost Lua frame (an error stops inside the C function `error`).
    this.#frame = Math.max(0, this.#frames.findIndex((f) => this.#sources.keyOfFrame(f)));
    const hit = body.hitBreakpointIds?.length
      ? this.#bps.byId(body.hitBreakpointIds[0])
      : undefined;
    let why: string = body.reason;
    if (body.reason === "breakpoint" || body.reason === "function breakpoint") {
      why = hit ? `breakpoint ${hit.num}` : "breakpoint";
    } else if (body.reason === "exception") {
      why = `error: ${body.text ?? ""}`;
    }
    const f = this.#frames[this.#frame];
    this.#io.write(`Stopped (${why})${f ? this.#where(f) : ""}\n`);
    if (body.reason === "breakpoint" && body.text) this.#io.write(`  ${body.text}\n`);
    const key = this.#sources.keyOfFrame(f);
    if (key) this.#sources.print(key, f.line, 2);
    if (hit) await this.#bps.hit(hit);
    await this.#showWatches(false);
    this.#wake();
  }

  #where(f: DP.StackFrame): string {
    const key = this.#sources.keyOfFrame(f);
    return key ? ` at ${this.#sources.show(key)}:${f.line} in ${f.name}` : ` in ${f.name}`;
  }

  /** A request whose failure is said (undefined then). */
  #request<B>(command: string, args: Record<string, unknown>): Promise<B | undefined> {
    return requestOrSay<B>(this.#target, this.#io, command, args);
  }

  // ── commands ──────────────────────────────────────────────────────────────────────────

  /** Runs one command line. Returns "quit" when the user asked to leave. */
  async command(input: string): Promise<"ok" | "quit"> {
    let line = input.trim();
    if (line === "") {
      if (!this.#lastStep) return "ok";
      line = this.#lastStep;
    }
    const sp = line.search(/\s/);
    const word = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? "" : line.slice(sp + 1).trim();
    const cmd = findCommand(word);
    if (!cmd) {
      this.say(`unknown command '${word}' (try help)`);
      return "ok";
    }
    if (cmd.step) this.#lastStep = word;
    return (await cmd.run(this, rest)) ?? "ok";
  }

  say(text: string): void {
    this.#io.write(text + "\n");
  }

  help(): void {
    this.#io.write(HELP + (this.#host.helpFooter ?? ""));
  }

  async quit(): Promise<"quit" | void> {
    if (this.#state === "idle") {
      if (this.#host.idleQuit) return this.say(this.#host.idleQuit);
      return "quit";
    }
    this.running();
    await this.#host.terminate();
    return "quit";
  }

  #currentFile(): string | undefined {
    return this.#sources.keyOfFrame(this.#frames[this.#frame]) ?? this.#host.defaultSource();
  }

  addBreakpoint(rest: string, temp: boolean, log?: string): Promise<void> {
    return this.#bps.add(rest, this.#currentFile(), { temp, log });
  }

  async breakHere(): Promise<void> {
    const f = this.#frames[this.#frame];
    const key = this.#sources.keyOfFrame(f);
    if (!key) return this.say("usage: break LINE|FILE:LINE|FUNCTION [if COND]");
    await this.#bps.add(`${key}:${f.line}`, key);
  }

  async deleteBreakpoints(rest: string): Promise<void> {
    const nums = this.#nums(rest);
    await this.#bps.remove(nums);
    this.say(nums.length ? `deleted ${nums.join(", ")}` : "deleted all breakpoints");
  }

  async enableBreakpoints(rest: string, on: boolean): Promise<void> {
    const nums = this.#nums(rest);
    await this.#bps.setEnabled(nums, on);
    this.say(`${on ? "enabled" : "disabled"} ${nums.length ? nums.join(", ") : "all"}`);
  }

  async info(rest: string): Promise<void> {
    if (/^b/.test(rest)) return this.#bps.info();
    if (/^w/.test(rest)) return await this.#showWatches(true);
    this.say("usage: info breakpoints|watch");
  }

  async catchErrors(rest: string): Promise<void> {
    const mode = rest === "off" ? "never" : CATCH_MODES.find((m) => m === rest);
    if (!mode) return this.say(`usage: catch ${CATCH_MODES.join("|")}`);
    this.#catch = mode;
    await this.#sendCatch();
    this.say(`stop on errors: ${mode}`);
  }

  async #sendCatch(): Promise<void> {
    await this.#request("setExceptionBreakpoints", {
      filters: this.#catch === "never" ? [] : [this.#catch],
    });
  }

  #nums(rest: string): number[] {
    return rest.split(/[\s,]+/).filter((x) => x).map(Number).filter((n) => Number.isInteger(n));
  }

  async resume(command: "stepIn" | "next" | "stepOut" | "continue"): Promise<void> {
    if (this.#state === "idle") return this.say(this.#host.notRunning);
    if (this.#state === "running") return this.say("the program is running (pause stops it)");
    this.running();
    await this.#request(command, { threadId: 1 });
  }

  async pause(): Promise<void> {
    if (this.#state !== "running") return;
    this.#pauseAsked = true;
    await this.#request("pause", { threadId: 1 });
  }

  #needStopped(): boolean {
    if (this.#state === "stopped") return true;
    this.say("the program is not stopped");
    return false;
  }

  backtrace(): void {
    if (!this.#needStopped()) return;
    this.#frames.forEach((f, i) => {
      const key = this.#sources.keyOfFrame(f);
      const loc = key ? ` at ${this.#sources.show(key)}:${f.line}` : "";
      this.#io.write(`${i === this.#frame ? "->" : "  "} #${i}  ${f.name}${loc}\n`);
    });
  }

  selectFrame(how: "at" | "up" | "down", rest: string): void {
    if (!this.#needStopped()) return;
    const by = rest ? Number(rest) : 1;
    const n = how === "at"
      ? (rest ? Number(rest) : this.#frame)
      : this.#frame + (how === "up" ? by : -by);
    if (!Number.isInteger(n) || n < 0 || n >= this.#frames.length) {
      return this.say(`no frame ${n} (0..${this.#frames.length - 1})`);
    }
    this.#frame = n;
    const f = this.#frames[n];
    this.#io.write(`#${n}${this.#where(f)}\n`);
    const key = this.#sources.keyOfFrame(f);
    if (key) this.#sources.print(key, f.line, 1);
  }

  async scope(which: typeof SCOPES[number]): Promise<void> {
    if (!this.#needStopped()) return;
    const f = this.#frames[this.#frame];
    const sc = await this.#request<DP.ScopesResponse["body"]>("scopes", { frameId: f.id });
    const scope = sc?.scopes.find((s) => s.name === which);
    const lower = which.toLowerCase();
    if (!scope) return this.say(`no ${lower} in this frame`);
    const vars = await this.#request<DP.VariablesResponse["body"]>("variables", {
      variablesReference: scope.variablesReference,
      count: which === "Globals" ? 50 : undefined,
    });
    const list = vars?.variables ?? [];
    if (list.length === 0) return this.say(`(no ${lower})`);
    for (const v of list) this.#io.write(`${v.name} = ${v.value}\n`);
  }

  async #evaluate(expr: string, context: string): Promise<DP.EvaluateResponse["body"] | string> {
    const f = this.#state === "stopped" ? this.#frames[this.#frame] : undefined;
    try {
      return await this.#target.request<DP.EvaluateResponse["body"]>("evaluate", {
        expression: expr,
        frameId: f?.id,
        context,
      });
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  async print(rest: string): Promise<void> {
    if (!rest) return this.say("usage: print EXPR [@N]");
    if (this.#state === "running") return this.say("the program is running (pause stops it)");
    const m = /^(.*?)\s+@(\d+)$/.exec(rest);
    const r = await this.#evaluate(m ? m[1] : rest, "repl");
    if (typeof r === "string") return this.say(`error: ${r}`);
    if (r.result !== "") this.#io.write(`${r.result}\n`);
    if (r.variablesReference && (m || (r.indexedVariables ?? 0) > 1000)) {
      const start = m ? Math.max(1, Number(m[2])) : 1;
      this.#more = { ref: r.variablesReference, next: start, total: r.indexedVariables ?? 0 };
      await this.more();
    }
  }

  async more(): Promise<void> {
    const more = this.#more;
    if (!more) return this.say("nothing more to list");
    const count = 20;
    const r = await this.#request<DP.VariablesResponse["body"]>("variables", {
      variablesReference: more.ref,
      filter: "indexed",
      start: more.next - 1,
      count,
    });
    for (const v of r?.variables ?? []) this.#io.write(`  ${v.name} = ${v.value}\n`);
    more.next += count;
    if (more.next <= more.total) {
      this.#io.write(`  … ${more.total - more.next + 1} more (more, or p EXPR @N)\n`);
    } else this.#more = undefined;
  }

  async watch(rest: string): Promise<void> {
    if (!rest) return await this.#showWatches(true);
    this.#watches.push(rest);
    this.say(`watch ${this.#watches.length}: ${rest}`);
    if (this.#state === "stopped") await this.#showWatches(false);
  }

  unwatch(rest: string): void {
    const nums = this.#nums(rest);
    this.#watches = nums.length ? this.#watches.filter((_, i) => !nums.includes(i + 1)) : [];
    this.say("watches removed");
  }

  async #showWatches(always: boolean): Promise<void> {
    if (this.#watches.length === 0) {
      if (always) this.say("no watches");
      return;
    }
    for (const [i, w] of this.#watches.entries()) {
      const r = this.#state === "stopped" ? await this.#evaluate(w, "watch") : "not stopped";
      const v = typeof r === "string" ? `<${r}>` : r.result;
      this.say(`watch ${i + 1}: ${w} = ${v}`);
    }
  }

  list(rest: string): void {
    this.#sources.list(rest, this.#currentFile(), this.#frames[this.#frame]);
  }

  async restart(): Promise<void> {
    if (!this.#host.restart) return this.say(this.#host.noRestart ?? "nothing to restart");
    this.#pauseAsked = false;
    await this.#host.restart();
  }
}
