/**
 * A stop: the program is stopped inside the hook (or a message handler); the debugger says
 * so with a `stopped` event, then blocks on the request channel and answers requests until
 * one resumes. An interrupt while stopped ends the run (as `terminate` does).
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { HookMask } from "../../engine/vm/lua_h.ts";
import { Control, pendingSignal, raiseSignal, Signal } from "../../engine/shared/protocol.ts";
import type { Frame } from "./frames.ts";
import { StepMode } from "./hook_modes.ts";
import type { DebuggerParts } from "./parts.ts";

/** How often a stopped worker looks at the interrupt signal between requests. */
const SIGNAL_CHECK_MS = 250;

export interface Stopped {
  L: number;
  frames: Frame[];
  exception?: { message: string; trace: string };
}

export class Stops {
  readonly #d: DebuggerParts;
  /** The stop in progress, if any. */
  stopped: Stopped | null = null;
  /** `terminate` or `disconnect` asked to end the run. */
  terminate = false;

  constructor(parts: DebuggerParts) {
    this.#d = parts;
  }

  /**
   * Stops: announces it, then answers requests until one resumes. `skip` levels are
   * hidden (the message handler's own frame).
   */
  stop(
    L: number,
    skip: number,
    reason: string,
    hitBreakpointIds?: number[],
    text?: string,
    exception?: { message: string; trace: string },
    caught = false,
  ): void {
    const { ctx, modes, frames: framesPart, values, requests } = this.#d;
    if (this.stopped) return;
    modes.clearStep();
    modes.clearPause();
    modes.setPendingFunction(undefined);
    const frames = framesPart.collect(L, skip);
    this.stopped = { L, frames, exception };
    ctx.inHook = true;
    const description = reason === "exception"
      ? (caught ? "Paused on caught error" : "Paused on error")
      : undefined;
    ctx.post({
      type: "event",
      event: "stopped",
      body: {
        reason,
        threadId: 1,
        allThreadsStopped: true,
        hitBreakpointIds,
        text,
        description,
      },
    } as DP.StoppedEvent);
    const control = ctx.host.control;
    let resume = false;
    try {
      while (!resume) {
        const req = ctx.requests.wait(SIGNAL_CHECK_MS) as DP.Request | undefined;
        Atomics.store(control, Control.debug, 0);
        if (req === undefined) {
          if (pendingSignal(control) !== Signal.none) {
            this.terminate = true;
            break;
          }
          continue;
        }
        const r = requests.serveStopped(L, req);
        ctx.respond(req, r.body, r.error);
        resume = r.resume;
      }
    } finally {
      framesPart.free(frames);
      this.stopped = null;
      ctx.inHook = false;
      values.releaseAll(L);
    }
    if (this.terminate) {
      this.terminate = false;
      raiseSignal(control, Signal.interrupt);
      modes.clearStep();
      ctx.wasm._lua_sethook(L, this.#d.filter.hookPtr, HookMask.count, 1);
      modes.markHooked();
      return;
    }
    modes.applyAll(L);
    modes.setLine(L, modes.everyLine || modes.stepMode !== StepMode.none || modes.wantLineNow(L));
  }
}
