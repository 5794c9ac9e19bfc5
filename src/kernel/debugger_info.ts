/**
 * What the kernel says about the Jupyter debugger (debug_request: DAP over the control
 * channel), which is not implemented yet. The kernelspec's `metadata.debugger` and
 * kernel_info's `debugger` both come from DEBUGGER, so they cannot disagree; and every
 * debug_request is answered at once with an error, so that a client that asks anyway
 * (JupyterLab does when a user toggles the debugger) is not left waiting for a reply.
 */
import type { JsonObject } from "../protocol/jupyter/wire.ts";

export const DEBUGGER = false;

export const DEBUGGER_UNAVAILABLE = "the Jupyter debugger protocol is not available yet " +
  "in llmspell (use `llmspell debug FILE` in a terminal)";

/**
 * The debug_reply to `request` (a DAP request): a failed DAP response for its command, with
 * Jupyter's error fields beside it (status, ename, evalue, traceback).
 */
export function debugUnavailableReply(
  request: JsonObject,
  why = DEBUGGER_UNAVAILABLE,
): JsonObject {
  return {
    status: "error",
    ename: "DebuggerUnavailable",
    evalue: why,
    traceback: [],
    type: "response",
    seq: 0,
    request_seq: typeof request.seq === "number" ? request.seq : 0,
    success: false,
    command: typeof request.command === "string" ? request.command : "",
    message: why,
  };
}
