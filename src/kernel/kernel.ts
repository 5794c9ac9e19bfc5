/**
 * The Kernel: Jupyter messaging 5.3 dispatch by msg_type over one engine, and its lifecycle
 * (interrupt, restart, an engine that does not stop, close). It does not know where messages
 * come from: a transport (ZMTP server, in-process) hands it decoded messages with the
 * client's routing identities and carries its replies and IOPub broadcasts
 * (docs/architecture.md, The kernel).
 *
 * Execution: execute_requests go to a fair queue (round-robin across clients) and run one
 * at a time (execution_queue.ts); everything else is answered at once (completion,
 * inspection and is-complete are asked of the engine, which answers after the running cell:
 * introspection.ts). Control requests (interrupt, shutdown) never wait for a cell. The
 * engine's start and replacement are engine_slot.ts's, stdin's stdin.ts's.
 */
import type { EngineOptions } from "../engine/shared/protocol.ts";
import type { Message } from "../protocol/jupyter/wire.ts";
import { type Logger, SILENT_LOGGER } from "../telemetry/log.ts";
import { DEBUG_DISABLED, debugUnavailableReply } from "./debugger_info.ts";
import { EngineSlot } from "./engine_slot.ts";
import { ExecutionQueue } from "./execution_queue.ts";
import { type History, historyReply } from "./history.ts";
import { complete, inspect, isComplete } from "./introspection.ts";
import type { KernelDebugger } from "./kernel_debugger.ts";
import { kernelInfo, usageReply } from "./kernel_info.ts";
import {
  INTERRUPT_GRACE_MS,
  type KernelOptions,
  type KernelStats,
  type KernelTransport,
} from "./kernel_options.ts";
import { Outbox } from "./outbox.ts";
import { type Channel, clientKey, type ClientRequest, num, str } from "./request.ts";
import { StdinBroker } from "./stdin.ts";
import { startSpan } from "../telemetry/tracing.ts";
import { requestAttributes } from "./request_span.ts";

/** What a running cell was asked to stop for, and what it then failed to do. */
type Stop = "interrupt" | "restart" | "timeout";
const STOPS: Record<Stop, string> = {
  interrupt: "respond to the interrupt",
  restart: "respond to the restart",
  timeout: "stop at its time limit",
};

export class Kernel {
  readonly kernelId: string;
  readonly session: string;
  readonly #options: KernelOptions;
  readonly #log: Logger;
  readonly #out: Outbox;
  readonly #engines: EngineSlot;
  readonly #cells: ExecutionQueue;
  readonly #stdin: StdinBroker;
  /** The cell whose interrupt is being repeated until it ends. */
  #interrupting: { cell: ClientRequest; timer: ReturnType<typeof setInterval> } | undefined;
  /** The cell an interrupt or restart waits for, and the timer that checks it (#watch). */
  #watchdog: { cell: ClientRequest; timer: ReturnType<typeof setTimeout> } | undefined;
  /** An engine found wedged is being given up (#wedge) until this settles. */
  #wedging: Promise<void> | undefined;
  /**
   * Requests that came since the engine was found wedged (#wedge), held for the engine that
   * replaces it: with a process image being replaced, for the new image (takeHeld).
   */
  #held: ClientRequest[] | undefined;
  /** A restart is under way (it makes the fresh engine). */
  #restarting = false;
  #historyOpened: Promise<History | undefined> | undefined;
  #closed = false;
  readonly #startedAt: Date;
  /**
   * The debug session (debug_request, debug_event): kernel_debugger.ts, loaded at the first
   * debug_request (a kernel's start-up does not wait for it).
   */
  #debugger: KernelDebugger | undefined;
  #debuggerLoad: Promise<KernelDebugger> | undefined;

  constructor(transport: KernelTransport, options: KernelOptions) {
    this.#options = options;
    this.kernelId = options.kernelId;
    this.#startedAt = options.startedAt ?? new Date();
    this.session = options.session ?? crypto.randomUUID();
    this.#log = options.logger ?? SILENT_LOGGER;
    this.#out = new Outbox(transport, this.session, options.byteExact === true);
    this.#stdin = new StdinBroker(this.#out, this.#log);
    this.#engines = new EngineSlot({
      engine: options.engine,
      deferStart: options.deferEngineStart,
      engineOptions: () => this.#options.engineOptions,
      onTimeLimit: (id) => {
        // A cell at its time limit must end like an interrupted one (#watch).
        const running = this.#cells.running;
        if (running && id === this.#cells.runningExec) this.#watch(running, "timeout");
      },
    });
    this.#cells = new ExecutionQueue({
      out: this.#out,
      engines: this.#engines,
      stdin: this.#stdin,
      log: this.#log,
      coalesceStreams: options.coalesceStreams === true,
      history: () => this.#history(),
      chunkName: (code) => this.#debugger?.cellChunkName(code),
      closed: () => this.#closed,
    });
  }

  /** Resolves once the engine can run code; publishes status starting → idle. */
  async ready(): Promise<void> {
    this.#out.publish("status", { execution_state: "starting" });
    await this.#engines.ready;
    this.#out.publish("status", { execution_state: "idle" });
  }

  stats(): KernelStats {
    return {
      state: this.#cells.running ? "busy" : "idle",
      executions: this.#cells.executions,
      queued: this.#cells.queued,
      startedAt: this.#startedAt,
    };
  }

  // ---- incoming ----

  /** Handles one decoded message. Never throws: a failing handler is logged. */
  receive(channel: Channel, identities: Uint8Array[], message: Message): void {
    if (this.#closed) return;
    const req: ClientRequest = { channel, identities, message, client: clientKey(identities) };
    const type = message.header.msg_type;
    if (channel === "stdin") {
      if (type === "input_reply") this.#stdin.onReply(req);
      else this.#log.debug(`kernel: ignoring ${type} on stdin`);
      return;
    }
    if (this.#held) {
      this.#held.push(req);
      return;
    }
    if (type === "execute_request") {
      // A deferred engine starts for a cell as for any other request (#handle).
      this.#engines.startNow();
      this.#cells.push(req);
      return;
    }
    const span = startSpan(`llmspell.${type}`, requestAttributes(req), { kind: "server" });
    this.#handle(req).catch((e) => {
      span.fail("internal", e instanceof Error ? e.message : String(e));
      this.#log.warn(`kernel: ${type} failed: ${e instanceof Error ? e.stack ?? e.message : e}`);
    }).finally(() => span.end());
  }

  /** A client went away: its queued cells are dropped, a wait for its input ends. */
  clientGone(identities: Uint8Array[]): void {
    const dropped = this.#cells.drop(clientKey(identities));
    if (dropped > 0) {
      this.#log.info(`kernel: dropped ${dropped} queued cell(s) of a departed client`);
    }
  }

  /** A client left stdin: a wait for its input ends as end of input. */
  stdinGone(identities: Uint8Array[]): void {
    this.#stdin.clientLeft(clientKey(identities));
  }

  async #handle(req: ClientRequest): Promise<void> {
    const out = this.#out;
    const type = req.message.header.msg_type;
    const parent = req.message.header;
    const c = req.message.content;
    if (type !== "kernel_info_request") this.#engines.startNow();
    switch (type) {
      case "kernel_info_request":
        out.publish("status", { execution_state: "busy" }, parent);
        out.reply(req, kernelInfo());
        out.publish("status", { execution_state: "idle" }, parent);
        this.#engines.startNow();
        return;
      case "interrupt_request":
        this.interrupt();
        out.reply(req, { status: "ok" });
        return;
      case "shutdown_request": {
        const restart = c.restart === true;
        out.reply(req, { status: "ok", restart });
        out.publish("shutdown_reply", { status: "ok", restart }, parent);
        if (restart) await this.restart();
        else this.#options.onShutdown?.();
        return;
      }
      case "comm_info_request":
        out.reply(req, { status: "ok", comms: {} });
        return;
      case "comm_open":
        // No comm targets: the protocol says to close the comm at once.
        out.publish("comm_close", { comm_id: str(c.comm_id), data: {} }, parent);
        this.#log.debug(`kernel: no comm target ${JSON.stringify(c.target_name)}; closed`);
        return;
      case "comm_msg":
      case "comm_close":
        return;
      case "connect_request":
        out.reply(req, { status: "ok", ...(this.#options.connectInfo ?? {}) });
        return;
      case "usage_request":
        out.reply(
          req,
          usageReply({
            kernelId: this.kernelId,
            busy: this.#cells.running !== undefined,
            executions: this.#cells.executions,
            executionCount: this.#cells.count,
            queued: this.#cells.queued,
            startedAt: this.#startedAt,
            clients: this.#options.clients?.() ?? 0,
          }),
        );
        return;
      case "debug_request":
        // Busy and idle around it, as ipykernel does: JupyterLab's requestDebug is done (and
        // its debugger goes on) only once the idle status of its request came.
        out.publish("status", { execution_state: "busy" }, parent);
        if (this.#options.engineOptions.debug !== true) {
          out.reply(req, debugUnavailableReply(c, DEBUG_DISABLED));
        } else {
          const debug = await this.#kernelDebugger().catch((e) => String(e));
          out.reply(
            req,
            typeof debug === "string"
              ? debugUnavailableReply(c, `the debugger did not load: ${debug}`)
              : await debug.handle(req.message.header.session, c),
          );
        }
        out.publish("status", { execution_state: "idle" }, parent);
        return;
    }
    out.publish("status", { execution_state: "busy" }, parent);
    const ask = this.#engines.query.bind(this.#engines);
    try {
      switch (type) {
        case "complete_request":
          out.reply(req, await complete(ask, str(c.code), num(c.cursor_pos, -1)));
          break;
        case "inspect_request":
          out.reply(
            req,
            await inspect(ask, str(c.code), num(c.cursor_pos, -1), num(c.detail_level, 0)),
          );
          break;
        case "is_complete_request":
          out.reply(req, await isComplete(ask, str(c.code)));
          break;
        case "history_request":
          out.reply(req, historyReply(await this.#history(), c));
          break;
        default:
          this.#log.debug(`kernel: unknown message type ${JSON.stringify(type)} on ${req.channel}`);
      }
    } finally {
      out.publish("status", { execution_state: "idle" }, parent);
    }
  }

  #history(): Promise<History | undefined> {
    return this.#historyOpened ??= this.#options.openHistory?.() ?? Promise.resolve(undefined);
  }

  // ---- lifecycle ----

  /**
   * Interrupts the running cell (and a wait for input). If the cell has not ended within
   * the grace time, its engine is wedged (#wedge).
   */
  interrupt(why: Stop = "interrupt"): void {
    const engine = () => this.#engines.engine;
    engine().interrupt(this.#cells.runningExec || undefined);
    // Before the cell is handed to the engine its execution id is unknown, and the worker
    // drops a signal that is not for the chunk it starts: repeat the interrupt until this
    // cell has ended. Each names this cell's execution, so a late one never reaches a cell
    // handed over after it (ExecutionQueue #prefetch).
    const cell = this.#cells.running;
    if (!cell) return;
    this.#watch(cell, why);
    if (this.#interrupting?.cell === cell) return;
    this.#stopInterrupting();
    const timer = setInterval(() => {
      if (this.#cells.running === cell) engine().interrupt(this.#cells.runningExec || undefined);
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
    this.#engines.engine.setTimeoutMs(options.timeoutMs);
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
  #watch(cell: ClientRequest, why: Stop): void {
    if (this.#watchdog?.cell === cell) return;
    const grace = this.#options.interruptGraceMs ?? INTERRUPT_GRACE_MS;
    const check = () => {
      const exec = this.#cells.runningExec;
      if (this.#cells.running !== cell || this.#closed) {
        this.#watchdog = undefined;
      } else if (exec !== 0 && this.#engines.engine.signalPending(exec)) {
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
    const resume = this.#cells.pause();
    // What comes from now on waits for the next engine. Replacing the process, this image
    // would otherwise take requests it can no longer answer (a cell sent right after the
    // error reply waited in the paused queue and went with the image): the new image answers
    // them (docs/decisions/0028-requests-survive-a-wedge.md).
    this.#held = [];
    // Questions put to the wedged engine before (completion, inspection) get its empty
    // answer now: it would never give another, and they were read by this image.
    this.#engines.abandonQueries();
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
      this.#cells.abortAll(true);
      this.#stdin.end();
      const ended = this.#cells.whenCellEnds();
      // The running cell's execution reports this error (IOPub error, execute_reply).
      this.#engines.engine.abandon(why === "timeout" ? "timeout" : "interrupted", message);
      await ended;
      if (replace) {
        this.#out.publish("status", { execution_state: "restarting" });
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
      const held = this.#held;
      this.#held = undefined;
      resume();
      for (const r of held) this.receive(r.channel, r.identities, r.message);
    }
  }

  /**
   * The requests held since the engine was found wedged (#wedge), in the order they came,
   * for the process image that replaces this one: this image answers none of them.
   */
  takeHeld(): ClientRequest[] {
    const held = this.#held ?? [];
    if (this.#held) this.#held = [];
    return held;
  }

  /**
   * A fresh Lua state on the same transport, with the current configuration; queued cells
   * are aborted. A running cell is interrupted first and waited for: one that does not end
   * in the grace time wedged its engine (#wedge), and the process is replaced.
   */
  async restart(): Promise<void> {
    const resume = this.#cells.pause();
    this.#restarting = true;
    try {
      await this.#reloadEngineOptions();
      this.#cells.abortAll(false);
      this.#stdin.end();
      if (this.#cells.running) {
        const ended = this.#cells.whenCellEnds();
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

  #kernelDebugger(): Promise<KernelDebugger> {
    return this.#debuggerLoad ??= import("./kernel_debugger.ts").then(({ KernelDebugger }) =>
      this.#debugger = new KernelDebugger({
        engine: () => this.#engines.engine,
        publish: (content) => this.#out.publish("debug_event", content),
      })
    );
  }

  /** Replaces the engine with a fresh one (a new Lua state) and waits until it is ready. */
  async #renew(): Promise<void> {
    this.#stopInterrupting();
    const old = this.#engines.replace();
    this.#debugger?.engineReplaced();
    this.#cells.resetCount();
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
    const running = this.#cells.running;
    this.#cells.abortAll(true);
    this.interrupt();
    this.#stdin.end();
    this.#closed = true;
    if (running) {
      // Let the interrupted cell finish its reply (bounded).
      const deadline = Date.now() + 2000;
      while (this.#cells.running && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    this.#stopInterrupting();
    this.#debugger?.dispose();
    clearTimeout(this.#watchdog?.timer);
    this.#engines.close();
  }
}
