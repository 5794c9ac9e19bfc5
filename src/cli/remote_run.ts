/**
 * `run`/`exec --connect ADDR`: the chunk runs on a kernel over ZMTP (connected.ts renders
 * the cell as for an embedded run).
 */
import { KernelClient } from "../client/client.ts";
import { resolvePaths } from "../config/paths.ts";
import { ExitCode } from "../errors.ts";
import { resolveAddress } from "../kernel/registry.ts";
import { runCell } from "./connected.ts";
import type { CliContext } from "./context.ts";
import type { ScriptInput } from "./script.ts";

export async function runConnected(ctx: CliContext, input: ScriptInput): Promise<number> {
  const started = performance.now();
  const paths = resolvePaths(ctx.env, ctx.cwd);
  const { info } = await resolveAddress(paths.runtimeDir, input.connect!, ctx.cwd);
  const client = await KernelClient.connect(info);
  // Ctrl+C interrupts the cell on the kernel; a second one leaves.
  let interrupted = false;
  const onInt = () => {
    if (interrupted) Deno.exit(ExitCode.interrupted);
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
