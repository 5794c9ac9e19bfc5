/**
 * `run`/`exec --connect ADDR`: the chunk runs on a kernel over ZMTP (connected.ts renders
 * the cell as for an embedded run).
 */
import { ExitCode } from "../errors.ts";
import { attachKernel } from "./attach.ts";
import { runCell } from "./connected.ts";
import type { CliContext } from "./context.ts";
import { writeErr } from "../frontend/output.ts";
import { formatLuaError, INTERRUPTED } from "../frontend/cell.ts";
import type { ScriptInput } from "./script.ts";

export async function runConnected(ctx: CliContext, input: ScriptInput): Promise<number> {
  const started = performance.now();
  // A kernel that dies fails the cell with `kernel died` (exit 1).
  const client = await attachKernel(ctx, input.connect!);
  // Ctrl+C interrupts the cell on the kernel; a second one leaves.
  let interrupted = false;
  const onInt = () => {
    if (interrupted) {
      writeErr(formatLuaError(INTERRUPTED, ctx.colorErr));
      Deno.exit(ExitCode.interrupted);
    }
    interrupted = true;
    client.request("control", "interrupt_request", {}).catch(() => {});
  };
  Deno.addSignalListener("SIGINT", onInt);
  try {
    const code = await runCell(client, ctx, input, started, true);
    return interrupted && code !== ExitCode.ok ? ExitCode.interrupted : code;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    await client.close();
  }
}
