/**
 * The Kernel: Jupyter messaging 5.3 dispatch by msg_type over one engine. It does not
 * know where messages come from: a transport (ZMTP server, in-process) hands it decoded
 * messages with the client's routing identities and carries its replies and IOPub
 * broadcasts (docs/architecture.md, The kernel).
 *
 * Execution: execute_requests go to a fair queue (round-robin across clients) and run one
 * at a time; everything else is answered at once (completion, inspection and is-complete
 * are asked of the engine, which answers after the running cell). Control requests
 * (interrupt, shutdown) never wait for a cell.
 */
import { Engine, type EngineEvent, type Execution } from "../engine/handle.ts";
import type {
  EngineOptions,
  ExecuteRequest,
  LuaErrorInfo,
  QueryAnswer,
} from "../engine/protocol.ts";
import {
  type EchoMode,
  type ErrorContent,
  type ExecuteRequestContent,
  newMessage,
  replyType,
} from "../protocol/jupyter/messages.ts";
import {
  type Header,
  type JsonObject,
  type Message,
  PROTOCOL_VERSION,
} from "../protocol/jupyter/wire.ts";
import { concat } from "../bytes.ts";
import { encodeText, escapeDeep, StreamDecoder } from "../byte_string.ts";
import { VERSION } from "../version.ts";
import { codePoints, codeUnitIndex, nameAt, nameBefore, nextIndent } from "./code.ts";
import { DEBUGGER, debugUnavailableReply } from "./debugger_info.ts";
import { DEBUG_DISABLED, KernelDebugger } from "./kernel_debugger.ts";
import type { History, HistoryRow } from "./history.ts";
import { FairQueue } from "./queue.ts";

export type Channel = "shell" | "control" | "stdin";

/** What carries the kernel's messages out. */
export interface KernelTransport {
  /** Sends a reply (or input_request) to the client with these identities. */
  send(channel: Channel, identities: Uint8Array[], message: Message): void;
  /** Broadcasts on IOPub. */
  publish(message: Message): void;
  /** True if a client with these identities is connected on stdin. */
  stdinAvailable(identities: Uint8Array[]): boolean;
  /** Holds IOPub's writes (true) until released (false); see Kernel #drain. Optional. */
  holdIopub?(on: boolean): void;
}

/** Diagnostics of the kernel (dropped messages, client errors). */
export interface KernelLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

/**
 * While cells wait in the queue, IOPub's writes are held for up to this many cells and sent
 * together: with many subscribers, one write per message and subscriber is most of a busy
 * kernel's time (bench/history/2026-11-22.md, Kernel, 50 clients). A client's output then
 * arrives up to this many (queued) cells later; with no backlog nothing is held.
 */
const IOPUB_HOLD_CELLS = 4;

/** How long a deferred engine start waits for a first request (KernelOptions). */
const ENGINE_START_DELAY_MS = 50;

export interface KernelOptions {
  engineOptions: EngineOptions;
  /** Kernel id (connection file name, history sessions). */
  kernelId: string;
  /** The session id in the headers of the kernel's messages. */
  session?: string;
  /**
   * Opens where executions are recorded (history_request reads it), at the first execution or
   * history request: `kernel start` opens its store (node:sqlite, ~20 ms) only then, so that
   * it does not delay the first replies.
   */
  openHistory?: () => Promise<History | undefined>;
  /**
   * Start the engine once the first request has been answered, or ENGINE_START_DELAY_MS
   * after the kernel is created if none comes (`kernel start`, whose kernel creates its own
   * engine). Creating the worker blocks the main thread ~10 ms and its wasm compile
   * keeps both cores busy for ~15 ms more: every front end waits for the first kernel_info
   * reply, and gets it sooner (docs/decisions/0018-kernel-defers-its-engine.md).
   */
  deferEngineStart?: boolean;
  /**
   * In-process clients: text stays as the engine gives it, with bytes that are not UTF-8
   * kept (src/byte_string.ts), and stream messages carry their raw bytes as buffers[0].
   * Otherwise (the wire: JSON) such bytes are shown as `\xNN`, and a stream, execute_result or
   * error message that needed it carries the exact bytes (of its text, text/plain or evalue) as
   * buffers[0].
   */
  byteExact?: boolean;
  /** Coalesce stream output into fewer messages (service mode). */
  coalesceStreams?: boolean;
  logger?: KernelLogger;
  /** The engine to use first (a prestarted one); later engines are made with `new`. */
  engine?: Engine;
  /** Ports etc. for connect_request. */
  connectInfo?: JsonObject;
  /** Number of connected clients, for usage_request. */
  clients?: () => number;
  /** Called after a shutdown_request was answered (restart: false). */
  onShutdown?: () => void;
  /**
   * The engine options as they are now (service mode: the configuration read again), asked
   * at each restart so that a restarted engine runs with the current configuration. Without
   * it (or when it fails) a restart keeps the options it has.
   */
  currentEngineOptions?: () => Promise<EngineOptions>;
  /**
   * How long a running cell may take to end after an interrupt or a restart before its
   * engine counts as wedged (kernel.interrupt_grace_ms; default 2000).
   */
  interruptGraceMs?: number;
  /** When the kernel started (its uptime): a new process image of it goes on counting. */
  startedAt?: Date;
  /**
   * The engine did not honour an interrupt or a restart in time (a worker spinning in C code
   * cannot be stopped in Deno): replaces the kernel's process (service.ts). The running cell
   * has had its error reply and IOPub has said "restarting". Without it, or if it fails, the
   * kernel starts a fresh engine in this process; the old worker spins until the process ends.
   */
  onWedged?: (message: string) => Promise<void>;
}

/** What a running cell was asked to stop for, and what it then failed to do. */
type Stop = "interrupt" | "restart" | "timeout";
const STOPS: Record<Stop, string> = {
  interrupt: "respond to the interrupt",
  restart: "respond to the restart",
  timeout: "stop at its time limit",
};

/** KernelOptions.interruptGraceMs by default. */
export const INTERRUPT_GRACE_MS = 2000;

export interface KernelStats {
  state: "starting" | "idle" | "busy";
  executions: number;
  queued: number;
  startedAt: Date;
}

interface Pending {
  channel: Channel;
  identities: Uint8Array[];
  message: Message;
  client: string;
}

interface InputWait {
  msgId: string;
  client: string;
  resolve(value: string | null, error?: string): void;
}

const silentLogger: KernelLogger = { debug() {}, info() {}, warn() {} };

const ENAMES: Record<LuaErrorInfo["kind"], string> = {
  syntax: "SyntaxError",
  runtime: "LuaError",
  interrupted: "Interrupted",
  timeout: "Timeout",
  memory: "MemoryError",
};

/** The Jupyter error content of an engine error. */
export function errorContent(error: LuaErrorInfo): ErrorContent {
  const traceback = [error.message];
  if (error.kind === "runtime" && error.traceback.length > 0) {
    traceback.push("stack traceback:", ...error.traceback.map((l) => "\t" + l));
  }
  return {
    ename: ENAMES[error.kind] ?? "LuaError",
    evalue: error.message,
    traceback,
    kind: error.kind,
    lua_traceback: error.traceback,
  };
}

/** Client key: the routing identities, as text. */
export function clientKey(identities: Uint8Array[]): string {
  let s = "";
  for (const id of identities) {
    for (let i = 0; i < id.length; i++) s += String.fromCharCode(id[i]);
    s += "\u0000";
  }
  return s;
}

function str(v: unknown, d = ""): string {
  return typeof v === "string" ? v : d;
}
function num(v: unknown, d: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : d;
}

export class Kernel {
  readonly kernelId: string;
  readonly session: string;
  readonly #options: KernelOptions;
  readonly #transport: KernelTransport;
  readonly #log: KernelLogger;
  #engine: Engine;
  /**
   * The engine has been told to start (init posted): executions may be handed to it from
   * then on, and run once it is ready. Waiting for ready instead would add a round trip
   * between the threads to the first cell.
   */
  #engineStarted: Promise<void> = Promise.resolve();
  #engineReady: Promise<void>;
  /** Resolves when the current engine is replaced or closed. */
  #engineGone!: Promise<void>;
  /** Starts a deferred engine (KernelOptions.deferEngineStart) now. */
  #startNow: (() => void) | undefined;
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #endEngine!: () => void;
  readonly #queue = new FairQueue<Pending>();
  #running: Pending | undefined;
  /** The running cell's execution in the engine: interrupts are for it. */
  #runningExec = 0;
  /**
   * The next cell, already handed to the engine while the running one finishes (#prefetch):
   * the worker starts it without waiting for this thread.
   */
  #prefetched: { req: Pending; exec: Execution; engine: Engine } | undefined;
  /** The cell whose interrupt is being repeated until it ends. */
  #interrupting: { cell: Pending; timer: ReturnType<typeof setInterval> } | undefined;
  /** The cell an interrupt or restart waits for, and the timer that checks it (#watch). */
  #watchdog: { cell: Pending; timer: ReturnType<typeof setTimeout> } | undefined;
  /** An engine found wedged is being given up (#wedge) until this settles. */
  #wedging: Promise<void> | undefined;
  /** A restart is under way (it makes the fresh engine). */
  #restarting = false;
  /** A restart is under way: no cell starts until it is done. */
  #paused: Promise<void> | undefined;
  /** Called when the running cell has ended. */
  #cellEnded: (() => void)[] = [];
  #draining = false;
  #iopubHeld = false;
  #count = 0;
  #historyOpened: Promise<History | undefined> | undefined;
  #executions = 0;
  #input: InputWait | undefined;
  #closed = false;
  readonly #startedAt: Date;
  /** The debug session (debug_request, debug_event): kernel_debugger.ts. */
  readonly #debugger = new KernelDebugger({
    engine: () => this.#engine,
    publish: (content) => this.#publish("debug_event", content),
  });

  constructor(transport: KernelTransport, options: KernelOptions) {
    this.#transport = transport;
    this.#options = options;
    this.kernelId = options.kernelId;
    this.#startedAt = options.startedAt ?? new Date();
    this.session = options.session ?? crypto.randomUUID();
    this.#log = options.logger ?? silentLogger;
    this.#engine = options.engine ?? new Engine({ deferWorker: options.deferEngineStart });
    this.#engineReady = options.deferEngineStart ? this.#startEngineLater() : this.#startEngine();
  }

  #startEngineLater(): Promise<void> {
    this.#engineGone = new Promise((resolve) => (this.#endEngine = resolve));
    this.#startTimer = setTimeout(() => this.#startNow?.(), ENGINE_START_DELAY_MS);
    const start = new Promise<void>((resolve) => (this.#startNow = resolve));
    // Registered first, so the engine's init is posted before anyone waiting for
    // #engineStarted hands it an execution.
    const ready = start.then(() => {
      clearTimeout(this.#startTimer);
      this.#startNow = undefined;
      return this.#startEngine();
    });
    this.#engineStarted = start;
    return ready;
  }

  #startEngine(): Promise<void> {
    this.#engineGone = new Promise((resolve) => (this.#endEngine = resolve));
    // A cell at its time limit must end like an interrupted one (#watch).
    this.#engine.onTimeLimit = (id) => {
      if (this.#running && id === this.#runningExec) this.#watch(this.#running, "timeout");
    };
    return this.#engine.init(this.#options.engineOptions);
  }

  /** Resolves once the engine can run code; publishes status starting → idle. */
  async ready(): Promise<void> {
    this.#publish("status", { execution_state: "starting" });
    await this.#engineReady;
    this.#publish("status", { execution_state: "idle" });
  }

  /** The engine now (a restart replaces it): the REPL's debugger attaches to it. */
  get engine(): Engine {
    return this.#engine;
  }

  stats(): KernelStats {
    return {
      state: this.#running ? "busy" : "idle",
      executions: this.#executions,
      queued: this.#queue.size,
      startedAt: this.#startedAt,
    };
  }

  // ---- outgoing ----

  #publish(type: string, content: JsonObject, parent?: Header, buffers: Uint8Array[] = []): void {
    this.#transport.publish(
      newMessage(type, this.#text(content), this.session, parent, {}, buffers),
    );
  }

  #reply(req: Pending, content: JsonObject, metadata: JsonObject = {}): void {
    this.#transport.send(
      req.channel,
      req.identities,
      newMessage(
        replyType(req.message.header.msg_type),
        this.#text(content),
        this.session,
        req.message.header,
        metadata,
      ),
    );
  }

  /** Content as its client takes text: see KernelOptions.byteExact. */
  #text(content: JsonObject): JsonObject {
    return this.#options.byteExact ? content : escapeDeep(content);
  }

  /**
   * A message's buffers: the raw bytes for an in-process client (`raw`, of a stream), or
   * over the wire the exact bytes of `text` when it goes out escaped.
   */
  #exactBytes(text: string, raw?: Uint8Array): Uint8Array[] {
    if (this.#options.byteExact) return raw ? [raw] : [];
    return text.isWellFormed() ? [] : [encodeText(text)];
  }

  // ---- incoming ----

  /** Handles one decoded message. Never throws: a failing handler is logged. */
  receive(channel: Channel, identities: Uint8Array[], message: Message): void {
    if (this.#closed) return;
    const req: Pending = { channel, identities, message, client: clientKey(identities) };
    const type = message.header.msg_type;
    if (channel === "stdin") {
      if (type === "input_reply") this.#onInputReply(req);
      else this.#log.debug(`kernel: ignoring ${type} on stdin`);
      return;
    }
    if (type === "execute_request") {
      this.#queue.push(req.client, req);
      this.#drain();
      return;
    }
    this.#handle(req).catch((e) => {
      this.#log.warn(`kernel: ${type} failed: ${e instanceof Error ? e.stack ?? e.message : e}`);
    });
  }

  /** A client went away: its queued cells are dropped, a wait for its input ends. */
  clientGone(identities: Uint8Array[]): void {
    const client = clientKey(identities);
    const dropped = this.#queue.take(client);
    if (dropped.length > 0) {
      this.#log.info(`kernel: dropped ${dropped.length} queued cell(s) of a departed client`);
    }
  }

  /** A client left stdin: a wait for its input ends as end of input. */
  stdinGone(identities: Uint8Array[]): void {
    if (this.#input && this.#input.client === clientKey(identities)) this.#input.resolve(null);
  }

  async #handle(req: Pending): Promise<void> {
    const type = req.message.header.msg_type;
    const parent = req.message.header;
    const c = req.message.content;
    if (type !== "kernel_info_request") this.#startNow?.();
    switch (type) {
      case "kernel_info_request":
        this.#publish("status", { execution_state: "busy" }, parent);
        this.#reply(req, this.kernelInfo());
        this.#publish("status", { execution_state: "idle" }, parent);
        this.#startNow?.();
        return;
      case "interrupt_request":
        this.interrupt();
        this.#reply(req, { status: "ok" });
        return;
      case "shutdown_request": {
        const restart = c.restart === true;
        this.#reply(req, { status: "ok", restart });
        this.#publish("shutdown_reply", { status: "ok", restart }, parent);
        if (restart) await this.restart();
        else this.#options.onShutdown?.();
        return;
      }
      case "comm_info_request":
        this.#reply(req, { status: "ok", comms: {} });
        return;
      case "comm_open":
        // No comm targets: the protocol says to close the comm at once.
        this.#publish("comm_close", { comm_id: str(c.comm_id), data: {} }, parent);
        this.#log.debug(`kernel: no comm target ${JSON.stringify(c.target_name)}; closed`);
        return;
      case "comm_msg":
      case "comm_close":
        return;
      case "connect_request":
        this.#reply(req, { status: "ok", ...(this.#options.connectInfo ?? {}) });
        return;
      case "usage_request":
        this.#reply(req, this.#usage());
        return;
      case "debug_request":
        if (this.#options.engineOptions.debug !== true) {
          this.#reply(req, debugUnavailableReply(c, DEBUG_DISABLED));
        } else {
          this.#reply(req, await this.#debugger.handle(req.message.header.session, c));
        }
        return;
    }
    this.#publish("status", { execution_state: "busy" }, parent);
    try {
      switch (type) {
        case "complete_request":
          this.#reply(req, await this.#complete(str(c.code), num(c.cursor_pos, -1)));
          break;
        case "inspect_request":
          this.#reply(
            req,
            await this.#inspect(str(c.code), num(c.cursor_pos, -1), num(c.detail_level, 0)),
          );
          break;
        case "is_complete_request":
          this.#reply(req, await this.#isComplete(str(c.code)));
          break;
        case "history_request":
          this.#reply(req, await this.#historyReply(c));
          break;
        default:
          this.#log.debug(`kernel: unknown message type ${JSON.stringify(type)} on ${req.channel}`);
      }
    } finally {
      this.#publish("status", { execution_state: "idle" }, parent);
    }
  }

  #history(): Promise<History | undefined> {
    return this.#historyOpened ??= this.#options.openHistory?.() ?? Promise.resolve(undefined);
  }

  kernelInfo(): JsonObject {
    return {
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: "llmspell",
      implementation_version: VERSION,
      language_info: {
        name: "lua",
        version: "5.4",
        mimetype: "text/x-lua",
        file_extension: ".lua",
        codemirror_mode: "lua",
        pygments_lexer: "lua",
      },
      banner: `llmspell ${VERSION} — Lua 5.4 kernel\n` +
        "display(v [, mime]), clear_output(), input(prompt); Shift+Tab shows docs",
      help_links: [
        { text: "Lua 5.4 Reference Manual", url: "https://www.lua.org/manual/5.4/" },
        { text: "Programming in Lua", url: "https://www.lua.org/pil/" },
      ],
      supported_features: [],
      debugger: DEBUGGER,
    };
  }

  #usage(): JsonObject {
    const mem = Deno.memoryUsage();
    return {
      status: "ok",
      hostname: Deno.hostname(),
      pid: Deno.pid,
      kernel_memory: mem.rss,
      llmspell: {
        kernel_id: this.kernelId,
        state: this.#running ? "busy" : "idle",
        executions: this.#executions,
        execution_count: this.#count,
        queued: this.#queue.size,
        started_at: this.#startedAt.toISOString(),
        uptime_s: (Date.now() - this.#startedAt.getTime()) / 1000,
        memory_bytes: mem.rss,
        clients: this.#options.clients?.() ?? 0,
      },
    };
  }

  // ---- engine queries ----

  async #query(q: Parameters<Engine["query"]>[0]): Promise<QueryAnswer> {
    await this.#engineReady;
    const gone = this.#engineGone.then((): QueryAnswer => ({
      kind: "error",
      message: "engine restarted",
    }));
    return await Promise.race([this.#engine.query(q), gone]);
  }

  async #complete(code: string, cursorPos: number): Promise<JsonObject> {
    const end = cursorPos < 0 ? code.length : codeUnitIndex(code, cursorPos);
    const n = nameBefore(code, end);
    const cursorEnd = codePoints(code.slice(0, end));
    const cursorStart = codePoints(code.slice(0, n.start));
    let matches: string[] = [];
    // A number like `1.` or a position inside a string is not a name to complete.
    if (!/[0-9]$/.test(code.slice(0, n.start)) || n.sep !== "") {
      const a = await this.#query({ kind: "complete", path: n.path, sep: n.sep, prefix: n.prefix });
      if (a.kind === "complete") matches = a.matches;
    }
    return {
      status: "ok",
      matches,
      cursor_start: cursorStart,
      cursor_end: cursorEnd,
      metadata: {},
    };
  }

  async #inspect(code: string, cursorPos: number, detail: number): Promise<JsonObject> {
    const cursor = cursorPos < 0 ? code.length : codeUnitIndex(code, cursorPos);
    const path = nameAt(code, cursor);
    const none = { status: "ok", found: false, data: {}, metadata: {} };
    if (!path) return none;
    const a = await this.#query({ kind: "inspect", path });
    // Loaded at the first inspection: evaluating its tables cost every `exec` ~4%.
    const { LUA_DOCS } = await import("./lua_docs.ts");
    const name = path.join(".");
    const doc = LUA_DOCS[name];
    if (a.kind !== "inspect" || !a.found) {
      // Keywords and names not (yet) defined still have docs if they are standard ones.
      if (!doc) return none;
      return { status: "ok", found: true, data: docBundle(name, doc, undefined), metadata: {} };
    }
    const stdDoc = a.stdlib ? LUA_DOCS[a.stdlib] : doc;
    const lines: string[] = [];
    if (a.stdlib && a.stdlib !== name) lines.push(`${name} is ${a.stdlib}`);
    lines.push(`type: ${a.type}`);
    if (a.length !== undefined) lines.push(`length: ${a.length}`);
    if (a.fields && a.fields.length > 0) lines.push(`fields: ${a.fields.join(", ")}`);
    if (a.hasMetatable) lines.push("has a metatable");
    if (!(a.stdlib && stdDoc)) {
      lines.push(`value: ${detail > 0 ? a.repr : a.repr.slice(0, 500)}`);
    }
    return {
      status: "ok",
      found: true,
      data: docBundle(a.stdlib ?? name, stdDoc, lines.join("\n")),
      metadata: {},
    };
  }

  async #isComplete(code: string): Promise<JsonObject> {
    if (code.trim() === "") return { status: "complete" };
    const a = await this.#query({ kind: "is_complete", code });
    if (a.kind !== "is_complete") return { status: "unknown" };
    if (a.status === "incomplete") return { status: "incomplete", indent: nextIndent(code) };
    return { status: a.status };
  }

  async #historyReply(c: JsonObject): Promise<JsonObject> {
    const h = await this.#history();
    if (!h) return { status: "ok", history: [] };
    const output = c.output === true;
    let rows: HistoryRow[] = [];
    switch (c.hist_access_type) {
      case "tail":
        rows = h.tail(num(c.n, 10), output);
        break;
      case "range":
        rows = h.range(num(c.session, 0), num(c.start, 1), num(c.stop, 0), output);
        break;
      case "search":
        rows = h.search(
          str(c.pattern, "*"),
          typeof c.n === "number" ? c.n : undefined,
          c.unique === true,
          output,
        );
        break;
    }
    return { status: "ok", history: rows };
  }

  // ---- stdin ----

  #onInputReply(req: Pending): void {
    const w = this.#input;
    const parentId = (req.message.parent_header as Header).msg_id;
    if (!w || (parentId !== undefined && parentId !== w.msgId)) {
      this.#log.debug("kernel: input_reply without a pending input_request");
      return;
    }
    const c = req.message.content;
    if (c.llmspell_eof === true) w.resolve(null);
    else w.resolve(str(c.value));
  }

  async #askInput(
    req: Pending,
    prompt: string,
    password: boolean,
    allowed: boolean,
  ): Promise<void> {
    const engine = this.#engine;
    if (!allowed) {
      engine.provideInput(null, "input is not available: this request does not allow stdin");
      return;
    }
    if (!this.#transport.stdinAvailable(req.identities)) {
      engine.provideInput(null, "input is not available: the client is not connected on stdin");
      return;
    }
    const msg = newMessage(
      "input_request",
      this.#text({ prompt, password }),
      this.session,
      req.message.header,
    );
    const answered = new Promise<void>((resolve) => {
      this.#input = {
        msgId: msg.header.msg_id,
        client: req.client,
        resolve: (value, error) => {
          this.#input = undefined;
          engine.provideInput(value, error);
          resolve();
        },
      };
    });
    // The output before the prompt must reach the client first.
    this.#holdIopub(false);
    this.#transport.send("stdin", req.identities, msg);
    await answered;
  }

  // ---- execution ----

  #holdIopub(on: boolean): void {
    if (this.#iopubHeld === on) return;
    this.#iopubHeld = on;
    this.#transport.holdIopub?.(on);
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    (async () => {
      try {
        let next: Pending | undefined;
        let held = 0;
        while (!this.#closed) {
          if (this.#paused) {
            await this.#paused;
            continue;
          }
          next = this.#prefetched?.req ?? this.#queue.shift();
          if (!next) break;
          if (!this.#iopubHeld && this.#queue.size > 0) {
            this.#holdIopub(true);
            held = 0;
          }
          this.#running = next;
          try {
            await this.#execute(next);
          } catch (e) {
            this.#log.warn(
              `kernel: execute failed: ${e instanceof Error ? e.stack ?? e.message : e}`,
            );
          } finally {
            this.#running = undefined;
            this.#runningExec = 0;
            for (const f of this.#cellEnded.splice(0)) f();
          }
          if (this.#iopubHeld && (++held >= IOPUB_HOLD_CELLS || this.#queue.size === 0)) {
            this.#holdIopub(false);
          }
        }
      } finally {
        this.#holdIopub(false);
        this.#draining = false;
      }
    })();
  }

  /** What the engine runs for an execute_request that is the `count`th cell. */
  #request(c: ExecuteRequestContent, count: number): ExecuteRequest {
    const code = str(c.code);
    const ext =
      (typeof c.llmspell === "object" && c.llmspell !== null ? c.llmspell : {}) as NonNullable<
        ExecuteRequestContent["llmspell"]
      >;
    let echo: EchoMode = ext.echo ?? "last";
    if (echo === "last" && /;\s*$/.test(code)) echo = "none";
    return {
      code,
      chunkName: ext.chunk_name ?? this.#debugger.cellChunkName(code) ?? `=In[${count}]`,
      echo: echo !== "none",
      echoLast: echo === "last",
      args: ext.args,
      scriptDir: typeof ext.script_dir === "string" && ext.script_dir !== ""
        ? ext.script_dir
        : undefined,
      jsonValues: ext.json_values === true,
    };
  }

  /**
   * Hands the next queued cell to the engine while `current` runs, so that the worker goes
   * on without waiting for this thread to publish `current`'s results (a kernel with many
   * clients is bound by those hand-overs). Only when nothing of `current` must happen in
   * the engine first, or could cancel the next cell: no user_expressions (they run after
   * the cell), and not the same client's next cell when `current` stops on error.
   */
  #prefetch(current: Pending, c: ExecuteRequestContent): void {
    if (this.#prefetched || this.#closed) return;
    const next = this.#queue.peek();
    if (!next || next.message.header.msg_type !== "execute_request") return;
    const exprs = c.user_expressions;
    if (typeof exprs === "object" && exprs !== null && Object.keys(exprs).length > 0) return;
    if (next.client === current.client && c.stop_on_error !== false) return;
    const nc = next.message.content as ExecuteRequestContent;
    const count = this.#count + (storesHistory(nc) ? 1 : 0);
    const engine = this.#engine;
    let exec: Execution;
    try {
      exec = engine.execute(this.#request(nc, count));
    } catch {
      return; // A failed engine: the cell takes the usual way and reports it.
    }
    this.#queue.shift();
    this.#prefetched = { req: next, exec, engine };
  }

  async #execute(req: Pending): Promise<void> {
    const c = req.message.content as ExecuteRequestContent;
    const parent = req.message.header;
    const code = str(c.code);
    const silent = c.silent === true;
    const storeHistory = storesHistory(c);
    const allowStdin = c.allow_stdin !== false;
    const stopOnError = c.stop_on_error !== false;
    const pre = this.#prefetched?.req === req ? this.#prefetched : undefined;
    if (pre) this.#prefetched = undefined;
    if (pre && pre.engine !== this.#engine) {
      // Handed to an engine that a restart has replaced since.
      this.#abort(req);
      return;
    }
    this.#publish("status", { execution_state: "busy" }, parent);
    if (storeHistory) this.#count++;
    const count = this.#count;
    this.#executions++;
    if (!silent) this.#publish("execute_input", { code, execution_count: count }, parent);
    const history = storeHistory ? await this.#history() : undefined;
    const session = history?.session;
    const ext = c.llmspell;
    try {
      history?.add(count, typeof ext?.history_source === "string" ? ext.history_source : code);
    } catch (e) {
      this.#log.warn(`kernel: history not saved: ${e instanceof Error ? e.message : e}`);
    }

    // An engine that fails to start fails this execution (the catch below reports it).
    await this.#engineStarted;
    const engine = this.#engine;
    const out = new StreamOut(
      (name, text, bytes) => {
        if (!silent) {
          this.#publish("stream", { name, text }, parent, this.#exactBytes(text, bytes));
        }
      },
      this.#options.coalesceStreams === true,
    );
    let error: LuaErrorInfo | undefined;
    let exitCode: number | undefined;
    let resultText: string | undefined;
    try {
      const exec = pre?.exec ?? engine.execute(this.#request(c, count));
      this.#runningExec = exec.id;
      this.#prefetch(req, c);
      for await (const ev of exec) {
        if (ev.type === "stream") {
          out.write(ev.name, ev.data);
          continue;
        }
        out.flush();
        this.#onEvent(ev, req, parent, count, silent, allowStdin);
        if (ev.type === "input") await this.#askInput(req, ev.prompt, ev.password, allowStdin);
        else if (ev.type === "result" && ev.values.length > 0) resultText = ev.values.join("\t");
        else if (ev.type === "error") error = ev.error;
        else if (ev.type === "exit") exitCode = ev.code;
      }
    } catch (e) {
      error = {
        kind: "runtime",
        message: `engine failed: ${e instanceof Error ? e.message : e}`,
        traceback: [],
        isObject: false,
      };
      if (!silent) this.#publish("error", errorContent(error), parent);
    } finally {
      out.end();
    }

    if (history && resultText !== undefined && session === history.session) {
      try {
        history.setOutput(count, resultText);
      } catch {
        // History is best effort.
      }
    }

    if (error) {
      this.#reply(req, { status: "error", execution_count: count, ...errorContent(error) }, {
        status: "error",
      });
      if (stopOnError) this.#abortQueued(req.client);
    } else {
      const content: JsonObject = {
        status: "ok",
        execution_count: count,
        payload: [],
        user_expressions: await this.#userExpressions(c.user_expressions),
      };
      if (exitCode !== undefined) content.exit_code = exitCode;
      this.#reply(req, content, { status: "ok" });
    }
    this.#publish("status", { execution_state: "idle" }, parent);
  }

  #onEvent(
    ev: EngineEvent,
    _req: Pending,
    parent: Header,
    count: number,
    silent: boolean,
    _allowStdin: boolean,
  ): void {
    if (silent && ev.type !== "input") return;
    switch (ev.type) {
      case "result":
        if (ev.values.length > 0) {
          const text = ev.values.join("\t");
          const data: JsonObject = { "text/plain": text };
          // Asked for (json_values): the list of the values, beside their display text.
          if (ev.json) data["application/json"] = ev.json.map((j) => JSON.parse(j));
          this.#publish(
            "execute_result",
            { execution_count: count, data, metadata: { llmspell: { types: ev.types } } },
            parent,
            this.#exactBytes(text),
          );
        }
        break;
      case "error":
        this.#publish("error", errorContent(ev.error), parent, this.#exactBytes(ev.error.message));
        break;
      case "display":
        this.#publish(
          "display_data",
          { data: ev.data, metadata: ev.metadata, transient: {} },
          parent,
        );
        break;
      case "clear_output":
        this.#publish("clear_output", { wait: ev.wait }, parent);
        break;
    }
  }

  async #userExpressions(exprs: unknown): Promise<JsonObject> {
    const out: JsonObject = {};
    if (typeof exprs !== "object" || exprs === null) return out;
    for (const [name, expr] of Object.entries(exprs as Record<string, unknown>)) {
      if (typeof expr !== "string") continue;
      let value: JsonObject = { status: "ok", data: { "text/plain": "nil" }, metadata: {} };
      for await (
        const ev of this.#engine.execute({ code: expr, chunkName: "=user_expression", echo: true })
      ) {
        if (ev.type === "result") {
          value = {
            status: "ok",
            data: { "text/plain": ev.values.join("\t") || "nil" },
            metadata: {},
          };
        } else if (ev.type === "error") {
          value = { status: "error", ...errorContent(ev.error) };
        } else if (ev.type === "input") this.#engine.provideInput(null);
      }
      out[name] = value;
    }
    return out;
  }

  /** After an error with stop_on_error: the same client's queued cells are aborted. */
  #abortQueued(client: string): void {
    for (const r of this.#queue.take(client)) this.#abort(r);
  }

  #abort(r: Pending): void {
    this.#publish("status", { execution_state: "busy" }, r.message.header);
    this.#reply(r, { status: "aborted", execution_count: this.#count }, { status: "aborted" });
    this.#publish("status", { execution_state: "idle" }, r.message.header);
  }

  // ---- lifecycle ----

  /**
   * Interrupts the running cell (and a wait for input). If the cell has not ended within
   * the grace time, its engine is wedged (#wedge).
   */
  interrupt(why: Stop = "interrupt"): void {
    this.#engine.interrupt(this.#runningExec || undefined);
    // Before the cell is handed to the engine its execution id is unknown, and the worker
    // drops a signal that is not for the chunk it starts: repeat the interrupt until this
    // cell has ended. Each names this cell's execution, so a late one never reaches a cell
    // handed over after it (#prefetch).
    const cell = this.#running;
    if (!cell) return;
    this.#watch(cell, why);
    if (this.#interrupting?.cell === cell) return;
    this.#stopInterrupting();
    const timer = setInterval(() => {
      if (this.#running === cell) this.#engine.interrupt(this.#runningExec || undefined);
      else this.#stopInterrupting();
    }, 50);
    this.#interrupting = { cell, timer };
  }

  #stopInterrupting(): void {
    if (this.#interrupting) clearInterval(this.#interrupting.timer);
    this.#interrupting = undefined;
  }

  /**
   * New engine options (a configuration reload): the time limit applies from the next
   * execution; the others (sandbox, allowed paths, memory limit) are fixed for the life of an
   * engine and apply from the next restart.
   */
  reconfigure(options: EngineOptions): void {
    this.#options.engineOptions = options;
    this.#engine.setTimeoutMs(options.timeoutMs);
  }

  async #reloadEngineOptions(): Promise<void> {
    if (!this.#options.currentEngineOptions) return;
    try {
      this.reconfigure(await this.#options.currentEngineOptions());
    } catch (e) {
      this.#log.warn(
        `kernel: restarting with the previous configuration: ${e instanceof Error ? e.message : e}`,
      );
    }
  }

  /**
   * Checks, after the grace time, that `cell` has ended. It is wedged only if the worker
   * still runs it with the signal pending: a cell not yet in the worker (an engine still
   * starting on a loaded machine) or whose output is still being read is looked at again.
   */
  #watch(cell: Pending, why: Stop): void {
    if (this.#watchdog?.cell === cell) return;
    const grace = this.#options.interruptGraceMs ?? INTERRUPT_GRACE_MS;
    const check = () => {
      if (this.#running !== cell || this.#closed) {
        this.#watchdog = undefined;
      } else if (this.#runningExec !== 0 && this.#engine.signalPending(this.#runningExec)) {
        this.#watchdog = undefined;
        this.#wedging ??= this.#wedge(why, grace).finally(() => (this.#wedging = undefined));
      } else {
        this.#watchdog = { cell, timer: setTimeout(check, grace) };
      }
    };
    this.#watchdog = { cell, timer: setTimeout(check, grace) };
  }

  /**
   * The engine did not honour an interrupt or restart: the running cell ends with an error
   * that says so, queued cells are aborted, and the kernel's process is replaced
   * (KernelOptions.onWedged) or, embedded, the engine.
   */
  async #wedge(why: Stop, graceMs: number): Promise<void> {
    const resume = this.#pause();
    try {
      const replace = this.#options.onWedged;
      const within = `${STOPS[why]} within ${graceMs / 1000} s`;
      const message = replace
        ? `the kernel did not ${within} and was restarted; Lua state was lost`
        : `Lua did not ${within}; its state was lost and a fresh one started`;
      this.#log.warn(
        `kernel: Lua did not ${within}: ${replace ? "replacing the process" : "new engine"}`,
      );
      this.#stopInterrupting();
      for (const r of this.#queue.clear()) this.#abort(r);
      if (this.#prefetched) this.#abort(this.#prefetched.req);
      this.#prefetched = undefined;
      this.#input?.resolve(null);
      const ended = this.#whenCellEnds();
      // The running cell's #execute reports this error (IOPub error, execute_reply).
      this.#engine.abandon(why === "timeout" ? "timeout" : "interrupted", message);
      await ended;
      if (replace) {
        this.#publish("status", { execution_state: "restarting" });
        try {
          await replace(message);
          return;
        } catch (e) {
          this.#log.warn(`kernel: process not replaced: ${e instanceof Error ? e.message : e}`);
        }
      }
      // Embedded (or the process could not be replaced): a fresh engine, unless a restart
      // waiting for this cell makes one.
      if (!this.#restarting) await this.#renew();
    } finally {
      resume();
    }
  }

  /** Until the returned function is called, no cell starts. */
  #pause(): () => void {
    let done!: () => void;
    const paused = new Promise<void>((r) => (done = r));
    this.#paused = paused;
    return () => {
      if (this.#paused === paused) this.#paused = undefined;
      done();
    };
  }

  #whenCellEnds(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#cellEnded.push(resolve));
  }

  /**
   * A fresh Lua state on the same transport, with the current configuration; queued cells
   * are aborted. A running cell is interrupted first and waited for: one that does not end
   * in the grace time wedged its engine (#wedge), and the process is replaced.
   */
  async restart(): Promise<void> {
    const resume = this.#pause();
    this.#restarting = true;
    try {
      await this.#reloadEngineOptions();
      for (const r of this.#queue.clear()) this.#abort(r);
      this.#input?.resolve(null);
      if (this.#running) {
        const ended = this.#whenCellEnds();
        this.interrupt("restart");
        await ended;
        // A wedged engine: the process is being replaced (or the engine, embedded).
        await this.#wedging;
      }
      await this.#renew();
    } finally {
      this.#restarting = false;
      resume();
    }
  }

  /** Replaces the engine with a fresh one (a new Lua state) and waits until it is ready. */
  async #renew(): Promise<void> {
    const old = this.#engine;
    this.#stopInterrupting();
    old.interrupt();
    this.#endEngine();
    this.#engine = new Engine();
    this.#engineStarted = Promise.resolve();
    this.#engineReady = this.#startEngine();
    this.#debugger.engineReplaced();
    this.#count = 0;
    try {
      (await this.#history())?.newSession();
    } catch (e) {
      this.#log.warn(`kernel: history session not started: ${e instanceof Error ? e.message : e}`);
    }
    // A worker that has just ended its cell may still be busy for a moment.
    setTimeout(() => old.close(), 200);
    await this.ready();
  }

  /** Stops: interrupts the running cell, aborts queued ones, ends the engine. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const running = this.#running;
    for (const r of this.#queue.clear()) this.#abort(r);
    if (this.#prefetched) this.#abort(this.#prefetched.req);
    this.#prefetched = undefined;
    this.interrupt();
    this.#input?.resolve(null);
    this.#closed = true;
    if (running) {
      // Let the interrupted cell finish its reply (bounded).
      const deadline = Date.now() + 2000;
      while (this.#running && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    this.#stopInterrupting();
    this.#debugger.dispose();
    clearTimeout(this.#watchdog?.timer);
    clearTimeout(this.#startTimer);
    this.#startNow = undefined;
    this.#endEngine();
    this.#engine.close();
  }
}

function storesHistory(c: ExecuteRequestContent): boolean {
  return c.silent !== true && c.store_history !== false;
}

function docBundle(
  name: string,
  doc: [string, string] | undefined,
  details: string | undefined,
): JsonObject {
  const plain: string[] = [];
  const md: string[] = [];
  if (doc) {
    plain.push(doc[0], "", doc[1]);
    md.push("```lua\n" + doc[0] + "\n```", "", doc[1]);
  } else {
    plain.push(name);
    md.push("`" + name + "`");
  }
  if (details) {
    plain.push("", details);
    md.push("", "```\n" + details + "\n```");
  }
  return { "text/plain": plain.join("\n"), "text/markdown": md.join("\n") };
}

/**
 * Stream output to messages: decoded per stream, bytes that are not UTF-8 kept
 * (src/byte_string.ts); with coalescing, consecutive chunks of one stream become one
 * message, sent at the latest after 2 ms.
 */
class StreamOut {
  readonly #emit: (name: "stdout" | "stderr", text: string, bytes: Uint8Array) => void;
  readonly #coalesce: boolean;
  readonly #decoders = { stdout: new StreamDecoder(), stderr: new StreamDecoder() };
  #name: "stdout" | "stderr" | undefined;
  #chunks: Uint8Array[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    emit: (name: "stdout" | "stderr", text: string, bytes: Uint8Array) => void,
    coalesce: boolean,
  ) {
    this.#emit = emit;
    this.#coalesce = coalesce;
  }

  write(name: "stdout" | "stderr", data: Uint8Array): void {
    if (!this.#coalesce) {
      this.#emit(name, this.#decoders[name].decode(data), data);
      return;
    }
    if (this.#name !== undefined && this.#name !== name) this.flush();
    this.#name = name;
    this.#chunks.push(data);
    this.#timer ??= setTimeout(() => this.flush(), 2);
  }

  /** Flushes, and sends what is left of a UTF-8 sequence the output cut short. */
  end(): void {
    this.flush();
    for (const name of ["stdout", "stderr"] as const) {
      const rest = this.#decoders[name].end();
      // Its bytes went out with the chunks that held them.
      if (rest !== "") this.#emit(name, rest, new Uint8Array());
    }
  }

  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const name = this.#name;
    if (name === undefined || this.#chunks.length === 0) return;
    const bytes = this.#chunks.length === 1 ? this.#chunks[0] : concat(this.#chunks);
    this.#chunks = [];
    this.#name = undefined;
    this.#emit(name, this.#decoders[name].decode(bytes), bytes);
  }
}
