/**
 * `system_monitor`: the machine and this process as numbers a script or a model can act on
 * (load, memory, uptime, disk space of a path, the process's own memory), from node:os and
 * node:fs's statfs.
 *
 * @module
 */
import os from "node:os";
import { statfs } from "node:fs/promises";
import type { JsonObject, ToolContext } from "./types.ts";

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

export async function run(params: JsonObject, ctx: ToolContext): Promise<JsonObject> {
  const [l1, l5, l15] = os.loadavg();
  const cpus = os.cpus().length || navigator.hardwareConcurrency;
  const mem = Deno.systemMemoryInfo();
  const self = Deno.memoryUsage();
  const out: JsonObject = {
    hostname: os.hostname(),
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpus,
    load_average: { "1m": round(l1), "5m": round(l5), "15m": round(l15) },
    load_per_cpu: round(l1 / cpus),
    memory: {
      total_bytes: mem.total,
      available_bytes: mem.available,
      used_percent: round(100 * (1 - mem.available / mem.total), 1),
    },
    uptime_seconds: Math.round(os.uptime()),
    process: { pid: Deno.pid, rss_bytes: self.rss, heap_used_bytes: self.heapUsed },
  };
  const path = ctx.checkPath(typeof params.path === "string" ? params.path : ".");
  const fs = await statfs(path);
  const total = fs.blocks * fs.bsize;
  out.disk = {
    path,
    total_bytes: total,
    free_bytes: fs.bavail * fs.bsize,
    used_percent: total === 0 ? 0 : round(100 * (1 - fs.bavail / fs.blocks), 1),
  };
  return out;
}
