/** The process's terminal as the line editor's Terminal (line_editor.ts owns none itself). */
import type { Terminal } from "./line_editor.ts";

/** The real terminal for the line editor. */
export function stdinTerminal(): Terminal {
  const buf = new Uint8Array(4096);
  const enc = new TextEncoder();
  return {
    read: async () => {
      const n = await Deno.stdin.read(buf);
      return n === null ? null : buf.slice(0, n);
    },
    write: (s) => {
      const bytes = enc.encode(s);
      let off = 0;
      while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
    },
    columns: () => {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return 80;
      }
    },
  };
}
