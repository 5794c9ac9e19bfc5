/**
 * A `kernel start` process driven by jupyter_client (tests/kernel/driver.py): interrupt,
 * restart, forged messages, stdin, stop_on_error, comms, many clients, dying clients.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { driver, startKernel } from "./helpers.ts";

async function withKernel(
  fn: (k: Awaited<ReturnType<typeof startKernel>>) => Promise<void>,
  args: string[] = [],
): Promise<void> {
  const k = await startKernel(args);
  try {
    await fn(k);
  } finally {
    await k.stop();
  }
}

function json(r: Awaited<ReturnType<typeof driver>>): Record<string, unknown> {
  assertEquals(r.code, 0, r.stderr + r.stdout);
  return r.json as Record<string, unknown>;
}

Deno.test("kernel start writes a 0600 connection file with a 256-bit key, bound to 127.0.0.1", async () => {
  await withKernel(async (k) => {
    const st = await Deno.stat(k.connectionFile);
    assertEquals(st.mode! & 0o777, 0o600);
    const info = JSON.parse(await Deno.readTextFile(k.connectionFile));
    assertEquals(info.ip, "127.0.0.1");
    assertEquals(info.signature_scheme, "hmac-sha256");
    assert(/^[0-9a-f]{64}$/.test(info.key), info.key);
  });
});

Deno.test("interrupt_request stops `while true do end` with an error reply; globals survive", async () => {
  await withKernel(async (k) => {
    const r = json(await driver(["interrupt", k.connectionFile]));
    assertEquals([r.interrupt_reply, r.status, r.ename, r.after], [
      "ok",
      "error",
      "Interrupted",
      "42",
    ]);
    assert((r.elapsed as number) < 2, `interrupt took ${r.elapsed} s`);
  });
});

Deno.test("shutdown_request with restart gives a fresh Lua state on the same ports", async () => {
  await withKernel(async (k) => {
    const r = json(await driver(["restart", k.connectionFile]));
    assertEquals(r, { before: "1", restart: true, after: "true", execution_count: 1 });
  });
});

Deno.test("forged, unsigned, malformed and replayed messages are ignored; the next valid one is answered", async () => {
  await withKernel(async (k) => {
    const r = json(await driver(["forged", k.connectionFile]));
    assertEquals(r, { answered: ["valid"], after: "2" });
  });
});

Deno.test("queued cells of several clients handed to the engine early: right outputs, user_expressions, stop_on_error", async () => {
  await withKernel(async (k) => {
    const r = json(await driver(["pipeline", k.connectionFile]));
    assertEquals(r.statuses, {
      m0: "ok",
      mb: "ok",
      mc: "ok",
      ma1: "error",
      ma2: "aborted",
      md: "error",
    });
    assertEquals(r.y, "1");
    // Each cell has its own execution count, and a cell handed over early is named by its.
    const order = r.order as number[];
    const n0 = Math.min(...order);
    assertEquals([...order].sort((a, b) => a - b), [n0, n0 + 1, n0 + 2, n0 + 3, n0 + 4]);
    assertEquals([r.c_out, r.d_out], ["c2\n", "b2\n"]);
    assertStringIncludes(String(r.d_error), `In[${order[4]}]:1: d`);
  });
});

Deno.test("an interrupt stops the running cell, not another client's cell queued behind it", async () => {
  await withKernel(async (k) => {
    const r = json(await driver(["interrupt_queued", k.connectionFile]));
    assertEquals(r, { statuses: ["error", "ok"], ename: "Interrupted", b_out: "b\n" });
  });
});

Deno.test("stdin: input() sends input_request; allow_stdin false makes it an error", async () => {
  await withKernel(async (k) => {
    const r = json(await driver(["stdin", k.connectionFile]));
    assertEquals(r, { prompt: "name? ", result: "hi Ada", no_stdin: "error" });
  });
});

Deno.test("stop_on_error aborts the queued cells; comm_info/comm_open answered; a dying client disturbs no one", async () => {
  await withKernel(async (k) => {
    const s = json(await driver(["stop_on_error", k.connectionFile]));
    assertEquals(s.statuses, ["error", "aborted", "aborted", "error", "ok"]);
    const c = json(await driver(["comm", k.connectionFile]));
    assertEquals(c, { comms: {}, status: "ok", closed: "c1" });
    const d = json(await driver(["dying", k.connectionFile]));
    assertEquals(d, { status: "ok", out: "b ok\n", result: "7" });
  });
});

Deno.test("50 jupyter_client clients on one kernel each receive every stream message of every execution", async () => {
  await withKernel(async (k) => {
    const r = json(await driver(["clients", k.connectionFile, "50"]));
    assertEquals(r.errors, []);
    assertEquals([r.clients, r.complete, r.ok_replies], [50, 50, 50]);
  });
});

Deno.test("IOPub topics: stream output goes out as stream.stdout / stream.stderr, as ipykernel's", async () => {
  await withKernel(async (k) => {
    const r = json(await driver(["stream_topic", k.connectionFile]));
    assertEquals(r, {
      topics: ["stream.stderr", "stream.stdout"],
      types: ["stream"],
      texts: ["stderr:e", "stdout:hi\n"],
    });
  });
});
