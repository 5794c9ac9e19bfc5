/**
 * The debug session of one engine, on the main thread: every debugger client of that engine
 * (a `llmspell dap` client, Jupyter's debug_request) is a client of it. It is the session half
 * of vscode-mock-debug's session/runtime split; the runtime is the engine worker's debugger
 * (src/debug/worker/), reached through the engine's DebugPort.
 *
 * - Breakpoints live here: each client's `setBreakpoints` replaces that client's set for
 *   that source; the session pushes the union to the worker and tells the other clients
 *   (breakpoint events). A client that comes later is told of all of them. Breakpoint ids
 *   are the session's, stable across pushes and across engines.
 * - Every client gets the runtime's events (stopped, output, …) and `continued` when another
 *   client resumes the program.
 * - Requests are checked here (known command, required arguments), so the worker only sees
 *   well-formed ones; completions, setExpression, loadedSources and source are served here
 *   over the worker's requests.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import * as path from "../../path.ts";

/** The debugger runtime a session drives (the engine's DebugPort). */
export interface DebugRuntime {
  request<R extends DP.Response = DP.Response>(command: string, args?: unknown): Promise<R>;
  onEvent(fn: (e: DP.Event) => void): () => void;
}

/** Where a client's events go. */
export interface ClientSink {
  event(event: string, body?: unknown): void;
}

/** A request the session refuses or the runtime failed: the DAP error response's message. */
export class DapError extends Error {}

/** The commands the worker serves, with the arguments each needs. */
const FORWARDED: Record<string, string[]> = {
  setBreakpoints: ["source"],
  setFunctionBreakpoints: ["breakpoints"],
  setExceptionBreakpoints: ["filters"],
  breakpointLocations: ["source", "line"],
  configurationDone: [],
  threads: [],
  stackTrace: ["threadId"],
  scopes: ["frameId"],
  variables: ["variablesReference"],
  setVariable: ["variablesReference", "name", "value"],
  evaluate: ["expression"],
  continue: ["threadId"],
  next: ["threadId"],
  stepIn: ["threadId"],
  stepOut: ["threadId"],
  pause: ["threadId"],
  exceptionInfo: ["threadId"],
  /** Ends what runs (a program, a cell) as interrupted. */
  terminate: [],
  /** Jupyter's: the user's globals (not the standard library's). */
  inspectVariables: [],
  /** Jupyter's: a variable's value as the mime bundle display() shows. */
  richInspectVariables: ["variableName"],
};

/** The commands the session serves itself. */
const OWN: Record<string, string[]> = {
  setExpression: ["expression", "value"],
  completions: ["text", "column"],
  loadedSources: [],
  source: [],
};

const RESUMING = new Set(["continue", "next", "stepIn", "stepOut", "terminate"]);

/** The exception filters `initialize` announces. */
export const EXCEPTION_FILTERS: DP.ExceptionBreakpointsFilter[] = [
  { filter: "uncaught", label: "Uncaught Errors", default: true },
  { filter: "all", label: "All Errors (also inside pcall)", default: false },
];

/** What the session (over this worker) supports, for `initialize`. */
export const SESSION_CAPABILITIES: DP.Capabilities = {
  supportsConfigurationDoneRequest: true,
  supportsFunctionBreakpoints: true,
  supportsConditionalBreakpoints: true,
  supportsHitConditionalBreakpoints: true,
  supportsLogPoints: true,
  supportsEvaluateForHovers: true,
  supportsSetVariable: true,
  supportsSetExpression: true,
  supportsCompletionsRequest: true,
  completionTriggerCharacters: [".", ":"],
  supportsExceptionInfoRequest: true,
  supportsLoadedSourcesRequest: true,
  supportsBreakpointLocationsRequest: true,
  supportsClipboardContext: true,
  supportsDelayedStackTraceLoading: true,
  supportsValueFormattingOptions: false,
  exceptionBreakpointFilters: EXCEPTION_FILTERS,
};

const LUA_KEYWORDS = [
  "and",
  "break",
  "do",
  "else",
  "elseif",
  "end",
  "false",
  "for",
  "function",
  "goto",
  "if",
  "in",
  "local",
  "nil",
  "not",
  "or",
  "repeat",
  "return",
  "then",
  "true",
  "until",
  "while",
];

interface SourceBps {
  source: DP.Source;
  byClient: Map<string, DP.SourceBreakpoint[]>;
  /** The merged breakpoints as the worker (or, without one, the session) answered them. */
  results: DP.Breakpoint[];
  /** Requested line → the session's breakpoint id. */
  idOfLine: Map<number, number>;
}

function sourceKey(s: DP.Source): string {
  return s.path ? path.resolve(s.path) : s.name ?? "";
}

export class DebugSession {
  #runtime: DebugRuntime | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #clients = new Map<string, ClientSink>();
  readonly #sources = new Map<string, SourceBps>();
  readonly #fnBps = new Map<string, DP.FunctionBreakpoint[]>();
  #fnResults: DP.Breakpoint[] = [];
  readonly #fnIds = new Map<string, number>();
  readonly #exFilters = new Map<string, string[]>();
  /** Worker breakpoint id → session id (rebuilt at each push). */
  readonly #fromWorker = new Map<number, number>();
  #nextId = 1;
  #stopped = false;
  readonly #loaded = new Map<string, DP.Source>();
  /** The text of a source that is not a file (a cell), by name. */
  readonly #sourceText: (name: string) => string | undefined;
  readonly #logpointEvents: boolean;

  constructor(opts: {
    sourceText?: (name: string) => string | undefined;
    /**
     * Logpoints as output events with their source and line (the default), or, false, in
     * the program's stdout, in order with what it prints (a terminal's one client).
     */
    logpointEvents?: boolean;
  } = {}) {
    this.#sourceText = opts.sourceText ?? (() => undefined);
    this.#logpointEvents = opts.logpointEvents ?? true;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Drives `runtime` from now on (a new engine): every breakpoint is pushed to it. */
  async setRuntime(runtime: DebugRuntime | undefined): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#runtime = runtime;
    this.#stopped = false;
    if (!runtime) return;
    this.#unsubscribe = runtime.onEvent((e) => this.#onRuntimeEvent(e));
    await runtime.request("logpointOutput", { events: this.#logpointEvents });
    await this.#pushExceptions();
    await this.#pushFunctions();
    for (const [key, s] of this.#sources) await this.#pushSource(key, s);
    // Each client was told "not verified yet" or an older state: tell them all.
    for (const s of this.#sources.values()) {
      for (const bp of s.results) {
        this.#broadcast("breakpoint", { reason: "changed", breakpoint: bp });
      }
    }
    for (const bp of this.#fnResults) {
      this.#broadcast("breakpoint", { reason: "changed", breakpoint: bp });
    }
  }

  /**
   * A client attaches (`id` names its sink; as an owner of breakpoints it is `id` too): it
   * is told of the breakpoints that exist.
   */
  addClient(id: string, sink: ClientSink): void {
    this.#clients.set(id, sink);
    this.announceTo(id);
  }

  /** Tells client `id` of every breakpoint (a client that comes later sees all). */
  announceTo(id: string): void {
    const sink = this.#clients.get(id);
    if (!sink) return;
    for (const s of this.#sources.values()) {
      for (const bp of s.results) sink.event("breakpoint", { reason: "new", breakpoint: bp });
    }
    for (const bp of this.#fnResults) sink.event("breakpoint", { reason: "new", breakpoint: bp });
  }

  /** A client leaves: its sink and its breakpoints go. */
  async removeClient(id: string): Promise<void> {
    this.#clients.delete(id);
    await this.removeOwner(id, this.#clients.size === 0);
  }

  /**
   * The breakpoints of `owner` go; with `resume`, a stopped program continues (when the last
   * client left, nobody could resume it otherwise).
   */
  async removeOwner(owner: string, resume: boolean): Promise<void> {
    for (const [key, s] of this.#sources) {
      if (s.byClient.delete(owner)) await this.#pushSource(key, s, owner);
    }
    if (this.#fnBps.delete(owner)) await this.#pushFunctions(owner);
    if (this.#exFilters.delete(owner)) await this.#pushExceptions();
    if (resume && this.#stopped && this.#runtime) {
      await this.#runtime.request("continue", { threadId: 1 });
      this.#stopped = false;
      this.#broadcast("continued", { threadId: 1, allThreadsContinued: true });
    }
  }

  /** Every source's breakpoints (the union of the clients'), as JupyterLab's debugInfo lists them. */
  breakpointsBySource(): { source: string; breakpoints: DP.SourceBreakpoint[] }[] {
    return [...this.#sources.entries()].map(([key, s]) => ({
      source: key,
      breakpoints: this.#merged(s),
    }));
  }

  /** Sends an event to every client (`except` one). */
  #broadcast(event: string, body?: unknown, except?: string): void {
    for (const [id, sink] of this.#clients) if (id !== except) sink.event(event, body);
  }

  /**
   * Serves one request of client `id` (the owner of the breakpoints it sets; the client whose
   * sink has that id is not told of its own changes); throws DapError for an error response.
   */
  async request(id: string, command: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const required = FORWARDED[command] ?? OWN[command];
    if (!required) throw new DapError(`unknown request '${command}'`);
    const missing = required.filter((k) => args[k] === undefined || args[k] === null);
    if (missing.length) {
      throw new DapError(
        `${command}: missing argument${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
      );
    }
    switch (command) {
      case "setBreakpoints":
        return await this.#setBreakpoints(id, args as unknown as DP.SetBreakpointsArguments);
      case "setFunctionBreakpoints": {
        const a = args as unknown as DP.SetFunctionBreakpointsArguments;
        this.#fnBps.set(id, a.breakpoints);
        await this.#pushFunctions(id);
        const names = a.breakpoints.map((b) => b.name.trim());
        return {
          breakpoints: names.map((n) => this.#fnResults.find((r) => this.#fnIds.get(n) === r.id)),
        };
      }
      case "setExceptionBreakpoints":
        this.#exFilters.set(id, (args.filters as string[]) ?? []);
        await this.#pushExceptions();
        return {};
      case "setExpression":
        return await this.#setExpression(args as unknown as DP.SetExpressionArguments);
      case "completions":
        return await this.#completions(args as unknown as DP.CompletionsArguments);
      case "loadedSources":
        return { sources: [...this.#loaded.values()] };
      case "source":
        return this.#source(args as unknown as DP.SourceArguments);
    }
    const body = await this.#forward(command, args);
    if (command === "stackTrace") this.#noteSources(body as DP.StackTraceResponse["body"]);
    if (RESUMING.has(command)) {
      this.#stopped = false;
      this.#broadcast("continued", { threadId: 1, allThreadsContinued: true }, id);
    }
    return body;
  }

  async #forward(command: string, args: unknown): Promise<unknown> {
    const rt = this.#runtime;
    if (!rt) {
      if (command === "threads") return { threads: [{ id: 1, name: "main" }] };
      if (command === "configurationDone") return {};
      throw new DapError(`${command}: no program is running`);
    }
    const r = await rt.request(command, args);
    if (!r.success) throw new DapError(r.message ?? `${command} failed`);
    return r.body ?? {};
  }

  // ── breakpoints ───────────────────────────────────────────────────────────────────────

  async #setBreakpoints(
    id: string,
    args: DP.SetBreakpointsArguments,
  ): Promise<DP.SetBreakpointsResponse["body"]> {
    const key = sourceKey(args.source);
    if (!key) throw new DapError("setBreakpoints: the source has neither a path nor a name");
    let s = this.#sources.get(key);
    if (!s) {
      s = { source: args.source, byClient: new Map(), results: [], idOfLine: new Map() };
      this.#sources.set(key, s);
    }
    const mine = args.breakpoints ??
      (args.lines ?? []).map((line) => ({ line }) as DP.SourceBreakpoint);
    s.byClient.set(id, mine);
    await this.#pushSource(key, s, id);
    return { breakpoints: mine.map((b) => this.#resultOf(s!, b.line)) };
  }

  #resultOf(s: SourceBps, line: number): DP.Breakpoint {
    const sid = s.idOfLine.get(line);
    return s.results.find((r) => r.id === sid) ??
      { verified: false, line, message: "not set", source: s.source };
  }

  /** The union of the clients' breakpoints in a source (one per requested line). */
  #merged(s: SourceBps): DP.SourceBreakpoint[] {
    const byLine = new Map<number, DP.SourceBreakpoint>();
    for (const list of s.byClient.values()) {
      for (const b of list) if (!byLine.has(b.line)) byLine.set(b.line, b);
    }
    return [...byLine.values()];
  }

  /** Sends a source's merged breakpoints to the worker; tells the clients (except `by`). */
  async #pushSource(key: string, s: SourceBps, by?: string): Promise<void> {
    const merged = this.#merged(s);
    for (const b of merged) {
      if (!s.idOfLine.has(b.line)) s.idOfLine.set(b.line, this.#nextId++);
    }
    let answered: DP.Breakpoint[];
    if (this.#runtime) {
      const r = await this.#runtime.request<DP.SetBreakpointsResponse>("setBreakpoints", {
        source: s.source,
        breakpoints: merged,
      });
      if (!r.success) throw new DapError(r.message ?? "setBreakpoints failed");
      answered = r.body.breakpoints;
    } else {
      answered = merged.map((b) => ({
        verified: false,
        line: b.line,
        message: "verified when the program starts",
      }));
    }
    const before = new Map(s.results.map((r) => [r.id!, r]));
    for (const [w, sid] of this.#fromWorker) {
      if (before.has(sid)) this.#fromWorker.delete(w);
    }
    s.results = merged.map((b, i) => {
      const sid = s.idOfLine.get(b.line)!;
      const a = answered[i] ?? { verified: false };
      if (a.id !== undefined) this.#fromWorker.set(a.id, sid);
      return { ...a, id: sid, source: s.source };
    });
    for (const line of [...s.idOfLine.keys()]) {
      if (!merged.some((b) => b.line === line)) s.idOfLine.delete(line);
    }
    if (s.byClient.size === 0) this.#sources.delete(key);
    const now = new Set(s.results.map((r) => r.id));
    for (const r of s.results) {
      const old = before.get(r.id!);
      if (!old) this.#broadcast("breakpoint", { reason: "new", breakpoint: r }, by);
      else if (JSON.stringify(old) !== JSON.stringify(r)) {
        this.#broadcast("breakpoint", { reason: "changed", breakpoint: r }, by);
      }
    }
    for (const [sid, old] of before) {
      if (!now.has(sid)) this.#broadcast("breakpoint", { reason: "removed", breakpoint: old }, by);
    }
  }

  async #pushFunctions(by?: string): Promise<void> {
    const byName = new Map<string, DP.FunctionBreakpoint>();
    for (const list of this.#fnBps.values()) {
      for (const b of list) if (!byName.has(b.name.trim())) byName.set(b.name.trim(), b);
    }
    const merged = [...byName.values()];
    for (const b of merged) {
      if (!this.#fnIds.has(b.name.trim())) this.#fnIds.set(b.name.trim(), this.#nextId++);
    }
    let answered: DP.Breakpoint[] = merged.map(() => ({
      verified: false,
      message: "verified when the program starts",
    }));
    if (this.#runtime) {
      const r = await this.#runtime.request<DP.SetFunctionBreakpointsResponse>(
        "setFunctionBreakpoints",
        { breakpoints: merged },
      );
      if (!r.success) throw new DapError(r.message ?? "setFunctionBreakpoints failed");
      answered = r.body.breakpoints;
    }
    const before = new Map(this.#fnResults.map((r) => [r.id!, r]));
    this.#fnResults = merged.map((b, i) => {
      const sid = this.#fnIds.get(b.name.trim())!;
      const a = answered[i] ?? { verified: false };
      if (a.id !== undefined) this.#fromWorker.set(a.id, sid);
      return { ...a, id: sid };
    });
    const now = new Set(this.#fnResults.map((r) => r.id));
    for (const r of this.#fnResults) {
      if (!before.has(r.id!)) this.#broadcast("breakpoint", { reason: "new", breakpoint: r }, by);
    }
    for (const [sid, old] of before) {
      if (!now.has(sid)) this.#broadcast("breakpoint", { reason: "removed", breakpoint: old }, by);
    }
  }

  async #pushExceptions(): Promise<void> {
    const filters = new Set<string>();
    for (const f of this.#exFilters.values()) for (const x of f) filters.add(x);
    if (!this.#runtime) return;
    const r = await this.#runtime.request("setExceptionBreakpoints", { filters: [...filters] });
    if (!r.success) throw new DapError(r.message ?? "setExceptionBreakpoints failed");
  }

  /** The filters some client asked for (a launcher's default before any client did). */
  get exceptionFiltersSet(): boolean {
    return this.#exFilters.size > 0;
  }

  // ── events ────────────────────────────────────────────────────────────────────────────

  #onRuntimeEvent(e: DP.Event): void {
    if (e.event === "loadedSource") {
      // The worker's, for each chunk loaded: recorded (loadedSources), told once.
      const source = (e as DP.LoadedSourceEvent).body.source;
      if (source) this.noteSource(source);
      return;
    }
    if (e.event === "stopped") {
      this.#stopped = true;
      const body = { ...(e as DP.StoppedEvent).body };
      if (body.hitBreakpointIds) {
        body.hitBreakpointIds = body.hitBreakpointIds.map((w) => this.#fromWorker.get(w) ?? w);
      }
      this.#broadcast("stopped", body);
      return;
    }
    this.#broadcast(e.event, e.body);
  }

  /** Adds the program's own events (output of the script, exited, …) to the stream. */
  emit(event: string, body?: unknown): void {
    if (event === "terminated" || event === "exited") this.#stopped = false;
    this.#broadcast(event, body);
  }

  /** A source seen (the program's, a frame's): a loadedSource event the first time. */
  noteSource(source: DP.Source): void {
    const key = sourceKey(source);
    if (!key || this.#loaded.has(key)) return;
    this.#loaded.set(key, source);
    this.#broadcast("loadedSource", { reason: "new", source });
  }

  #noteSources(body: DP.StackTraceResponse["body"]): void {
    for (const f of body.stackFrames ?? []) if (f.source) this.noteSource(f.source);
  }

  // ── requests served here ─────────────────────────────────────────────────────────────

  #source(args: DP.SourceArguments): DP.SourceResponse["body"] {
    const p = args.source?.path;
    if (p) {
      try {
        return { content: Deno.readTextFileSync(p), mimeType: "text/x-lua" };
      } catch (e) {
        throw new DapError(`source: cannot read ${p}: ${(e as Error).message}`);
      }
    }
    const name = args.source?.name;
    const text = name !== undefined ? this.#sourceText(name) : undefined;
    if (text === undefined) {
      throw new DapError(`source: no source ${name ?? `reference ${args.sourceReference}`}`);
    }
    return { content: text, mimeType: "text/x-lua" };
  }

  async #setExpression(args: DP.SetExpressionArguments): Promise<DP.SetExpressionResponse["body"]> {
    const expr = args.expression.trim();
    if (!/^[A-Za-z_][\w]*(\s*(\.[A-Za-z_]\w*|\[[^\]]+\]))*$/.test(expr)) {
      throw new DapError(`setExpression: cannot assign to ${expr}`);
    }
    await this.#forward("evaluate", {
      expression: `${expr} = ${args.value}`,
      frameId: args.frameId,
      context: "repl",
    });
    const r = await this.#forward("evaluate", {
      expression: expr,
      frameId: args.frameId,
      context: "watch",
    }) as DP.EvaluateResponse["body"];
    return {
      value: r.result,
      type: r.type,
      variablesReference: r.variablesReference,
      indexedVariables: r.indexedVariables,
      namedVariables: r.namedVariables,
    };
  }

  /** Names for the debug console: keywords, the frame's variables, or a table's fields. */
  async #completions(args: DP.CompletionsArguments): Promise<DP.CompletionsResponse["body"]> {
    const before = args.text.slice(0, Math.max(0, args.column - 1));
    const m = /((?:[A-Za-z_]\w*\s*[.:]\s*)*)([A-Za-z_]\w*)?$/.exec(before)!;
    const owner = m[1].replace(/\s*[.:]\s*$/, "");
    const prefix = m[2] ?? "";
    const names = new Set<string>();
    if (owner) {
      const r = await this.#forward("evaluate", {
        expression: owner,
        frameId: args.frameId,
        context: "watch",
      }) as DP.EvaluateResponse["body"];
      if (r.variablesReference) {
        const v = await this.#forward("variables", {
          variablesReference: r.variablesReference,
          filter: "named",
        }) as DP.VariablesResponse["body"];
        for (const x of v.variables) if (/^[A-Za-z_]\w*$/.test(x.name)) names.add(x.name);
      }
    } else {
      for (const k of LUA_KEYWORDS) names.add(k);
      if (args.frameId !== undefined && this.#stopped) {
        const sc = await this.#forward("scopes", { frameId: args.frameId }) as DP.ScopesResponse[
          "body"
        ];
        for (const s of sc.scopes) {
          const v = await this.#forward("variables", {
            variablesReference: s.variablesReference,
          }) as DP.VariablesResponse["body"];
          for (const x of v.variables) names.add(x.name);
        }
      }
    }
    const targets = [...names].filter((n) => n.startsWith(prefix)).sort().map((label) => ({
      label,
      type: LUA_KEYWORDS.includes(label) && !owner ? "keyword" : "variable",
      start: args.column - prefix.length,
      length: prefix.length,
    } as DP.CompletionItem));
    return { targets };
  }
}
