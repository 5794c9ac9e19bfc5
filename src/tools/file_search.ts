/**
 * `file_search`: files under a directory by glob (npm:minimatch, npm's own matcher, an ES
 * module: decision 0023) and, optionally, the lines that match a text or a regular expression. Bounded by
 * the sandbox like `file_operations`; hidden entries and `node_modules`-like folders are walked
 * only when asked; binary and big files are not searched for content.
 *
 * @module
 */
import { minimatch } from "minimatch";
import { type JsonObject, type ToolContext, ToolError } from "./types.ts";

/** Files larger than this are listed but not searched line by line. */
const MAX_CONTENT_BYTES = 1 << 20;
const SKIPPED_DIRS = new Set([".git", "node_modules", ".hg", ".svn"]);

interface Match {
  path: string;
  line: number;
  column: number;
  text: string;
}

function lineMatcher(params: JsonObject): ((line: string) => number) | undefined {
  if (typeof params.content !== "string" || params.content === "") return undefined;
  const ignoreCase = params.ignore_case === true;
  if (params.regex === true) {
    let re: RegExp;
    try {
      re = new RegExp(params.content, ignoreCase ? "i" : "");
    } catch (e) {
      throw new ToolError(
        `file_search: content is not a valid regular expression: ${(e as Error).message}`,
      );
    }
    return (line) => line.search(re);
  }
  const needle = ignoreCase ? params.content.toLowerCase() : params.content;
  return (line) => (ignoreCase ? line.toLowerCase() : line).indexOf(needle);
}

export async function run(params: JsonObject, ctx: ToolContext): Promise<JsonObject> {
  const root = ctx.checkPath(typeof params.path === "string" ? params.path : ".");
  const pattern = typeof params.pattern === "string" ? params.pattern : "**/*";
  const includeHidden = params.include_hidden === true;
  const isMatch = (p: string) => minimatch(p, pattern, { dot: includeHidden });
  const find = lineMatcher(params);
  const maxResults = typeof params.max_results === "number" ? params.max_results : 100;
  const files: string[] = [];
  const matches: Match[] = [];
  let truncated = false;
  let searched = 0;

  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = [];
      for await (const e of Deno.readDir(dir)) entries.push(e);
    } catch (e) {
      if (rel === "") {
        throw new ToolError(`file_search: ${params.path ?? "."}: ${(e as Error).message}`);
      }
      return; // an unreadable subfolder is skipped, as grep -r does
    }
    entries.sort((a, b) => a.name < b.name ? -1 : 1);
    for (const e of entries) {
      if (truncated) return;
      ctx.signal.throwIfAborted();
      if (!includeHidden && e.name.startsWith(".")) continue;
      const relPath = rel === "" ? e.name : `${rel}/${e.name}`;
      const full = `${dir}/${e.name}`;
      if (e.isDirectory) {
        if (!SKIPPED_DIRS.has(e.name) || includeHidden) await walk(full, relPath);
        continue;
      }
      if (!e.isFile || !isMatch(relPath)) continue;
      if (!find) {
        files.push(relPath);
        if (files.length >= maxResults) truncated = true;
        continue;
      }
      const info = await Deno.stat(full);
      if (info.size > MAX_CONTENT_BYTES) continue;
      const bytes = await Deno.readFile(full);
      if (bytes.includes(0)) continue; // binary
      searched++;
      const lines = new TextDecoder().decode(bytes).split(/\r?\n/);
      let hit = false;
      for (let i = 0; i < lines.length; i++) {
        const col = find(lines[i]);
        if (col < 0) continue;
        hit = true;
        matches.push({ path: relPath, line: i + 1, column: col + 1, text: lines[i].slice(0, 500) });
        if (matches.length >= maxResults) {
          truncated = true;
          break;
        }
      }
      if (hit) files.push(relPath);
    }
  };
  await walk(root, "");
  const out: JsonObject = { root, pattern, files, truncated };
  if (find) {
    out.matches = matches as unknown as JsonObject[];
    out.files_searched = searched;
  }
  return out;
}
