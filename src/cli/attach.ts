/**
 * `--connect ADDR` (run, exec, repl, kernel connect): a client on that kernel, watched
 * (client/heartbeat.ts), so that a kernel that dies fails what waits on it with
 * `kernel died` instead of leaving the command hanging.
 */
import { KernelClient } from "../client/client.ts";
import { resolvePaths } from "../config/paths.ts";
import { LlmspellError } from "../errors.ts";
import { isAlive, removeKernelFiles, resolveAddress } from "../kernel/registry.ts";
import type { CliContext } from "./context.ts";

export async function attachKernel(
  ctx: CliContext,
  addr: string,
  onDied?: (reason: LlmspellError) => void,
): Promise<KernelClient> {
  const { runtimeDir } = resolvePaths(ctx.env, ctx.cwd);
  const { info, meta } = await resolveAddress(runtimeDir, addr, ctx.cwd);
  if (meta && !isAlive(meta)) {
    await removeKernelFiles(runtimeDir, meta);
    throw new LlmspellError({
      code: "kernel_dead",
      message: `kernel ${meta.id} is not running (its files were removed)`,
      hint: "start one with `llmspell kernel start --daemon`",
    });
  }
  const client = await KernelClient.connect(info);
  client.watch({ processAlive: meta && (() => isAlive(meta)), pid: meta?.pid, onDied });
  return client;
}
