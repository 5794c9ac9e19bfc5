/**
 * `file_operations`: files on the real disk, bounded by the sandbox like the script's own io
 * (safe: inside [runtime.security] allowed_paths and the script's directory).
 *
 * @module
 */
import { type JsonObject, type ToolContext, ToolError } from "./types.ts";

export async function run(params: JsonObject, ctx: ToolContext): Promise<JsonObject> {
  const p = ctx.checkPath(String(params.path));
  try {
    switch (params.operation) {
      case "read":
        return { path: p, content: await Deno.readTextFile(p) };
      case "write":
      case "append": {
        if (typeof params.content !== "string") {
          throw new ToolError(`file_operations: ${params.operation} needs content`);
        }
        await Deno.writeTextFile(p, params.content, { append: params.operation === "append" });
        return { path: p, bytes: new TextEncoder().encode(params.content).length };
      }
      case "list": {
        const entries = [];
        for await (const e of Deno.readDir(p)) {
          entries.push({
            name: e.name,
            type: e.isDirectory ? "directory" : e.isFile ? "file" : "other",
          });
        }
        entries.sort((a, b) => a.name < b.name ? -1 : 1);
        return { path: p, entries };
      }
      case "exists":
        try {
          await Deno.lstat(p);
          return { path: p, exists: true };
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) return { path: p, exists: false };
          throw e;
        }
      case "stat": {
        const s = await Deno.stat(p);
        return {
          path: p,
          type: s.isDirectory ? "directory" : s.isFile ? "file" : "other",
          size: s.size,
          modified: s.mtime?.toISOString() ?? null,
        };
      }
      case "delete":
        await Deno.remove(p);
        return { path: p, deleted: true };
      case "mkdir":
        await Deno.mkdir(p, { recursive: true });
        return { path: p, created: true };
    }
  } catch (e) {
    if (e instanceof ToolError) throw e;
    throw new ToolError(
      `file_operations: ${params.operation} ${params.path}: ${e instanceof Error ? e.message : e}`,
    );
  }
  throw new ToolError(`file_operations: unknown operation '${params.operation}'`);
}
