/** Completions the REPL makes itself: file names of .load/.save/.run, debugger commands. */
import { completeCommandWord } from "../debug/console/commands.ts";
import type { Completion } from "./line_editor.ts";

/** File names for .load/.save/.run. */
export async function completePath(partial: string, cursor: number): Promise<Completion> {
  const dir = partial.includes("/") ? partial.slice(0, partial.lastIndexOf("/") + 1) : "";
  const base = partial.slice(dir.length);
  const matches: string[] = [];
  try {
    for await (const e of Deno.readDir(dir === "" ? "." : dir)) {
      if (e.name.startsWith(base) && (base.startsWith(".") || !e.name.startsWith("."))) {
        matches.push(dir + e.name + (e.isDirectory ? "/" : ""));
      }
    }
  } catch {
    // No such directory: nothing to offer.
  }
  matches.sort();
  return { matches, start: cursor - Array.from(partial).length, end: cursor };
}

/** Completion at the (debug) prompt: the command word. */
export function completeDebug(text: string, cursor: number): Completion {
  const before = Array.from(text).slice(0, cursor).join("");
  const m = /^\s*(?:db:)?([A-Za-z]*)$/.exec(before);
  if (!m) return { matches: [], start: cursor, end: cursor };
  const word = m[1];
  return {
    matches: completeCommandWord(word),
    start: cursor - word.length,
    end: cursor,
  };
}
