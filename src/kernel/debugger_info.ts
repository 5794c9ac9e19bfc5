/**
 * What the kernel says about JupyterLab's debugger. The kernel serves DAP and JupyterLab's
 * own requests (debugInfo, dumpCell, ...) over debug_request (kernel_debugger.ts), so it
 * advertises a debugger: the kernelspec's `metadata.debugger` and kernel_info's `debugger`
 * both come from DEBUGGER, so they cannot disagree. A debug_request the kernel cannot serve
 * is answered at once with an error, so that a client is not left waiting for a reply.
 */
import type { JsonObject } from "../protocol/jupyter/wire.ts";

export const DEBUGGER = true;

export const DEBUG_DISABLED = "debugging is disabled in this kernel's configuration " +
  "(debug.enabled = false)";

/**
 * The debug_reply to `request` (a DAP request): a failed DAP response for its command, with
 * Jupyter's error fields beside it (status, ename, evalue, traceback).
 */
export function debugUnavailableReply(
  request: JsonObject,
  why: string,
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
