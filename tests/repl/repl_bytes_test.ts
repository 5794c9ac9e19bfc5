/**
 * The REPL in a real terminal (tmux) keeps typed or pasted bytes that are not UTF-8: they
 * reach Lua as they are, embedded and on a kernel (tests/cli/bytes_test.ts has the pipe).
 */
import { tempDir } from "../helpers/cli.ts";
import { line, startRepl, withDaemonKernel } from "./helpers.ts";

/** Types `s = "<ff e9 c3 80>"` with raw bytes and checks what Lua holds. */
async function scenario(home: string, connect: string[]): Promise<void> {
  const t = await startRepl(home, connect);
  try {
    await t.type('s = "');
    // Raw bytes, as a terminal in a Latin-1 locale or a paste of binary data sends them.
    await t.send("-H", "ff", "e9", "c3", "80", "c3");
    await t.type('"');
    await t.send("Enter");
    await line(t, "string.byte(s, 1, -1)", /^255\s+233\s+195\s+128\s+195$/m);
  } finally {
    await t.kill();
  }
}

Deno.test("repl in a terminal: typed bytes that are not UTF-8 reach Lua unchanged", async () => {
  const home = await tempDir();
  try {
    await scenario(home, []);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("repl --connect in a terminal: typed bytes that are not UTF-8 reach the kernel's Lua unchanged", async () => {
  const home = await tempDir();
  try {
    await withDaemonKernel(home, (id) => scenario(home, ["--connect", id]));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
