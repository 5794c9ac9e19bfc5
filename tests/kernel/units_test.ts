/** Kernel pieces without a process: fair queue, cursor names, indent, history. */
import { join } from "node:path";
import { codeUnitIndex, nameAt, nameBefore, nextIndent } from "../../src/kernel/code.ts";
import { History } from "../../src/kernel/history.ts";
import { FairQueue } from "../../src/kernel/queue.ts";
import { openStore } from "../../src/store/mod.ts";
import { assertEquals } from "../helpers/assert.ts";
import { tempDir } from "../helpers/cli.ts";

Deno.test("FairQueue serves clients round-robin and drops a client's items", () => {
  const q = new FairQueue<string>();
  for (const x of ["a1", "a2", "a3"]) q.push("a", x);
  q.push("b", "b1");
  q.push("c", "c1");
  q.push("b", "b2");
  assertEquals([q.shift(), q.shift(), q.shift(), q.shift()], ["a1", "b1", "c1", "a2"]);
  assertEquals(q.take("b"), ["b2"]);
  assertEquals([q.shift(), q.shift(), q.size], ["a3", undefined, 0]);
});

Deno.test("names at the cursor for completion and inspection", () => {
  assertEquals(nameBefore("x = string.fo", 13), {
    path: ["string"],
    sep: ".",
    prefix: "fo",
    start: 11,
  });
  assertEquals(nameBefore("obj:gr", 6), { path: ["obj"], sep: ":", prefix: "gr", start: 4 });
  assertEquals(nameBefore("a.b.", 4), { path: ["a", "b"], sep: ".", prefix: "", start: 4 });
  assertEquals(nameBefore("pri", 3), { path: [], sep: "", prefix: "pri", start: 0 });
  assertEquals(nameAt("string.format('%d', 1)", 3), ["string"]);
  assertEquals(nameAt("string.format('%d', 1)", 10), ["string", "format"]);
  assertEquals(nameAt("string.format('%d', ", 20), ["string", "format"]);
  assertEquals(nameAt("  ", 1), undefined);
  assertEquals(codeUnitIndex("é😀x", 2), 3);
});

Deno.test("indent of the next line counts open blocks", () => {
  assertEquals(nextIndent("for i = 1, 2 do"), "  ");
  assertEquals(nextIndent("function f()\n  if x then"), "    ");
  assertEquals(nextIndent("if a then\nelseif b then"), "  ");
  assertEquals(nextIndent("t = {\n  -- do\n  'end',"), "  ");
});

Deno.test("history: tail, range with relative sessions, glob search with unique and n, across restarts", async () => {
  const dir = await tempDir();
  const store = openStore(join(dir, "db.sqlite"));
  try {
    const h = new History(store, "k1");
    const s1 = h.session;
    h.add(1, "x = 1");
    h.add(2, "1+2");
    h.setOutput(2, "3");
    h.add(3, "1+2");
    const s2 = h.newSession();
    h.add(1, "print(1)");
    assertEquals(h.tail(2, false), [[s1, 3, "1+2"], [s2, 1, "print(1)"]]);
    assertEquals(h.range(-1, 2, 3, true), [[s1, 2, ["1+2", "3"]]]);
    assertEquals(h.range(0, 1, 0, false), [[s2, 1, "print(1)"]]);
    assertEquals(h.search("1?2", undefined, false, false).length, 2);
    assertEquals(h.search("1?2", undefined, true, false), [[s1, 3, "1+2"]]);
    assertEquals(h.search("*", 2, false, false), [[s1, 3, "1+2"], [s2, 1, "print(1)"]]);
    // A new History on the same store (a kernel restart) sees the old sessions.
    const again = new History(store, "k2");
    assertEquals(again.session, s2 + 1);
    assertEquals(again.tail(1, false), [[s2, 1, "print(1)"]]);
  } finally {
    store.close();
  }
});
