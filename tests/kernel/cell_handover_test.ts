/**
 * A cell goes to the engine before the kernel publishes its start on IOPub and opens the
 * history (src/kernel/execution_queue.ts): the worker runs it meanwhile. Here the history
 * opens only when the test says so, and the engine reports when it is handed the cell.
 */
import { InProcessClient } from "../../src/client/in_process.ts";
import { Engine } from "../../src/engine/host/handle.ts";
import type { ExecuteRequest } from "../../src/engine/shared/protocol.ts";
import { History } from "../../src/kernel/history.ts";
import { openStore } from "../../src/store/mod.ts";
import { join } from "../../src/path.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { tempDir } from "../helpers/cli.ts";

/** An engine that says when it is handed an execution. */
class ReportingEngine extends Engine {
  readonly handed = Promise.withResolvers<string>();
  override execute(request: ExecuteRequest) {
    this.handed.resolve(request.code);
    return super.execute(request);
  }
}

Deno.test("a cell runs in the engine while the kernel's history is still opening", async () => {
  const cwd = await tempDir();
  const store = openStore(join(cwd, "db.sqlite"));
  const engine = new ReportingEngine();
  const history = Promise.withResolvers<History | undefined>();
  let historyAsked = false;
  const client = await InProcessClient.start({
    engineOptions: {
      securityLevel: "safe",
      allowedPaths: [cwd],
      maxMemoryBytes: 0,
      timeoutMs: 0,
      cwd,
      stdin: "kernel",
    },
    kernelId: "handover",
    engine,
    openHistory: () => {
      historyAsked = true;
      return history.promise;
    },
  });
  try {
    const iopub: string[] = [];
    const reply = client.execute({ code: "print(6 * 7)", store_history: true }, {
      onIopub: (m) => iopub.push(m.header.msg_type),
    });
    // Handed over while the history has not opened (with the old order, never: the cell
    // waited for it). The timer is only a safety net that turns that hang into a failure.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const handed = await Promise.race([
      engine.handed.promise,
      new Promise<string>((resolve) =>
        timer = setTimeout(() => resolve("not handed over"), 20_000)
      ),
    ]);
    clearTimeout(timer);
    assertEquals(handed, "print(6 * 7)");
    assert(historyAsked, "the history is being opened");
    history.resolve(new History(store, "handover"));
    const r = await reply;
    assertEquals(r.content.status, "ok");
    // IOPub keeps its order: the cell's start, then its output.
    assertEquals(iopub.slice(0, 3), ["status", "execute_input", "stream"]);
    assertEquals((await history.promise)!.tail(1, false).map((row) => row[2]), ["print(6 * 7)"]);
  } finally {
    await client.close();
    store.close();
  }
});
