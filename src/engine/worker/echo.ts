/**
 * How a cell echoes its value: the runtime compiles a cell's last line as a `return`, and the
 * debugger compiles a cell's dumped file the same way to find its code lines (a cell that ends
 * in an expression is not a valid chunk as it is).
 */
import { ECHO_GUARD } from "../shared/protocol.ts";

/**
 * What echo puts before an expression: `return`, after a to-be-closed local in scope, which
 * makes Lua compile `return f(x)` as a plain call (lparser.c makes no tail call inside a
 * block with a to-be-closed variable). A tail call would drop the cell's frame from a
 * traceback (`(...tail calls...)` instead of `In[4]:2: in main chunk`) and from the
 * debugger's stack; every value is still returned. On the expression's line, so the cell's
 * line numbers stay. The local is nil, so nothing is closed.
 */
export const ECHO_RETURN = `local ${ECHO_GUARD} <close> = nil return `;

/**
 * The chunk with echo's `return` before its last non-blank line (line numbers kept), or
 * undefined when the chunk has a single line.
 */
export function lastLineAsReturn(code: string): { chunk: string; line: string } | undefined {
  const trimmed = code.replace(/\s+$/, "");
  const nl = trimmed.lastIndexOf("\n");
  if (nl < 0) return undefined;
  const line = trimmed.slice(nl + 1);
  return { chunk: trimmed.slice(0, nl + 1) + ECHO_RETURN + line, line };
}
