/**
 * POSIX path helpers for either thread, without node:path: the first Node.js module a thread
 * loads starts Deno's Node.js compatibility layer. The engine worker imports this module; the
 * main thread imports src/path.ts, which adds to it.
 * See docs/decisions/0001-no-node-modules-on-start-up.md.
 */

/** Removes ".", "..", and repeated slashes. */
export function normalize(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else {
      out.push(part);
    }
  }
  const s = out.join("/");
  return abs ? "/" + s : s || ".";
}

/** Like node:path resolve: the last absolute part and what follows it, normalized. */
export function resolve(...parts: string[]): string {
  let p = "";
  for (let i = parts.length - 1; i >= 0 && !p.startsWith("/"); i--) {
    if (parts[i] === "") continue;
    p = p === "" ? parts[i] : `${parts[i]}/${p}`;
  }
  if (!p.startsWith("/")) p = `${Deno.cwd()}/${p}`;
  return normalize(p);
}

export function join(...parts: string[]): string {
  return normalize(parts.filter((x) => x !== "").join("/"));
}

export function dirname(p: string): string {
  const n = p.length > 1 ? p.replace(/\/+$/, "") : p;
  const i = n.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : n.slice(0, i);
}

export function basename(p: string): string {
  const n = p.length > 1 ? p.replace(/\/+$/, "") : p;
  return n.slice(n.lastIndexOf("/") + 1);
}
