/**
 * The case npm:zeromq fails under Deno: one process reading several sockets at once.
 * Four sockets (three ROUTERs and a REP, like a kernel's shell/control/stdin/heartbeat) are
 * read concurrently while 50 libzmq peers hammer them from one poller.
 */

import assert from "node:assert/strict";
import { RepSocket, RouterSocket } from "../../../src/protocol/zmtp/mod.ts";
import { within, withPeer } from "./helpers.ts";

Deno.test("concurrency: 4 sockets read at once with 50 libzmq peers never stall", async () => {
  const routers = [new RouterSocket(), new RouterSocket(), new RouterSocket()];
  const rep = new RepSocket();
  const rounds = 20;
  const perRouter = 12;
  const reqs = 50 - 3 * perRouter;
  try {
    const eps = await Promise.all(routers.map((r) => r.bind("tcp://127.0.0.1:0")));
    const repEp = await rep.bind("tcp://127.0.0.1:0");
    const counts = [0, 0, 0, 0];
    const loops = [
      ...routers.map(async (r, i) => {
        for await (const m of r) {
          counts[i]++;
          await r.send(m);
        }
      }),
      (async () => {
        for await (const m of rep) {
          counts[3]++;
          await rep.send(m);
        }
      })(),
    ];
    const args = [
      "multi",
      eps.map((e) => e.endpoint).join(","),
      repEp.endpoint,
      String(perRouter),
      String(reqs),
      String(rounds),
    ];
    await withPeer(args, async (py) => {
      assert.equal(await py.ready(), "50");
      const total = await within(py.result(), 30_000, "50 peers × 20 rounds");
      assert.equal(total, 50 * rounds);
    });
    assert.deepEqual(counts, [
      perRouter * rounds,
      perRouter * rounds,
      perRouter * rounds,
      reqs * rounds,
    ]);
    await Promise.all([...routers.map((r) => r.close()), rep.close()]);
    await Promise.all(loops);
  } finally {
    await Promise.all([...routers.map((r) => r.close()), rep.close()]);
  }
});
