/**
 * A cell that ends in a call keeps its own line in the traceback, as `exec` does: echo
 * compiles the last expression as `return f()`, which must not become a tail call (that
 * frame would show as `(...tail calls...)`). Through jupyter_client (driver.py).
 */
import { assertEquals } from "../helpers/assert.ts";
import { driver, startKernel } from "./helpers.ts";

interface Cell {
  status: string;
  result: string | null;
  /** Only for a cell that failed. */
  traceback?: string[];
}

Deno.test("kernel: a cell ending in a call shows its caller line in the traceback", async () => {
  const k = await startKernel();
  try {
    const r = await driver([
      "exec",
      k.connectionFile,
      "function g()\n  error('boom')\nend",
      "g()",
      "local x = 1\ng()",
      "local function f() return 1, nil, 3 end\nf()",
      "select(2, 'a', 'b', 'c')",
    ]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    const cells = (r.json as { cells: Cell[] }).cells;
    // The whole cell an expression (In[2]) and its last line one (In[3]).
    assertEquals(cells[1].traceback?.slice(2), [
      "\t[C]: in function 'error'",
      "\tIn[1]:2: in global 'g'",
      "\tIn[2]:1: in main chunk",
    ]);
    assertEquals(cells[2].traceback?.slice(2), [
      "\t[C]: in function 'error'",
      "\tIn[1]:2: in global 'g'",
      "\tIn[3]:2: in main chunk",
    ]);
    // Every value of the call is still echoed.
    assertEquals([cells[3].status, cells[3].result], ["ok", "1\tnil\t3"]);
    assertEquals([cells[4].status, cells[4].result], ["ok", "b\tc"]);
  } finally {
    await k.stop();
  }
});
