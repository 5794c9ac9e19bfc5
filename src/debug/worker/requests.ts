/**
 * The request table: each DAP command the worker serves, with how it is served in each state
 * of the program: idle (between executions, at a `debugPoke`), running (a poked hook) or
 * stopped (the stop's loop, stops.ts). A command served the same way in every state is
 * under `any`; one not in a state's column gets that state's error.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { isLuaUnwind } from "../../engine/vm/capi.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import { Control, raiseSignal, Signal } from "../../engine/shared/protocol.ts";
import type { Frame } from "./frames.ts";
import { StepMode } from "./hook_modes.ts";
import type { DebuggerParts } from "./parts.ts";

const { AR_CI } = Lua;

type State = "idle" | "running" | "stopped";

interface Served {
  body?: unknown;
  error?: string;
  /** Stopped: the program resumes after the response. */
  resume?: boolean;
  /** Runs after the response is sent. */
  after?: () => void;
}

// deno-lint-ignore no-explicit-any
type Handler = (L: number, args: any) => Served;

type Row = Partial<Record<State | "any", Handler>>;

/** The error of a command the state does not serve. */
const REFUSED: Record<State, (command: string) => string> = {
  idle: (command) => `${command}: the program is not stopped`,
  running: () => "the program is running",
  stopped: (command) => `unsupported request ${command}`,
};

export class Requests {
  readonly #d: DebuggerParts;
  readonly #table: Record<string, Row>;

  constructor(parts: DebuggerParts) {
    this.#d = parts;
    this.#table = this.#makeTable();
  }

  #makeTable(): Record<string, Row> {
    const d = this.#d;
    const stopped = () => d.stops.stopped!;
    const frameById = (id: number): Frame | undefined => stopped().frames.find((x) => x.id === id);
    const step = (mode: number) => (L: number): Served => {
      const frames = stopped().frames;
      const top = frames.find((f) => !f.isC) ?? frames[0];
      if (!top) return { body: {}, resume: true };
      const ci = d.ctx.wasm.HEAP32[(top.ar + AR_CI) >> 2];
      d.modes.startStep(mode, L, d.ctx.depth(ci) - (mode === StepMode.over ? 0 : 1));
      return { body: {}, resume: true };
    };
    const end = (): Served => {
      d.stops.terminate = true;
      return { body: {}, resume: true };
    };
    return {
      setBreakpoints: { any: (L, args) => ({ body: d.breakpoints.setBreakpoints(L, args) }) },
      setFunctionBreakpoints: {
        any: (L, args) => ({ body: d.breakpoints.setFunctionBreakpoints(L, args) }),
      },
      setExceptionBreakpoints: {
        any: (L, args) => {
          d.breakpoints.setExceptionBreakpoints(L, args);
          return { body: {} };
        },
      },
      threads: { any: () => ({ body: { threads: [{ id: 1, name: "main" }] } }) },
      configurationDone: { any: () => ({ body: {} }) },
      breakpointLocations: {
        any: (L, args) => ({ body: d.breakpoints.breakpointLocations(L, args) }),
      },
      inspectVariables: {
        // Jupyter's request: the user's globals, without the standard library's names.
        any: (L) => {
          const frame: Frame = { id: 0, ar: 0, level: 0, name: "", line: 0, isC: true };
          const ref = d.values.reference({ kind: "globals", frame, userOnly: true });
          return { body: { variables: d.values.variables(L, { variablesReference: ref }) } };
        },
      },
      logpointOutput: {
        // A DAP session wants logpoints as output events (with their source and line);
        // the terminal debugger keeps them in the program's stdout, in order with it.
        any: (_L, args) => {
          d.ctx.logEvents = args.events === true;
          return { body: {} };
        },
      },
      pause: {
        // Before a run: stop at its first line.
        idle: () => {
          d.modes.armEntryPause();
          return { body: {} };
        },
        running: (L) => ({
          body: {},
          after: () => {
            d.modes.requestPause("pause");
            d.modes.applyAll(L);
            d.modes.setLine(L, true);
          },
        }),
        stopped: () => ({ body: {} }),
      },
      continue: {
        // Takes back a pause that arrived after the run it was meant for.
        idle: () => {
          d.modes.disarmEntryPause();
          return { body: { allThreadsContinued: true } };
        },
        stopped: () => ({ body: { allThreadsContinued: true }, resume: true }),
      },
      next: { stopped: step(StepMode.over) },
      stepOut: { stopped: step(StepMode.out) },
      stepIn: {
        stopped: () => {
          d.modes.startStepIn();
          return { body: {}, resume: true };
        },
      },
      terminate: {
        idle: () => ({ body: {} }),
        running: () => ({
          body: {},
          after: () => raiseSignal(d.ctx.host.control, Signal.interrupt),
        }),
        stopped: end,
      },
      evaluate: {
        idle: (L, args) => {
          if (args.frameId !== undefined) throw new Error(`no frame ${args.frameId} (not stopped)`);
          return { body: d.evaluator.evaluate(L, args, undefined) };
        },
        stopped: (L, args) => {
          const f = args.frameId !== undefined
            ? frameById(args.frameId)
            : stopped().frames.find((x) => !x.isC);
          if (args.frameId !== undefined && !f) return { error: `no frame ${args.frameId}` };
          return { body: d.evaluator.evaluate(L, args, f) };
        },
      },
      richInspectVariables: {
        idle: (L, args) => {
          if (args.frameId !== undefined) throw new Error(`no frame ${args.frameId} (not stopped)`);
          return { body: d.evaluator.richInspect(L, args, undefined) };
        },
        stopped: (L, args) => {
          const f = args.frameId !== undefined ? frameById(args.frameId) : undefined;
          if (args.frameId !== undefined && !f) return { error: `no frame ${args.frameId}` };
          return { body: d.evaluator.richInspect(L, args, f) };
        },
      },
      variables: { idle: variables, stopped: variables },
      stackTrace: {
        stopped: (_L, args) => ({ body: d.frames.stackTrace(stopped().frames, args) }),
      },
      scopes: {
        stopped: (_L, args) => {
          const f = frameById(args.frameId);
          if (!f) return { error: `no frame ${args.frameId}` };
          return { body: d.frames.scopes(f) };
        },
      },
      setVariable: {
        stopped: (L, args) => ({ body: d.evaluator.setVariable(L, args, stopped().frames) }),
      },
      exceptionInfo: {
        stopped: () => {
          const ex = stopped().exception;
          if (!ex) return { error: "not stopped on an error" };
          return {
            body: {
              exceptionId: "error",
              description: ex.message,
              breakMode: d.breakpoints.breakAll ? "always" : "unhandled",
              details: { message: ex.message, stackTrace: ex.trace },
            },
          };
        },
      },
    };

    function variables(L: number, args: DP.VariablesArguments): Served {
      return { body: { variables: d.values.variables(L, args) } };
    }
  }

  /** Serves `req` in `state`; an error thrown becomes the error response. */
  #serve(state: State, L: number, req: DP.Request): Served {
    const command = req.command === "disconnect" ? "terminate" : req.command;
    const row = this.#table[command];
    const handler = row?.any ?? row?.[state];
    if (!handler) return { error: REFUSED[state](req.command) };
    try {
      return handler(L, req.arguments ?? {});
    } catch (e) {
      if (isLuaUnwind(e)) throw e;
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }

  /** A request arrived while the engine is idle (between executions). */
  serveIdle(): void {
    const ctx = this.#d.ctx;
    // Taken here: no poke needs to deliver it any more (the engine handle stops re-poking).
    Atomics.store(ctx.host.control, Control.debug, 0);
    const req = ctx.requests.take() as DP.Request | undefined;
    if (!req) return;
    const r = this.#serve("idle", ctx.host.L0, req);
    ctx.respond(req, r.body, r.error);
    r.after?.();
  }

  /**
   * A request arrived while Lua runs (seen by the count or call hook), or while it waits for
   * a host call's answer (api_globals.ts: no hook runs then).
   */
  serveRunning(L: number): void {
    const ctx = this.#d.ctx;
    Atomics.store(ctx.host.control, Control.debug, 0);
    if (this.#d.stops.stopped || ctx.inHook) return;
    const req = ctx.requests.take() as DP.Request | undefined;
    if (!req) return;
    ctx.inHook = true;
    try {
      const r = this.#serve("running", L, req);
      ctx.respond(req, r.body, r.error);
      r.after?.();
    } finally {
      ctx.inHook = false;
    }
  }

  /** A request while stopped: whether the program resumes after its response. */
  serveStopped(L: number, req: DP.Request): { body?: unknown; error?: string; resume: boolean } {
    const r = this.#serve("stopped", L, req);
    return { body: r.body, error: r.error, resume: r.resume === true };
  }
}
