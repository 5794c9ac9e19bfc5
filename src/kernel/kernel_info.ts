/** The kernel's self-description: kernel_info_reply and usage_reply. */
import type { JsonObject } from "../protocol/jupyter/wire.ts";
import { PROTOCOL_VERSION } from "../protocol/jupyter/wire.ts";
import { VERSION } from "../version.ts";
import { DEBUGGER } from "./debugger_info.ts";

/** kernel_info_reply's content. */
export function kernelInfo(): JsonObject {
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "llmspell",
    implementation_version: VERSION,
    language_info: {
      name: "lua",
      version: "5.4",
      mimetype: "text/x-lua",
      file_extension: ".lua",
      codemirror_mode: "lua",
      pygments_lexer: "lua",
    },
    banner: `llmspell ${VERSION} — Lua 5.4 kernel\n` +
      "display(v [, mime]), clear_output(), input(prompt); Shift+Tab shows docs",
    help_links: [
      { text: "Lua 5.4 Reference Manual", url: "https://www.lua.org/manual/5.4/" },
      { text: "Programming in Lua", url: "https://www.lua.org/pil/" },
    ],
    supported_features: [],
    debugger: DEBUGGER,
  };
}

/** What usage_reply tells of the kernel besides the process's figures. */
export interface KernelUsage {
  kernelId: string;
  busy: boolean;
  executions: number;
  executionCount: number;
  queued: number;
  startedAt: Date;
  clients: number;
}

/** usage_reply's content (the CLI's kernel commands read its llmspell part). */
export function usageReply(u: KernelUsage): JsonObject {
  const mem = Deno.memoryUsage();
  return {
    status: "ok",
    hostname: Deno.hostname(),
    pid: Deno.pid,
    kernel_memory: mem.rss,
    llmspell: {
      kernel_id: u.kernelId,
      state: u.busy ? "busy" : "idle",
      executions: u.executions,
      execution_count: u.executionCount,
      queued: u.queued,
      started_at: u.startedAt.toISOString(),
      uptime_s: (Date.now() - u.startedAt.getTime()) / 1000,
      memory_bytes: mem.rss,
      clients: u.clients,
    },
  };
}
