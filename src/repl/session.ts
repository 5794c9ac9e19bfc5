/**
 * The REPL: reads inputs (the line editor on a terminal, plain lines in a pipe), decides
 * multi-line input with the kernel's is_complete, runs cells on a kernel connection
 * (in-process or remote: the same messages either way) and renders them like `exec`.
 *
 * The debugger's commands run behind `db:` (`db:break f`): the terminal debugger's console,
 * a client of the kernel's debug session through Jupyter's debug_request (debug_client.ts),
 * embedded or over `--connect`. Each cell is the chunk `=In[N]` (the kernel's default name),
 * so breakpoints can name cells (`db:break In[3]:2`). When a running cell stops, a `(debug)`
 * prompt takes the same commands without `db:` until the cell runs on.
 */
import type { KernelConnection } from "../client/in_process.ts";
import { type OutputContext, paint, writeErr, writeOut } from "../frontend/output.ts";
import { iopubEvent, ScriptRenderer } from "../frontend/cell.ts";
import { LineReader } from "../frontend/line_reader.ts";
import { ExitCode } from "../errors.ts";
import { DebugConsole } from "../debug/console/console.ts";
import { COMMAND_WORDS, completeCommandWord } from "../debug/console/commands.ts";
import { KernelDebugClient } from "./debug_client.ts";
import type { JsonObject, Message } from "../protocol/jupyter/mod.ts";
import { InputHistory } from "./input_history.ts";
import { type Completion, LineEditor } from "./line_editor.ts";
import { META_COMMANDS } from "./meta.ts";
import { runMeta } from "./meta_run.ts";
import { completeDebug, completePath } from "./completion.ts";
import { globalNames } from "./globals.ts";
import { stdinTerminal } from "./terminal.ts";

export interface ReplOptions {
  /** Colour, and the working directory that `.cd` changes. */
  ctx: OutputContext & { cwd: string };
  conn: KernelConnection;
  /** "embedded" or the kernel's address, for .info. */
  where: string;
  prompt: string;
  historySize: number;
  highlight: boolean;
  /** Deletes the stored history (embedded REPLs own it; a remote kernel keeps its own). */
  clearStoredHistory?: () => void;
  /**
   * The kernel is this REPL's own (in-process): its debug session has no other client, so a
   * stop outside the REPL's cells (its own queries) is continued at once.
   */
  embedded?: boolean;
}

const CONT_PROMPT = "... ";
const DEBUG_PROMPT = "(debug) ";
/** How often Ctrl+C's interrupt is sent again until the cell ends (see #runCell). */
const INTERRUPT_REPEAT_MS = 100;

const DEBUG_HELP_FOOTER =
  "In the REPL: db:COMMAND at the prompt (db:break f, db:break In[3]:2); when a cell\n" +
  "stops, the (debug) prompt takes them without db:, and q ends the cell. Errors stop\n" +
  "a cell only after db:catch uncaught|all. Once db: is used, Ctrl+C pauses a cell.\n";

const CALL_ARG = /^["'{[(]/;

/**
 * The debugger command of a `db:` line (`db:break f` → `break f`), or undefined when the
 * line is Lua (`db:step()`, `db:send "x"` call a method of a table `db`).
 */
export function dbCommand(input: string): string | undefined {
  const m = /^\s*db:([A-Za-z]*)(.*)$/.exec(input);
  if (!m || input.includes("\n")) return undefined;
  const [, word, rest] = m;
  if (rest !== "" && !/^\s/.test(rest)) return undefined;
  if (!COMMAND_WORDS.includes(word) && CALL_ARG.test(rest.trim())) return undefined;
  return (word + rest).trim();
}

export class Repl {
  readonly #o: ReplOptions;
  readonly #tty = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  readonly #history: InputHistory;
  readonly #editor: LineEditor | undefined;
  /** Input lines from a pipe (no line editor). */
  readonly #lines: LineReader | undefined;
  /** Inputs of this session that ran, for .save. */
  readonly #inputs: string[] = [];
  #timing = false;
  /** `.profile` alone: the next input runs profiled. */
  #profileNext = false;
  #baseline: Set<string> | undefined;
  #exitCode: number = ExitCode.ok;
  readonly #onResize = () => this.#editor?.redraw();
  /** The debugger, made at the first `db:` command. */
  #dbg: { console: DebugConsole; client: KernelDebugClient } | undefined;
  /** Cells by chunk name (`=In[3]` → its code), for the debugger's listings. */
  readonly #cells = new Map<string, string>();
  #lastCell: string | undefined;
  readonly #dbgHistory = new InputHistory([], 1000);

  constructor(options: ReplOptions) {
    this.#o = options;
    this.#history = new InputHistory([], options.historySize);
    if (this.#tty) {
      this.#editor = new LineEditor(stdinTerminal(), this.#history, {
        color: options.ctx.colorOut && options.highlight,
        completer: (text, cursor) => this.#complete(text, cursor),
      });
    } else {
      this.#lines = new LineReader({ stripCr: true });
    }
  }

  /** The debugger console, a client of the kernel's debug session (made once). */
  #debugger(): DebugConsole {
    if (this.#dbg) return this.#dbg.console;
    const client = new KernelDebugClient(this.#o.conn);
    const console = new DebugConsole({
      target: client,
      host: {
        sourceText: (name) => this.#cells.get(name),
        defaultSource: () => this.#lastCell,
        // The cell ends with the error "interrupted"; the REPL shows it and goes on.
        terminate: async () => {
          await client.request("terminate", {}).catch(() => {});
        },
        noRestart: "restart is for `llmspell debug`; in the REPL, .reset gives a fresh Lua state",
        idleQuit: "no cell is running (.exit leaves the REPL)",
        notRunning: "no cell is running (set a breakpoint, then run code that reaches it)",
        helpFooter: DEBUG_HELP_FOOTER,
        continueStrayStops: this.#o.embedded === true,
      },
      io: { write: (t) => writeOut(t) },
      cwd: this.#o.ctx.cwd,
    });
    this.#dbg = { console, client };
    return console;
  }

  /** Runs until .exit or end of input; returns the exit code. */
  async run(): Promise<number> {
    await this.#loadHistory();
    this.#baseline = new Set(await globalNames(this.#o.conn));
    if (this.#tty) {
      // Raw for the whole session: keys typed while a cell runs are kept for the next
      // prompt, and Ctrl+C reaches the editor (which interrupts the running cell).
      Deno.stdin.setRaw(true);
      Deno.addSignalListener("SIGWINCH", this.#onResize);
      writeOut("\x1b[?2004h"); // bracketed paste: a pasted block arrives as one input
      writeErr(`llmspell REPL (${this.#o.where}); .help for commands, Ctrl+D to leave\n`);
    }
    try {
      for (;;) {
        const input = await this.#readInput();
        if (input === null) break;
        if (input.trim() === "") continue;
        const db = dbCommand(input);
        if (db !== undefined) {
          await this.#db(input, db);
          continue;
        }
        if (input.trimStart().startsWith(".") && !/^\s*\.\.\./.test(input)) {
          const line = input.trim();
          const done = await this.#meta(line);
          // After it ran: `.history search x` does not list itself; `.clear-history` leaves
          // the history empty.
          if (!line.startsWith(".clear-history")) this.#history.add(line);
          if (done) break;
          continue;
        }
        if (this.#profileNext) {
          this.#profileNext = false;
          await this.#runProfiled(input);
        } else await this.#runCell(input);
      }
    } finally {
      if (this.#tty) {
        writeOut("\x1b[?2004l");
        Deno.removeSignalListener("SIGWINCH", this.#onResize);
        Deno.stdin.setRaw(false);
      }
      if (this.#dbg) {
        this.#dbg.console.close();
        await this.#dbg.client.disconnect();
      }
    }
    // A terminal session ends well however its last cell did; a pipe reports the last cell.
    return this.#tty ? ExitCode.ok : this.#exitCode;
  }

  // Input ---------------------------------------------------------------------------------

  /** One complete input (possibly several lines), or null at end of input. */
  async #readInput(): Promise<string | null> {
    let code = "";
    let prompt = this.#o.prompt;
    let indent = "";
    for (;;) {
      const line = await this.#readLine(prompt, indent);
      if (line === null) return code === "" ? null : code;
      if (line === undefined) {
        // Ctrl+C: the input is dropped.
        code = "";
        prompt = this.#o.prompt;
        indent = "";
        continue;
      }
      code = code === "" ? line : code + "\n" + line;
      if (code.trimStart().startsWith(".") && !code.includes("\n")) return code;
      if (dbCommand(code) !== undefined) return code;
      if (code.trim() === "") return code;
      const r = await this.#o.conn.request("shell", "is_complete_request", { code });
      if (r.content.status !== "incomplete") return code;
      prompt = CONT_PROMPT;
      indent = String(r.content.indent ?? "");
    }
  }

  /** A line; null at end of input, undefined when Ctrl+C cancelled it. */
  async #readLine(prompt: string, initial: string): Promise<string | null | undefined> {
    if (this.#editor) {
      const r = await this.#editor.readLine(this.#paintPrompt(prompt), initial);
      if (r.kind === "eof") return null;
      if (r.kind === "cancel") return undefined;
      return r.text;
    }
    return await this.#lines!.read();
  }

  #paintPrompt(prompt: string): string {
    return paint(this.#o.ctx.colorOut, prompt === CONT_PROMPT ? "dim" : "green", prompt);
  }

  async #loadHistory(): Promise<void> {
    try {
      const r = await this.#o.conn.request("shell", "history_request", {
        hist_access_type: "tail",
        n: this.#o.historySize,
        output: false,
        raw: true,
      });
      const rows = (r.content.history ?? []) as [number, number, string][];
      for (const [, , source] of rows) this.#history.add(source);
    } catch {
      // A kernel without history: start empty.
    }
  }

  // Running cells -------------------------------------------------------------------------

  /** Runs a cell profiled (`.profile`): its profile's files and table (profile.ts). */
  async #runProfiled(code: string, command?: string): Promise<number> {
    const { PROFILE_EXTRA, reportProfile } = await import("./profile.ts");
    const { cwd, colorErr } = this.#o.ctx;
    return await this.#runCell(
      code,
      PROFILE_EXTRA,
      command,
      (reply) => reportProfile(reply, cwd, colorErr),
    );
  }

  /**
   * Runs a cell. `command` is the meta-command that ran a file (`.load FILE`): the history,
   * the REPL's and the kernel's, records it instead of the file's contents. `after` gets the
   * execute_reply once the cell's output is shown.
   */
  async #runCell(
    code: string,
    extra: JsonObject = {},
    command?: string,
    after?: (reply: Message) => Promise<void>,
  ): Promise<number> {
    if (command === undefined) this.#history.add(code);
    else extra = { ...extra, history_source: command };
    const renderer = new ScriptRenderer({ ...this.#o.ctx, output: "text" }, true);
    const started = performance.now();
    // The debugger comes at the first db: command; until then cells run as without it.
    const dbg = this.#dbg?.console;
    // Ctrl+C interrupts the cell (a key in the raw terminal, a signal in a pipe); once the
    // debugger is in use it pauses the cell first, and a second Ctrl+C interrupts it.
    let pausing = false;
    // An interrupt that reaches the kernel before this cell runs there interrupts nothing
    // (Ctrl+C right after Enter): it is sent again until the cell has ended.
    let interrupting: ReturnType<typeof setInterval> | undefined;
    const interrupt = () => {
      this.#o.conn.request("control", "interrupt_request", {}).catch(() => {});
    };
    const onInt = () => {
      if (this.#editor) writeOut("^C");
      if (dbg && !pausing && dbg.state === "running") {
        pausing = true;
        writeOut("\n");
        void dbg.pause();
        return;
      }
      interrupt();
      interrupting ??= setInterval(interrupt, INTERRUPT_REPEAT_MS);
    };
    let stopWatch = this.#editor?.watch(onInt);
    if (!this.#editor) Deno.addSignalListener("SIGINT", onInt);
    // The kernel names the cell In[N] (its execution count): the debugger shows it by name.
    const cellName = extra.chunk_name === undefined;
    /** How many values the echo showed (0: none), for .save. */
    let shown = 0;
    let reply: Message;
    try {
      dbg?.running();
      const exec = this.#o.conn.execute({
        code,
        silent: false,
        store_history: true,
        allow_stdin: true,
        stop_on_error: false,
        llmspell: { echo: "chunk", ...extra },
      }, {
        onIopub: (m) => {
          if (cellName && m.header.msg_type === "execute_input") {
            this.#lastCell = `=In[${m.content.execution_count}]`;
            this.#cells.set(this.#lastCell, code);
          }
          const ev = iopubEvent(m);
          if (ev.type === "result") shown = ev.types?.length || ev.values.length;
          renderer.feed(ev);
        },
        onInput: (prompt) => this.#input(prompt),
      });
      if (dbg) {
        let ended = false;
        const end = exec.then(() => (ended = true), () => (ended = true));
        while (!ended) {
          await Promise.race([end, dbg.waitIdle()]);
          if (dbg.state !== "stopped") {
            await end;
            break;
          }
          // Stopped: a (debug) prompt, where Ctrl+C cancels the line, until the cell runs on.
          stopWatch?.();
          try {
            await this.#debugPrompt(dbg);
          } finally {
            pausing = false;
            stopWatch = this.#editor?.watch(onInt);
          }
        }
      }
      reply = await exec;
    } finally {
      if (interrupting !== undefined) clearInterval(interrupting);
      dbg?.ended();
      stopWatch?.();
      if (!this.#editor) Deno.removeSignalListener("SIGINT", onInt);
    }
    const code_ = renderer.finish(performance.now() - started);
    // The prompt is drawn from the start of its line, over what is there: output that did
    // not end its line (a streamed answer written with io.write) keeps it.
    if (this.#editor && renderer.midLine) writeOut("\n");
    await after?.(reply);
    if (reply.content.status === "ok" && extra.chunk_name === undefined) {
      this.#inputs.push(await this.#saved(code, shown));
    }
    if (this.#timing) {
      writeErr(
        paint(this.#o.ctx.colorErr, "dim", `(${formatMs(performance.now() - started)})`) + "\n",
      );
    }
    this.#exitCode = code_;
    return code_;
  }

  // Debugger ------------------------------------------------------------------------------

  /** A `db:` line at the prompt. */
  async #db(input: string, command: string): Promise<void> {
    this.#history.add(input.trim());
    await this.#debugger().command(command);
  }

  /** The (debug) prompt of a stopped cell: commands until it runs on (or is ended). */
  async #debugPrompt(dbg: DebugConsole): Promise<void> {
    while (dbg.state === "stopped") {
      let line: string | null | undefined;
      if (this.#editor) {
        const r = await this.#editor.readLine(
          paint(this.#o.ctx.colorOut, "yellow", DEBUG_PROMPT.trimEnd()) + " ",
          "",
          {
            history: this.#dbgHistory,
            completer: (text, cursor) => Promise.resolve(completeDebug(text, cursor)),
            highlight: false,
          },
        );
        line = r.kind === "line" ? r.text : r.kind === "eof" ? null : undefined;
      } else {
        line = await this.#lines!.read();
      }
      if (line === undefined) continue; // Ctrl+C: a fresh (debug) prompt
      if (line === null) {
        // End of input: the cell ends (interrupted), then the REPL.
        await dbg.command("quit");
        return;
      }
      this.#dbgHistory.add(line);
      await dbg.command(dbCommand(line) ?? line);
    }
  }

  /**
   * An input as lines of a Lua file, for .save, so that running the file shows what the REPL
   * showed. An input whose echo showed one value is saved as `display(...)`, which formats
   * it as the echo does (tables with their contents); several values as `print(...)`, which
   * shows them as the echo does (tab-separated) unless one is a table or a function. A block
   * that ends in `return` runs as a function, since a `return` would end the file there. An
   * expression that showed nothing (its values were all nil) is evaluated in a block of its
   * own. Lua's parser decides, through the kernel's is_complete.
   */
  async #saved(code: string, shown: number): Promise<string> {
    if (shown > 0) {
      const show = (e: string) => shown === 1 ? `display((${e}))` : `print(${e})`;
      const expr = code.replace(/;?\s*$/, "");
      if (await this.#compiles(`return ${expr}`)) return show(beforeClose(expr));
      return show(`(function(...)\n${code}\nend)(...)`);
    }
    // A statement list that another statement may follow (it does not end in `return`).
    if (await this.#compiles(`${code}\ndo end`)) return code;
    if (await this.#compiles(`do ${code}\nend`)) return `(function(...)\n${code}\nend)(...)`;
    return `do local _ = ${beforeClose(code)} end`;
  }

  /** Whether `code` compiles as a Lua chunk (or `return code` does: is_complete tries both). */
  async #compiles(code: string): Promise<boolean> {
    const r = await this.#o.conn.request("shell", "is_complete_request", { code });
    return r.content.status === "complete";
  }

  /** A line for io.read / input() while a cell runs. */
  async #input(prompt: string): Promise<string | null> {
    if (this.#editor) {
      const r = await this.#editor.readLine(prompt);
      return r.kind === "line" ? r.text : null;
    }
    if (prompt) writeOut(prompt);
    return await this.#lines!.read();
  }

  // Completion ------------------------------------------------------------------------------

  async #complete(text: string, cursor: number): Promise<Completion> {
    const before = Array.from(text).slice(0, cursor).join("");
    const meta = /^\s*(\.[\w-]*)$/.exec(before);
    if (meta) {
      const word = meta[1];
      return {
        matches: META_COMMANDS.map((m) => m.name).filter((n) => n.startsWith(word)),
        start: cursor - Array.from(word).length,
        end: cursor,
      };
    }
    const db = /^\s*(db:[A-Za-z]*)$/.exec(before);
    if (db) {
      const word = db[1];
      return {
        matches: completeCommandWord(word.slice(3)).map((c) => "db:" + c),
        start: cursor - word.length,
        end: cursor,
      };
    }
    const file = /^\s*\.(load|save|run)\s+(\S*)$/.exec(before);
    if (file) return await completePath(file[2], cursor);
    const r = await this.#o.conn.request("shell", "complete_request", {
      code: text,
      cursor_pos: cursor,
    });
    return {
      matches: (r.content.matches ?? []) as string[],
      start: Number(r.content.cursor_start ?? cursor),
      end: Number(r.content.cursor_end ?? cursor),
    };
  }

  // Meta-commands ---------------------------------------------------------------------------

  /** Runs a meta-command; true when the REPL should end. */
  async #meta(input: string): Promise<boolean> {
    return await runMeta({
      options: this.#o,
      history: this.#history,
      inputs: this.#inputs,
      baseline: () => this.#baseline,
      timing: () => this.#timing,
      setTiming: (on) => this.#timing = on,
      profileNextInput: () => this.#profileNext = true,
      runCell: (code, extra, line) => this.#runCell(code, extra, line),
      runProfiled: (code, command) => this.#runProfiled(code, command),
      forgetCells: async () => {
        const gone = await this.#dbg?.console.forgetSources((key) => this.#cells.has(key)) ?? 0;
        this.#cells.clear();
        this.#lastCell = undefined;
        return gone;
      },
    }, input);
  }
}

/** An expression to close with `)`: on a line of its own after a comment (`x -- note`). */
function beforeClose(code: string): string {
  return code.slice(code.lastIndexOf("\n") + 1).includes("--") ? code + "\n" : code;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
