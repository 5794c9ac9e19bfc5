/**
 * POSIX paths for the main thread, without node:path: the first Node.js module a thread
 * loads starts Deno's Node.js compatibility layer. The helpers of posix_path.ts, plus what only
 * the main thread needs. See docs/decisions/0001-no-node-modules-on-start-up.md.
 */
import { resolve } from "./posix_path.ts";

export { basename, dirname, join, resolve } from "./posix_path.ts";

export function isAbsolute(p: string): boolean {
  return p.startsWith("/");
}

/** Like node:path relative: the path from `from` to `to` ("" when they are the same). */
export function relative(from: string, to: string): string {
  const f = resolve(from).split("/").filter((s) => s !== "");
  const t = resolve(to).split("/").filter((s) => s !== "");
  let i = 0;
  while (i < f.length && i < t.length && f[i] === t[i]) i++;
  return [...f.slice(i).map(() => ".."), ...t.slice(i)].join("/");
}
