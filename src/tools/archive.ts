/**
 * `archive_handler`: lists, extracts and creates zip (npm:fflate), tar and tar.gz (npm:nanotar,
 * gzip by the platform's CompressionStream) archives inside the sandbox's allowed paths. An
 * entry that would land outside the destination (an absolute name, `..`) is refused, and the
 * total size extracted is bounded (`[tools.archive_handler] max_bytes`, default 100 MiB) so
 * that a zip bomb fails with a message instead of filling the disk.
 *
 * @module
 */
import { unzipSync, zipSync } from "fflate";
import { createTar, createTarGzip, parseTar, parseTarGzip } from "nanotar";
import { type JsonObject, type ToolContext, ToolError } from "./types.ts";

type Format = "zip" | "tar" | "tar.gz";

interface Entry {
  name: string;
  data?: Uint8Array;
  directory: boolean;
}

function formatOf(params: JsonObject, path: string): Format {
  const f = params.format;
  if (f === "zip" || f === "tar" || f === "tar.gz") return f;
  if (/\.zip$/i.test(path)) return "zip";
  if (/\.(tar\.gz|tgz)$/i.test(path)) return "tar.gz";
  if (/\.tar$/i.test(path)) return "tar";
  throw new ToolError(
    `archive_handler: cannot tell the format of '${path}': name it .zip, .tar, .tar.gz or give format`,
  );
}

async function read(path: string, format: Format): Promise<Entry[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new ToolError(`archive_handler: ${path}: ${(e as Error).message}`);
  }
  try {
    if (format === "zip") {
      return Object.entries(unzipSync(bytes)).map(([name, data]) => ({
        name,
        data: name.endsWith("/") ? undefined : data,
        directory: name.endsWith("/"),
      }));
    }
    const items = format === "tar" ? parseTar(bytes) : await parseTarGzip(bytes);
    return items
      .filter((i) => i.type === "file" || i.type === "directory")
      .map((i) => ({ name: i.name, data: i.data, directory: i.type === "directory" }));
  } catch (e) {
    throw new ToolError(
      `archive_handler: ${path} is not a valid ${format} archive (${(e as Error).message})`,
    );
  }
}

/** The entry's path under `dest`, or an error for a name that escapes it. */
function inside(dest: string, name: string): string {
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name) || parts.includes("..")) {
    throw new ToolError(
      `archive_handler: entry '${name}' would be written outside the destination`,
    );
  }
  return [dest, ...parts].join("/");
}

async function collect(base: string, rel: string, ctx: ToolContext, out: Entry[]): Promise<void> {
  const full = ctx.checkPath(`${base}/${rel}`);
  const info = await Deno.stat(full);
  if (info.isDirectory) {
    out.push({ name: rel.replace(/\/?$/, "/"), directory: true });
    const names: string[] = [];
    for await (const e of Deno.readDir(full)) names.push(e.name);
    for (const n of names.sort()) await collect(base, `${rel}/${n}`, ctx, out);
  } else if (info.isFile) {
    out.push({ name: rel, data: await Deno.readFile(full), directory: false });
  }
}

export async function run(params: JsonObject, ctx: ToolContext): Promise<JsonObject> {
  const path = ctx.checkPath(String(params.path));
  const format = formatOf(params, path);
  const maxBytes = typeof ctx.settings.max_bytes === "number" ? ctx.settings.max_bytes : 100 << 20;
  switch (params.operation) {
    case "list": {
      const entries = await read(path, format);
      return {
        path,
        format,
        entries: entries.map((e) => ({
          name: e.name,
          type: e.directory ? "directory" : "file",
          size: e.data?.length ?? 0,
        })),
      };
    }
    case "extract": {
      const dest = ctx.checkPath(typeof params.destination === "string" ? params.destination : ".");
      const entries = await read(path, format);
      const total = entries.reduce((n, e) => n + (e.data?.length ?? 0), 0);
      if (total > maxBytes) {
        throw new ToolError(
          `archive_handler: ${path} holds ${total} bytes, over the limit of ${maxBytes} ([tools.archive_handler] max_bytes)`,
        );
      }
      const targets = entries.map((e) => ({ e, to: inside(dest, e.name) })); // all checked first
      const written: string[] = [];
      for (const { e, to } of targets) {
        ctx.signal.throwIfAborted();
        if (e.directory) {
          await Deno.mkdir(to, { recursive: true });
          continue;
        }
        await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
        await Deno.writeFile(to, e.data ?? new Uint8Array());
        written.push(e.name);
      }
      return { path, format, destination: dest, files: written, bytes: total };
    }
    case "create": {
      if (!Array.isArray(params.files) || params.files.length === 0) {
        throw new ToolError("archive_handler: create needs files (a list of paths)");
      }
      const base = ctx.checkPath(typeof params.base === "string" ? params.base : ".");
      const entries: Entry[] = [];
      for (const f of params.files) {
        const rel = String(f).replace(/^\.\//, "").replace(/\/$/, "");
        inside(base, rel);
        await collect(base, rel, ctx, entries);
      }
      let bytes: Uint8Array;
      if (format === "zip") {
        const files: Record<string, Uint8Array> = {};
        for (const e of entries) files[e.name] = e.directory ? new Uint8Array() : e.data!;
        bytes = zipSync(files);
      } else {
        const items = entries.map((e) =>
          e.directory ? { name: e.name } : { name: e.name, data: e.data }
        );
        bytes = format === "tar" ? createTar(items) : await createTarGzip(items);
      }
      await Deno.writeFile(path, bytes);
      return {
        path,
        format,
        files: entries.filter((e) => !e.directory).map((e) => e.name),
        bytes: bytes.length,
      };
    }
  }
  throw new ToolError(`archive_handler: unknown operation '${params.operation}'`);
}
