/**
 * The debugger's command interpreter (gdb-like commands over DAP requests), used by
 * `llmspell debug` and by the REPL's `db:` commands. It keeps the user's breakpoints and
 * watches and prints stops as source with a marker. Two modes:
 * - launch (`llmspell debug`): it owns a program run on an engine it creates (`start`,
 *   `restart`);
 * - attach (the REPL): it debugs the cells someone else runs on an existing engine; the
 *   REPL says when a cell starts and ends, and names its cells' sources (`=In[3]`).
 *
 * Sources are keyed by absolute path, or by chunk name (`=In[3]`) for chunks that are
 * not files.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import * as path from "../path.ts";
import type { Engine } from "../engine/handle.ts";
import type { LuaErrorInfo, ScriptArgs } from "../engine/protocol.ts";

export interface ConsoleIO {
  /** Debugger text (and, while running, the program's stdout). */
  write(text: string): void;
  /** The program's stderr. */
  writeErr(text: string | Uint8Array): void;
  writeOut(data: Uint8Array): void;
}

/** What the debugger needs from a REPL it is attached to. */
export interface AttachTarget {
  /** The engine now (a REPL's `.reset` replaces it; the debugger follows). */
  engine(): Engine;
  /** The text of a chunk named `=NAME` (`=In[3]`), for listings and `break In[3]:2`. */
  source(chunkName: string): string | undefined;
  /** The chunk `break LINE` and `list` mean when no frame is selected (the last cell). */
  defaultSource(): string | undefined;
}

export interface Program {
  code: string;
  chunkName: string;
  /** Absolute path of the script, for `break LINE` and `list`. */
  path: string;
  args?: ScriptArgs;
}

interface Bp {
  num: number;
  kind: "line" | "function";
  file?: string;
  line?: number;
  fn?: string;
  cond?: string;
  hit?: string;
  log?: string;
  temp: boolean;
  enabled: boolean;
  // From the engine:
  dapId?: number;
  verified?: boolean;
  actualLine?: number;
  message?: string;
}

type State = "idle" | "running" | "stopped" | "ended";

/**
 * When an error stops the program: the names of the config's `debug.break_on_error`.
 * `catch off` is accepted as `never`.
 */
const CATCH_MODES = ["all", "uncaught", "never"] as const;
export type CatchMode = typeof CATCH_MODES[number];

const STEP_COMMANDS = new Set(["step", "s", "next", "n", "finish", "f", "continue", "c"]);

/** The command words `command` knows (for completion and the REPL's `db:` lines). */
export const COMMANDS: readonly string[] = [
  "backtrace",
  "break",
  "catch",
  "continue",
  "delete",
  "disable",
  "down",
  "enable",
  "finish",
  "frame",
  "globals",
  "help",
  "info",
  "list",
  "locals",
  "log",
  "logpoint",
  "more",
  "next",
  "pause",
  "print",
  "quit",
  "restart",
  "step",
  "tbreak",
  "unwatch",
  "up",
  "upvalues",
  "watch",
  "where",
  // Short forms:
  "b",
  "bt",
  "c",
  "d",
  "f",
  "h",
  "i",
  "l",
  "n",
  "p",
  "q",
  "r",
  "run",
  "s",
];

export const HELP = `Commands:
  break|b LINE|FILE:LINE|FUNCTION [hit N|>=N|==N|%N] [if COND]   set a breakpoint
  tbreak LOC [if COND]         a breakpoint deleted when first hit
  log LOC MESSAGE              a logpoint: prints MESSAGE ({expr} interpolated), no stop
  delete|d [N...]              delete breakpoints (all without N)
  enable|disable N...          enable or disable breakpoints
  info breakpoints|b           list breakpoints
  catch all|uncaught|never     stop on every error, on uncaught errors (default), or never
                               (off = never)
  step|s  next|n  finish|f  continue|c   step in, step over, step out, continue
  pause                        (while running, or Ctrl+C) stop at the next line
  backtrace|bt  frame N  up  down          the stack, select a frame
  locals  upvalues  globals    variables of the selected frame
  print|p EXPR [@N]            evaluate in the selected frame (statements allowed, and can
                               assign locals); @N lists a table's entries from index N
  more                         the next entries of the table last listed
  watch EXPR  unwatch N        expressions shown at every stop
  list|l [LINE|FILE:LINE]      source around the current line (or the given one)
  restart  quit|q  help        (an empty line repeats the last step command)
`;

export class DebugConsole {
  readonly #createEngine: (() => Promise<Engine>) | undefined;
  readonly #program: Program | undefined;
  readonly #attach: AttachTarget | undefined;
  readonly #io: ConsoleIO;
  readonly #cwd: string;
  #engine: Engine | undefined;
  #state: State = "idle";
  #bps: Bp[] = [];
  #nextBp = 1;
  #watches: string[] = [];
  #catch: CatchMode = "uncaught";
  #stopOnEntry: boolean;
  #frames: DP.StackFrame[] = [];
  #frame = 0;
  #lastStep = "";
  #listAt: { file: string; line: number } | undefined;
  #more: { ref: number; next: number; total: number } | undefined;
  #waiters: (() => void)[] = [];
  #run: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #sources = new Map<string, string[]>();

  constructor(opts: {
    /** Launch mode: the engine of each run, and the program. */
    createEngine?: () => Promise<Engine>;
    program?: Program;
    /** Attach mode: the REPL whose cells are debugged. */
    attach?: AttachTarget;
    io: ConsoleIO;
    cwd: string;
    watches?: string[];
    stopOnEntry?: boolean;
    /** Launch mode: where errors stop (config debug.break_on_error); default uncaught. */
    catchMode?: CatchMode;
  }) {
    if (!opts.attach && !(opts.createEngine && opts.program)) {
      throw new Error("DebugConsole needs createEngine and program, or attach");
    }
    this.#createEngine = opts.createEngine;
    this.#program = opts.program;
    this.#attach = opts.attach;
    // A REPL shows a cell's error itself: stopping on errors is asked for (`catch`).
    if (opts.attach) this.#catch = "never";
    else if (opts.catchMode) this.#catch = opts.catchMode;
    this.#io = opts.io;
    this.#cwd = opts.cwd;
    this.#watches = [...(opts.watches ?? [])];
    this.#stopOnEntry = opts.stopOnEntry ?? false;
  }

  get state(): State {
    return this.#state;
  }

  /** Adds a breakpoint before the start (`--break-at FILE:LINE[:COND]`). */
  addBreakpointSpec(spec: string): void {
    const m = /^(.+?):(\d+)(?::(.*))?$/.exec(spec);
    if (!m) throw new Error(`--break-at expects FILE:LINE[:COND], got '${spec}'`);
    this.#bps.push({
      num: this.#nextBp++,
      kind: "line",
      file: this.#resolveFile(m[1]),
      line: Number(m[2]),
      cond: m[3] || undefined,
      temp: false,
      enabled: true,
    });
  }

  /** Starts the program on a new engine; resolves once it runs. */
  async start(): Promise<void> {
    const engine = await this.#createEngine!();
    this.#engine = engine;
    this.#unsubscribe = engine.debug.onEvent((e) => this.#onEvent(e));
    await this.#syncExceptions();
    await this.#syncAll(true);
    if (this.#stopOnEntry) await engine.debug.request("pause", { threadId: 1 });
    this.#state = "running";
    this.#run = this.#execute(engine);
  }

  async #execute(engine: Engine): Promise<void> {
    let error: LuaErrorInfo | undefined;
    let exit: number | undefined;
    for await (
      const ev of engine.execute({
        code: this.#program!.code,
        chunkName: this.#program!.chunkName,
        echo: false,
        args: this.#program!.args,
      })
    ) {
      if (ev.type === "stream") {
        if (ev.name === "stdout") this.#io.writeOut(ev.data);
        else this.#io.writeErr(ev.data);
      } else if (ev.type === "error") error = ev.error;
      else if (ev.type === "exit") exit = ev.code;
    }
    if (engine !== this.#engine) return;
    if (error && error.kind === "interrupted" && this.#terminating) {
      this.#io.write("Program terminated\n");
    } else if (error) {
      this.#io.write(`Program ended with an error: ${error.message}\n`);
      if (error.traceback.length) {
        this.#io.write(`stack traceback:\n\t${error.traceback.join("\n\t")}\n`);
      }
    } else if (exit !== undefined) this.#io.write(`Program exited with code ${exit}\n`);
    else this.#io.write("Program finished\n");
    this.#terminating = false;
    this.#state = "ended";
    this.#frames = [];
    this.#wake();
  }

  #terminating = false;

  // ── attach mode ──────────────────────────────────────────────────────────────────────

  /** Attach mode: follows the target's engine (sends it the breakpoints when it changed). */
  async #follow(): Promise<void> {
    const engine = this.#attach?.engine();
    if (!engine || engine === this.#engine) return;
    this.#unsubscribe?.();
    this.#engine = engine;
    this.#unsubscribe = engine.debug.onEvent((e) => this.#onEvent(e));
    this.#sentFiles.clear();
    this.#state = "idle";
    this.#frames = [];
    await this.#syncExceptions();
    await this.#syncAll(true);
  }

  /** Attach mode: a cell starts running on the engine (stops are shown from now on). */
  async cellStarted(): Promise<void> {
    await this.#follow();
    this.#state = "running";
  }

  /** Attach mode: the cell has ended. */
  cellEnded(): void {
    if (this.#pauseAsked) {
      // A pause that reached the engine after the cell would stop the next one at entry.
      this.#pauseAsked = false;
      void this.#engine?.debug.request("continue", { threadId: 1 });
    }
    this.#state = "idle";
    this.#frames = [];
    this.#more = undefined;
    this.#listAt = undefined;
    this.#wake();
  }

  /** A pause was asked and no stop has come since. */
  #pauseAsked = false;

  /** Attach mode: forgets breakpoints in chunks that are no more (a REPL's fresh state). */
  forgetSources(isGone: (key: string) => boolean): number {
    const before = this.#bps.length;
    this.#bps = this.#bps.filter((b) => b.kind !== "line" || !isGone(b.file!));
    return before - this.#bps.length;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Resolves when the program stops or ends (at once if it is not running). */
  waitIdle(): Promise<void> {
    if (this.#state !== "running") return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #onEvent(e: DP.Event): void {
    if (e.event === "output") {
      const body = (e as DP.OutputEvent).body;
      this.#io.write(body.output);
    } else if (e.event === "stopped") {
      void this.#onStopped((e as DP.StoppedEvent).body);
    }
  }

  async #onStopped(body: DP.StoppedEvent["body"]): Promise<void> {
    if (this.#attach && this.#state !== "running") {
      // Attached, outside a cell the REPL runs (its own queries): nobody to stop for.
      await this.#engine?.debug.request("continue", { threadId: 1 });
      return;
    }
    // Let output written before the stop reach the terminal first.
    await new Promise((r) => setTimeout(r, 0));
    this.#pauseAsked = false;
    this.#state = "stopped";
    this.#frame = 0;
    this.#more = undefined;
    const st = await this.#req<DP.StackTraceResponse>("stackTrace", { threadId: 1 });
    this.#frames = st?.body.stackFrames ?? [];
    // Show the innermost Lua frame (an error stops inside the C function `error`).
    this.#frame = Math.max(0, this.#frames.findIndex((f) => this.#keyOfFrame(f) !== undefined));
    let why: string = body.reason;
    const hit = body.hitBreakpointIds?.length
      ? this.#bps.find((b) => b.dapId === body.hitBreakpointIds![0])
      : undefined;
    if (body.reason === "breakpoint" || body.reason === "function breakpoint") {
      why = hit ? `breakpoint ${hit.num}` : "breakpoint";
    } else if (body.reason === "exception") {
      why = `error: ${body.text ?? ""}`;
    }
    const f = this.#frames[this.#frame];
    const where = f ? this.#where(f) : "";
    this.#io.write(`Stopped (${why})${where}\n`);
    if (body.reason === "breakpoint" && body.text) this.#io.write(`  ${body.text}\n`);
    const key = f && this.#keyOfFrame(f);
    if (key) this.#printSource(key, f.line, 2);
    if (hit?.temp) {
      this.#bps = this.#bps.filter((b) => b !== hit);
      await this.#syncAll(false);
    }
    await this.#showWatches();
    this.#wake();
  }

  #where(f: DP.StackFrame): string {
    const key = this.#keyOfFrame(f);
    return key ? ` at ${this.#show(key)}:${f.line} in ${f.name}` : ` in ${f.name}`;
  }

  /**
   * The source key of a frame: its file's path, or (attached) `=NAME` for a chunk the
   * target knows by name; undefined for C frames and unknown strings.
   */
  #keyOfFrame(f: DP.StackFrame): string | undefined {
    if (f.source?.path) return f.source.path;
    const name = f.source?.name;
    if (name && this.#attach?.source("=" + name) !== undefined) return "=" + name;
    return undefined;
  }

  /** A source key as the user reads and types it: a relative path, or `In[3]`. */
  #show(key: string): string {
    if (key.startsWith("=")) return key.slice(1);
    return path.relative(this.#cwd, key) || key;
  }

  async #req<R extends DP.Response>(command: string, args?: unknown): Promise<R | undefined> {
    const engine = this.#engine;
    if (!engine) return undefined;
    const r = await engine.debug.request<R>(command, args);
    if (!r.success) {
      this.#io.write(`${r.message ?? `${command} failed`}\n`);
      return undefined;
    }
    return r;
  }

  // ── breakpoints ──────────────────────────────────────────────────────────────────────

  /** The source key of what the user typed: a file, or (attached) a chunk like `In[3]`. */
  #resolveFile(f: string): string {
    if (this.#attach) {
      const name = f.startsWith("=") ? f : "=" + f;
      if (this.#attach.source(name) !== undefined) return name;
    }
    const candidates = [path.resolve(this.#cwd, f)];
    if (this.#program) candidates.push(path.resolve(path.dirname(this.#program.path), f));
    for (const c of candidates) {
      try {
        return Deno.realPathSync(c);
      } catch { /* next */ }
    }
    return candidates[0];
  }

  async #syncExceptions(): Promise<void> {
    const filters = this.#catch === "never" ? [] : [this.#catch];
    await this.#req("setExceptionBreakpoints", { filters });
  }

  /** Sends every file's breakpoints and the function breakpoints. */
  async #syncAll(quiet: boolean): Promise<void> {
    const files = new Set<string>();
    for (const b of this.#bps) if (b.kind === "line") files.add(b.file!);
    for (const f of this.#sentFiles) files.add(f);
    for (const f of files) await this.#syncFile(f, quiet);
    await this.#syncFunctions(quiet);
  }

  readonly #sentFiles = new Set<string>();

  async #syncFile(file: string, quiet: boolean): Promise<void> {
    const bps = this.#bps.filter((b) => b.kind === "line" && b.file === file && b.enabled);
    this.#sentFiles.add(file);
    const r = await this.#req<DP.SetBreakpointsResponse>("setBreakpoints", {
      source: file.startsWith("=") ? { name: file } : { path: file },
      breakpoints: bps.map((b) => ({
        line: b.line!,
        condition: b.cond,
        hitCondition: b.hit,
        logMessage: b.log,
      })),
    });
    r?.body.breakpoints.forEach((res, i) => {
      const b = bps[i];
      b.dapId = res.id;
      b.verified = res.verified;
      b.actualLine = res.line;
      b.message = res.message;
      if (!quiet && res.message) this.#io.write(`breakpoint ${b.num}: ${res.message}\n`);
    });
  }

  async #syncFunctions(quiet: boolean): Promise<void> {
    const bps = this.#bps.filter((b) => b.kind === "function" && b.enabled);
    const r = await this.#req<DP.SetFunctionBreakpointsResponse>("setFunctionBreakpoints", {
      breakpoints: bps.map((b) => ({ name: b.fn!, condition: b.cond, hitCondition: b.hit })),
    });
    r?.body.breakpoints.forEach((res, i) => {
      const b = bps[i];
      b.dapId = res.id;
      b.verified = res.verified;
      b.message = res.message;
      if (!quiet && res.message) this.#io.write(`breakpoint ${b.num}: ${res.message}\n`);
    });
  }

  #currentFile(): string | undefined {
    const f = this.#frames[this.#frame];
    return (f && this.#keyOfFrame(f)) ?? this.#program?.path ?? this.#attach?.defaultSource();
  }

  async #addBreakpoint(rest: string, temp: boolean, log?: string): Promise<void> {
    const m = /^(\S+)(?:\s+hit\s+((?:>=|<=|==|=|>|<|%)?\s*\d+))?(?:\s+if\s+(.+))?$/.exec(
      rest.trim(),
    );
    if (!m) {
      this.#io.write("usage: break LINE|FILE:LINE|FUNCTION [hit N] [if COND]\n");
      return;
    }
    const [, loc, hit, cond] = m;
    const bp: Bp = { num: this.#nextBp++, kind: "line", cond, hit, log, temp, enabled: true };
    const fl = /^(.+):(\d+)$/.exec(loc);
    if (/^\d+$/.test(loc)) {
      bp.file = this.#currentFile();
      if (bp.file === undefined) {
        this.#nextBp--;
        this.#io.write("no current source: break CHUNK:LINE (In[3]:2) or FILE:LINE\n");
        return;
      }
      bp.line = Number(loc);
    } else if (fl) {
      bp.file = this.#resolveFile(fl[1]);
      bp.line = Number(fl[2]);
    } else {
      bp.kind = "function";
      bp.fn = loc;
    }
    if (bp.kind === "line" && bp.file!.startsWith("=")) {
      // A chunk the engine has no file for: check the line against the text we know.
      const n = this.#lines(bp.file!)?.length ?? 0;
      if (bp.line! < 1 || bp.line! > n) {
        this.#nextBp--;
        this.#io.write(`${this.#show(bp.file!)} has lines 1 to ${n}\n`);
        return;
      }
    }
    this.#bps.push(bp);
    if (bp.kind === "line") await this.#syncFile(bp.file!, true);
    else await this.#syncFunctions(true);
    this.#io.write(`${this.#describe(bp)}\n`);
    if (bp.kind === "line" && bp.message && bp.verified === false) {
      this.#io.write(`  (${bp.message})\n`);
    }
  }

  #describe(b: Bp): string {
    const what = b.log !== undefined ? "Logpoint" : b.temp ? "Temporary breakpoint" : "Breakpoint";
    let s = `${what} ${b.num} at `;
    if (b.kind === "function") s += `function ${b.fn}`;
    else {
      s += `${this.#show(b.file!)}:${b.actualLine ?? b.line}`;
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

  // ── commands ─────────────────────────────────────────────────────────────────────────

  /** Runs one command line. Returns "quit" when the user asked to leave. */
  async command(input: string): Promise<"ok" | "quit"> {
    if (this.#attach) await this.#follow();
    let line = input.trim();
    if (line === "") {
      if (!this.#lastStep) return "ok";
      line = this.#lastStep;
    }
    const sp = line.search(/\s/);
    const cmd = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? "" : line.slice(sp + 1).trim();
    if (STEP_COMMANDS.has(cmd)) this.#lastStep = cmd;
    switch (cmd) {
      case "help":
      case "h":
        this.#io.write(HELP);
        return "ok";
      case "quit":
      case "q":
        if (this.#attach && this.#state !== "stopped" && this.#state !== "running") {
          return this.#say("no cell is running (.exit leaves the REPL)");
        }
        await this.#terminate();
        return "quit";
      case "break":
      case "b":
        if (!rest) {
          const f = this.#frames[this.#frame];
          const key = f && this.#keyOfFrame(f);
          if (!key) return this.#say("usage: break LINE|FILE:LINE|FUNCTION [if COND]");
          await this.#addBreakpoint(`${key}:${f.line}`, false);
        } else await this.#addBreakpoint(rest, false);
        return "ok";
      case "tbreak":
        await this.#addBreakpoint(rest, true);
        return "ok";
      case "log":
      case "logpoint": {
        const m = /^(\S+)\s+(.+)$/.exec(rest);
        if (!m) return this.#say("usage: log LOC MESSAGE");
        await this.#addBreakpoint(m[1], false, m[2]);
        return "ok";
      }
      case "delete":
      case "d": {
        const nums = this.#nums(rest);
        this.#bps = nums.length ? this.#bps.filter((b) => !nums.includes(b.num)) : [];
        await this.#syncAll(true);
        return this.#say(nums.length ? `deleted ${nums.join(", ")}` : "deleted all breakpoints");
      }
      case "enable":
      case "disable": {
        const nums = this.#nums(rest);
        for (const b of this.#bps) {
          if (!nums.length || nums.includes(b.num)) b.enabled = cmd === "enable";
        }
        await this.#syncAll(true);
        return this.#say(`${cmd}d ${nums.length ? nums.join(", ") : "all"}`);
      }
      case "info":
      case "i":
        if (/^b/.test(rest)) return this.#infoBreakpoints();
        if (/^w/.test(rest)) return await this.#showWatches(true);
        return this.#say("usage: info breakpoints|watch");
      case "catch": {
        const mode = rest === "off" ? "never" : CATCH_MODES.find((m) => m === rest);
        if (!mode) return this.#say(`usage: catch ${CATCH_MODES.join("|")}`);
        this.#catch = mode;
        await this.#syncExceptions();
        return this.#say(`stop on errors: ${mode}`);
      }
      case "step":
      case "s":
        return await this.#resume("stepIn");
      case "next":
      case "n":
        return await this.#resume("next");
      case "finish":
      case "f":
        return await this.#resume("stepOut");
      case "continue":
      case "c":
        return await this.#resume("continue");
      case "pause":
        await this.pause();
        return "ok";
      case "backtrace":
      case "bt":
      case "where":
        return this.#backtrace();
      case "frame":
        return this.#selectFrame(rest ? Number(rest) : this.#frame);
      case "up":
        return this.#selectFrame(this.#frame + (rest ? Number(rest) : 1));
      case "down":
        return this.#selectFrame(this.#frame - (rest ? Number(rest) : 1));
      case "locals":
        return await this.#scope(0);
      case "upvalues":
        return await this.#scope(1);
      case "globals":
        return await this.#scope(2);
      case "print":
      case "p":
        return await this.#print(rest);
      case "more":
        return await this.#showMore();
      case "watch":
        if (!rest) return await this.#showWatches(true);
        this.#watches.push(rest);
        this.#io.write(`watch ${this.#watches.length}: ${rest}\n`);
        if (this.#state === "stopped") await this.#showWatches();
        return "ok";
      case "unwatch": {
        const nums = this.#nums(rest);
        this.#watches = nums.length ? this.#watches.filter((_, i) => !nums.includes(i + 1)) : [];
        return this.#say("watches removed");
      }
      case "list":
      case "l":
        return this.#list(rest);
      case "restart":
      case "r":
      case "run":
        if (this.#attach) {
          return this.#say(
            "restart is for `llmspell debug`; in the REPL, .reset gives a fresh Lua state",
          );
        }
        await this.restart();
        return "ok";
    }
    return this.#say(`unknown command '${cmd}' (try help)`);
  }

  #say(text: string): "ok" {
    this.#io.write(text + "\n");
    return "ok";
  }

  #nums(rest: string): number[] {
    return rest.split(/[\s,]+/).filter((x) => x).map(Number).filter((n) => Number.isInteger(n));
  }

  #infoBreakpoints(): "ok" {
    if (this.#bps.length === 0) return this.#say("no breakpoints");
    for (const b of this.#bps) {
      this.#io.write(`${this.#describe(b)}${b.enabled ? "" : " (disabled)"}\n`);
    }
    return "ok";
  }

  async #resume(command: string): Promise<"ok"> {
    if (this.#state === "ended" || this.#state === "idle") {
      return this.#say(
        this.#attach
          ? "no cell is running (set a breakpoint, then run code that reaches it)"
          : "the program is not running (restart runs it again)",
      );
    }
    if (this.#state === "running") return this.#say("the program is running (pause stops it)");
    this.#state = "running";
    this.#frames = [];
    const r = await this.#engine!.debug.request(command, { threadId: 1 });
    if (!r.success) this.#io.write(`${r.message}\n`);
    return "ok";
  }

  async pause(): Promise<void> {
    if (this.#state !== "running") return;
    this.#pauseAsked = true;
    await this.#engine?.debug.request("pause", { threadId: 1 });
  }

  #needStopped(): boolean {
    if (this.#state === "stopped") return true;
    this.#io.write("the program is not stopped\n");
    return false;
  }

  #backtrace(): "ok" {
    if (!this.#needStopped()) return "ok";
    this.#frames.forEach((f, i) => {
      const key = this.#keyOfFrame(f);
      const loc = key ? ` at ${this.#show(key)}:${f.line}` : "";
      this.#io.write(`${i === this.#frame ? "->" : "  "} #${i}  ${f.name}${loc}\n`);
    });
    return "ok";
  }

  #selectFrame(n: number): "ok" {
    if (!this.#needStopped()) return "ok";
    if (!Number.isInteger(n) || n < 0 || n >= this.#frames.length) {
      return this.#say(`no frame ${n} (0..${this.#frames.length - 1})`);
    }
    this.#frame = n;
    const f = this.#frames[n];
    this.#io.write(`#${n}${this.#where(f)}\n`);
    const key = this.#keyOfFrame(f);
    if (key) this.#printSource(key, f.line, 1);
    return "ok";
  }

  async #scope(which: number): Promise<"ok"> {
    if (!this.#needStopped()) return "ok";
    const f = this.#frames[this.#frame];
    const sc = await this.#req<DP.ScopesResponse>("scopes", { frameId: f.id });
    const names = ["Locals", "Upvalues", "Globals"];
    const scope = sc?.body.scopes.find((s) => s.name === names[which]);
    if (!scope) return this.#say(`no ${names[which].toLowerCase()} in this frame`);
    const vars = await this.#req<DP.VariablesResponse>("variables", {
      variablesReference: scope.variablesReference,
      count: which === 2 ? 50 : undefined,
    });
    const list = vars?.body.variables ?? [];
    if (list.length === 0) return this.#say(`(no ${names[which].toLowerCase()})`);
    for (const v of list) this.#io.write(`${v.name} = ${v.value}\n`);
    return "ok";
  }

  async #evaluate(expr: string, context: string): Promise<DP.EvaluateResponse | string> {
    const f = this.#state === "stopped" ? this.#frames[this.#frame] : undefined;
    const r = await this.#engine?.debug.request<DP.EvaluateResponse>("evaluate", {
      expression: expr,
      frameId: f?.id,
      context,
    });
    if (!r) return "no program";
    if (!r.success) return r.message ?? "error";
    return r;
  }

  async #print(rest: string): Promise<"ok"> {
    if (!rest) return this.#say("usage: print EXPR [@N]");
    if (this.#state === "running") return this.#say("the program is running (pause stops it)");
    const m = /^(.*?)\s+@(\d+)$/.exec(rest);
    const expr = m ? m[1] : rest;
    const r = await this.#evaluate(expr, "repl");
    if (typeof r === "string") return this.#say(`error: ${r}`);
    const b = r.body;
    if (b.result !== "") this.#io.write(`${b.result}\n`);
    if (b.variablesReference && (m || (b.indexedVariables ?? 0) > 1000)) {
      const start = m ? Math.max(1, Number(m[2])) : 1;
      this.#more = { ref: b.variablesReference, next: start, total: b.indexedVariables ?? 0 };
      await this.#showMore();
    }
    return "ok";
  }

  async #showMore(): Promise<"ok"> {
    const more = this.#more;
    if (!more) return this.#say("nothing more to list");
    const count = 20;
    const r = await this.#req<DP.VariablesResponse>("variables", {
      variablesReference: more.ref,
      filter: "indexed",
      start: more.next - 1,
      count,
    });
    for (const v of r?.body.variables ?? []) this.#io.write(`  ${v.name} = ${v.value}\n`);
    more.next += count;
    if (more.next <= more.total) {
      this.#io.write(`  … ${more.total - more.next + 1} more (more, or p EXPR @N)\n`);
    } else this.#more = undefined;
    return "ok";
  }

  async #showWatches(always = false): Promise<"ok"> {
    if (this.#watches.length === 0) {
      if (always) this.#io.write("no watches\n");
      return "ok";
    }
    for (const [i, w] of this.#watches.entries()) {
      const r = this.#state === "stopped" ? await this.#evaluate(w, "watch") : "not stopped";
      const v = typeof r === "string" ? `<${r}>` : r.body.result;
      this.#io.write(`watch ${i + 1}: ${w} = ${v}\n`);
    }
    return "ok";
  }

  #lines(file: string): string[] | undefined {
    if (file.startsWith("=")) return this.#attach?.source(file)?.split("\n");
    let lines = this.#sources.get(file);
    if (!lines) {
      try {
        lines = Deno.readTextFileSync(file).split("\n");
      } catch {
        return undefined;
      }
      this.#sources.set(file, lines);
    }
    return lines;
  }

  #printSource(file: string, line: number, around: number, marker = line): void {
    const lines = this.#lines(file);
    if (!lines) return;
    const from = Math.max(1, line - around);
    const to = Math.min(lines.length, line + around);
    const w = String(to).length;
    for (let i = from; i <= to; i++) {
      this.#io.write(`${i === marker ? "->" : "  "} ${String(i).padStart(w)}  ${lines[i - 1]}\n`);
    }
    this.#listAt = { file, line: to + 1 };
  }

  #list(rest: string): "ok" {
    const f = this.#frames[this.#frame];
    const here = f && this.#keyOfFrame(f);
    let file = this.#currentFile();
    let center: number;
    const fl = /^(.+):(\d+)$/.exec(rest);
    if (/^\d+$/.test(rest)) center = Number(rest);
    else if (fl) {
      file = this.#resolveFile(fl[1]);
      center = Number(fl[2]);
    } else if (this.#listAt && !rest) {
      file = this.#listAt.file;
      center = this.#listAt.line + 5;
    } else center = f?.line ?? 1;
    if (file === undefined) return this.#say("no current source: list CHUNK:LINE or FILE:LINE");
    this.#printSource(file, center, 5, here === file ? f.line : -1);
    return "ok";
  }

  async #terminate(): Promise<void> {
    const engine = this.#engine;
    if (!engine) return;
    if (this.#attach) {
      // The cell ends with the error "interrupted"; the REPL shows it and goes on.
      if (this.#state !== "stopped" && this.#state !== "running") return;
      this.#state = "running";
      this.#frames = [];
      await engine.debug.request("terminate", {});
      return;
    }
    if (this.#state === "running" || this.#state === "stopped") {
      this.#terminating = true;
      await engine.debug.request("terminate", {});
      await this.#run;
    }
  }

  /** Ends the current run (if any) and runs the program again on a fresh engine. */
  async restart(): Promise<void> {
    await this.#terminate();
    this.close();
    this.#sentFiles.clear();
    this.#io.write("Restarting\n");
    await this.start();
  }

  /** Ends the debugger; in launch mode also its engine. */
  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const e = this.#engine;
    this.#engine = undefined;
    if (!this.#attach) e?.close();
  }
}
