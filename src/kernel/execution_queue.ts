/**
 * execute_requests: a fair queue (round-robin across clients, queue.ts) whose cells run one
 * at a time in the kernel's engine, the next handed over before the running one's results
 * are published (#prefetch), IOPub held while cells wait, and each cell's messages (busy,
 * execute_input, streams, results, errors, execute_reply, idle) and history.
 */
import type { Engine, EngineEvent, Execution } from "../engine/host/handle.ts";
import type { ExecuteRequest, LuaErrorInfo, ProfileData } from "../engine/shared/protocol.ts";
import { cellProfile, profileDisplay } from "./cell_profile.ts";
import type {
  EchoMode,
  ErrorContent,
  ExecuteRequestContent,
} from "../protocol/jupyter/messages.ts";
import type { Header, JsonObject } from "../protocol/jupyter/wire.ts";
import type { EngineSlot } from "./engine_slot.ts";
import type { History } from "./history.ts";
import type { Logger } from "../telemetry/log.ts";
import type { Outbox } from "./outbox.ts";
import { FairQueue } from "./queue.ts";
import { type ClientRequest, str } from "./request.ts";
import type { StdinBroker } from "./stdin.ts";
import { StreamOut } from "./stream_out.ts";
import { setExecutionSpan, type Span, startSpan } from "../telemetry/tracing.ts";
import { requestAttributes } from "./request_span.ts";

/**
 * While cells wait in the queue, IOPub's writes are held for up to this many cells and sent
 * together: with many subscribers, one write per message and subscriber is most of a busy
 * kernel's time (bench/history/2026-11-22.md, Kernel, 50 clients). A client's output then
 * arrives up to this many (queued) cells later; with no backlog nothing is held.
 */
const IOPUB_HOLD_CELLS = 4;

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

function storesHistory(c: ExecuteRequestContent): boolean {
  return c.silent !== true && c.store_history !== false;
}

export interface ExecutionQueueOptions {
  out: Outbox;
  engines: EngineSlot;
  stdin: StdinBroker;
  log: Logger;
  /** KernelOptions.coalesceStreams. */
  coalesceStreams: boolean;
  /** Where executions are recorded (opened at the first need). */
  history: () => Promise<History | undefined>;
  /** The chunk name a cell of this code runs under, if not In[N] (the debugger's). */
  chunkName: (code: string) => string | undefined;
  /** The kernel is closed: no cell starts. */
  closed: () => boolean;
}

export class ExecutionQueue {
  readonly #o: ExecutionQueueOptions;
  readonly #queue = new FairQueue<ClientRequest>();
  #running: ClientRequest | undefined;
  /** The running cell's execution in the engine: interrupts are for it. */
  #runningExec = 0;
  /**
   * The next cell, already handed to the engine while the running one finishes (#prefetch):
   * the worker starts it without waiting for this thread.
   */
  #prefetched: { req: ClientRequest; exec: Execution; engine: Engine } | undefined;
  /** A restart is under way: no cell starts until it is done. */
  #paused: Promise<void> | undefined;
  /** Called when the running cell has ended. */
  #cellEnded: (() => void)[] = [];
  #draining = false;
  #count = 0;
  #executions = 0;

  constructor(options: ExecutionQueueOptions) {
    this.#o = options;
  }

  /** The running cell. */
  get running(): ClientRequest | undefined {
    return this.#running;
  }

  /** The running cell's execution id in the engine (0: not handed over yet). */
  get runningExec(): number {
    return this.#runningExec;
  }

  /** The execution count (of cells that store history) since the engine started. */
  get count(): number {
    return this.#count;
  }

  /** Cells run since the kernel started. */
  get executions(): number {
    return this.#executions;
  }

  /** Cells waiting. */
  get queued(): number {
    return this.#queue.size;
  }

  /** A fresh engine counts from 1 again. */
  resetCount(): void {
    this.#count = 0;
  }

  /** Queues a cell and runs the queue. */
  push(req: ClientRequest): void {
    this.#queue.push(req.client, req);
    this.#drain();
  }

  /** Removes (without a reply) the queued cells of a client that went away; how many. */
  drop(client: string): number {
    return this.#queue.take(client).length;
  }

  /**
   * Aborts every queued cell; with `prefetched`, also the one already handed to the engine
   * (it has not started in the kernel's view).
   */
  abortAll(prefetched: boolean): void {
    for (const r of this.#queue.clear()) this.#abort(r);
    if (prefetched) {
      if (this.#prefetched) this.#abort(this.#prefetched.req);
      this.#prefetched = undefined;
    }
  }

  /** Until the returned function is called, no cell starts. */
  pause(): () => void {
    let done!: () => void;
    const paused = new Promise<void>((r) => (done = r));
    this.#paused = paused;
    return () => {
      if (this.#paused === paused) this.#paused = undefined;
      done();
    };
  }

  /** Resolves when the running cell (if any) has ended. */
  whenCellEnds(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#cellEnded.push(resolve));
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    const out = this.#o.out;
    (async () => {
      try {
        let next: ClientRequest | undefined;
        let held = 0;
        while (!this.#o.closed()) {
          if (this.#paused) {
            await this.#paused;
            continue;
          }
          next = this.#prefetched?.req ?? this.#queue.shift();
          if (!next) break;
          if (!out.iopubHeld && this.#queue.size > 0) {
            out.holdIopub(true);
            held = 0;
          }
          this.#running = next;
          try {
            await this.#execute(next);
          } catch (e) {
            this.#o.log.warn(
              `kernel: execute failed: ${e instanceof Error ? e.stack ?? e.message : e}`,
            );
          } finally {
            this.#running = undefined;
            this.#runningExec = 0;
            for (const f of this.#cellEnded.splice(0)) f();
          }
          if (out.iopubHeld && (++held >= IOPUB_HOLD_CELLS || this.#queue.size === 0)) {
            out.holdIopub(false);
          }
        }
      } finally {
        out.holdIopub(false);
        this.#draining = false;
      }
    })();
  }

  /** What the engine runs for an execute_request that is the `count`th cell. */
  #request(c: ExecuteRequestContent, count: number): ExecuteRequest {
    const cell = str(c.code);
    const ext =
      (typeof c.llmspell === "object" && c.llmspell !== null ? c.llmspell : {}) as NonNullable<
        ExecuteRequestContent["llmspell"]
      >;
    const { code, profile } = cellProfile(cell, ext);
    let echo: EchoMode = ext.echo ?? "last";
    if (echo === "last" && /;\s*$/.test(code)) echo = "none";
    return {
      code,
      chunkName: ext.chunk_name ?? this.#o.chunkName(cell) ?? `=In[${count}]`,
      echo: echo !== "none",
      echoLast: echo === "last",
      args: ext.args,
      scriptDir: typeof ext.script_dir === "string" && ext.script_dir !== ""
        ? ext.script_dir
        : undefined,
      jsonValues: ext.json_values === true,
      ...(profile ? { profile } : {}),
    };
  }

  /**
   * Hands the next queued cell to the engine while `current` runs, so that the worker goes
   * on without waiting for this thread to publish `current`'s results (a kernel with many
   * clients is bound by those hand-overs). Only when nothing of `current` must happen in
   * the engine first, or could cancel the next cell: no user_expressions (they run after
   * the cell), and not the same client's next cell when `current` stops on error.
   */
  #prefetch(current: ClientRequest, c: ExecuteRequestContent): void {
    if (this.#prefetched || this.#o.closed()) return;
    const next = this.#queue.peek();
    if (!next || next.message.header.msg_type !== "execute_request") return;
    const exprs = c.user_expressions;
    if (typeof exprs === "object" && exprs !== null && Object.keys(exprs).length > 0) return;
    if (next.client === current.client && c.stop_on_error !== false) return;
    const nc = next.message.content as ExecuteRequestContent;
    const count = this.#count + (storesHistory(nc) ? 1 : 0);
    const engine = this.#o.engines.engine;
    let exec: Execution;
    try {
      exec = engine.execute(this.#request(nc, count));
    } catch {
      return; // A failed engine: the cell takes the usual way and reports it.
    }
    this.#queue.shift();
    this.#prefetched = { req: next, exec, engine };
  }

  /** One cell, in the spans of its request and its execution (src/telemetry/tracing.ts). */
  async #execute(req: ClientRequest): Promise<void> {
    const requestSpan = startSpan("llmspell.execute_request", requestAttributes(req), {
      kind: "server",
    });
    const span = startSpan("llmspell.execute", {}, { parent: requestSpan });
    setExecutionSpan(span);
    try {
      await this.#executeCell(req, span);
    } finally {
      setExecutionSpan(undefined);
      span.end();
      requestSpan.end();
    }
  }

  async #executeCell(req: ClientRequest, span: Span): Promise<void> {
    const { out, engines } = this.#o;
    const c = req.message.content as ExecuteRequestContent;
    const parent = req.message.header;
    const code = str(c.code);
    const silent = c.silent === true;
    const storeHistory = storesHistory(c);
    const allowStdin = c.allow_stdin !== false;
    const stopOnError = c.stop_on_error !== false;
    const pre = this.#prefetched?.req === req ? this.#prefetched : undefined;
    if (pre) this.#prefetched = undefined;
    if (pre && pre.engine !== engines.engine) {
      // Handed to an engine that a restart has replaced since.
      this.#abort(req);
      return;
    }
    if (storeHistory) this.#count++;
    const count = this.#count;
    this.#executions++;
    const ext = c.llmspell;
    // The cell goes to the engine before this thread publishes its start and opens the
    // history: the worker runs it meanwhile (the first cell of a kernel or an `exec` would
    // otherwise wait for the database and for IOPub's first messages). What it outputs is
    // read below, after them.
    let exec: Execution | undefined = pre?.exec;
    let failed: unknown;
    if (!exec) {
      try {
        // An engine that fails to start fails this execution (the catch below reports it).
        await engines.started;
        exec = engines.engine.execute(this.#request(c, count));
      } catch (e) {
        failed = e;
      }
    }
    out.publish("status", { execution_state: "busy" }, parent);
    if (!silent) out.publish("execute_input", { code, execution_count: count }, parent);
    const history = storeHistory ? await this.#o.history() : undefined;
    const session = history?.session;
    const streams = new StreamOut(
      (name, text, bytes) => {
        if (!silent) {
          out.publish("stream", { name, text }, parent, out.exactBytes(text, bytes));
        }
      },
      this.#o.coalesceStreams,
    );
    let error: LuaErrorInfo | undefined;
    let exitCode: number | undefined;
    let resultText: string | undefined;
    let profile: ProfileData | undefined;
    let historyAdded = false;
    try {
      if (!exec) throw failed;
      this.#runningExec = exec.id;
      this.#prefetch(req, c);
      // While the worker runs the cell: the history insert is a database write.
      historyAdded = true;
      this.#addHistory(history, count, code, ext);
      for await (const ev of exec) {
        if (ev.type === "stream") {
          streams.write(ev.name, ev.data);
          continue;
        }
        streams.flush();
        this.#onEvent(ev, parent, count, silent);
        if (ev.type === "input") {
          await this.#o.stdin.ask(engines.engine, req, ev.prompt, ev.password, allowStdin);
        } else if (ev.type === "result" && ev.values.length > 0) resultText = ev.values.join("\t");
        else if (ev.type === "error") error = ev.error;
        else if (ev.type === "exit") exitCode = ev.code;
        else if (ev.type === "profile") profile = ev.profile;
      }
    } catch (e) {
      if (!historyAdded) this.#addHistory(history, count, code, ext);
      error = {
        kind: "runtime",
        message: `engine failed: ${e instanceof Error ? e.message : e}`,
        traceback: [],
        isObject: false,
      };
      if (!silent) out.publish("error", errorContent(error), parent);
    } finally {
      streams.end();
    }

    if (history && resultText !== undefined && session === history.session) {
      try {
        history.setOutput(count, resultText);
      } catch {
        // History is best effort.
      }
    }

    span.set({ "llmspell.execution_count": count, "llmspell.code.bytes": code.length });
    if (typeof ext?.chunk_name === "string") span.set({ "llmspell.chunk": ext.chunk_name });
    if (error) span.fail(`lua.${error.kind}`, error.message);
    // The profile: shown in the cell (`%%profile`), or given to the client that asked for it.
    let replyExt: JsonObject | undefined;
    if (profile) {
      if (cellProfile(code, ext ?? {}).display && !silent) {
        out.publish("display_data", await profileDisplay(profile, `In[${count}]`), parent);
      }
      if (typeof ext?.profile === "object") replyExt = { llmspell: { profile } };
    }
    if (error) {
      out.reply(req, {
        status: "error",
        execution_count: count,
        ...errorContent(error),
        ...replyExt,
      }, { status: "error" });
      if (stopOnError) this.#abortQueued(req.client);
    } else {
      const content: JsonObject = {
        status: "ok",
        execution_count: count,
        payload: [],
        user_expressions: await this.#userExpressions(c.user_expressions),
      };
      if (exitCode !== undefined) content.exit_code = exitCode;
      if (replyExt) Object.assign(content, replyExt);
      out.reply(req, content, { status: "ok" });
    }
    out.publish("status", { execution_state: "idle" }, parent);
  }

  #addHistory(
    history: History | undefined,
    count: number,
    code: string,
    ext: ExecuteRequestContent["llmspell"],
  ): void {
    try {
      history?.add(count, typeof ext?.history_source === "string" ? ext.history_source : code);
    } catch (e) {
      this.#o.log.warn(`kernel: history not saved: ${e instanceof Error ? e.message : e}`);
    }
  }

  /** Publishes what an engine event shows on IOPub (streams aside). */
  #onEvent(ev: EngineEvent, parent: Header, count: number, silent: boolean): void {
    const out = this.#o.out;
    if (silent && ev.type !== "input") return;
    switch (ev.type) {
      case "result":
        if (ev.values.length > 0) {
          const text = ev.values.join("\t");
          // The value's own representations (an agent's result as Markdown) beside it.
          const data: JsonObject = { ...ev.mime, "text/plain": text };
          // Asked for (json_values): the list of the values, beside their display text.
          if (ev.json) data["application/json"] = ev.json.map((j) => JSON.parse(j));
          out.publish(
            "execute_result",
            { execution_count: count, data, metadata: { llmspell: { types: ev.types } } },
            parent,
            out.exactBytes(text),
          );
        }
        break;
      case "error":
        out.publish("error", errorContent(ev.error), parent, out.exactBytes(ev.error.message));
        break;
      case "display":
        out.publish(
          "display_data",
          { data: ev.data, metadata: ev.metadata, transient: {} },
          parent,
        );
        break;
      case "clear_output":
        out.publish("clear_output", { wait: ev.wait }, parent);
        break;
    }
  }

  async #userExpressions(exprs: unknown): Promise<JsonObject> {
    const out: JsonObject = {};
    if (typeof exprs !== "object" || exprs === null) return out;
    const engine = () => this.#o.engines.engine;
    for (const [name, expr] of Object.entries(exprs as Record<string, unknown>)) {
      if (typeof expr !== "string") continue;
      let value: JsonObject = { status: "ok", data: { "text/plain": "nil" }, metadata: {} };
      for await (
        const ev of engine().execute({ code: expr, chunkName: "=user_expression", echo: true })
      ) {
        if (ev.type === "result") {
          value = {
            status: "ok",
            data: { "text/plain": ev.values.join("\t") || "nil" },
            metadata: {},
          };
        } else if (ev.type === "error") {
          value = { status: "error", ...errorContent(ev.error) };
        } else if (ev.type === "input") engine().provideInput(null);
      }
      out[name] = value;
    }
    return out;
  }

  /** After an error with stop_on_error: the same client's queued cells are aborted. */
  #abortQueued(client: string): void {
    for (const r of this.#queue.take(client)) this.#abort(r);
  }

  #abort(r: ClientRequest): void {
    const out = this.#o.out;
    out.publish("status", { execution_state: "busy" }, r.message.header);
    out.reply(r, { status: "aborted", execution_count: this.#count }, { status: "aborted" });
    out.publish("status", { execution_state: "idle" }, r.message.header);
  }
}
