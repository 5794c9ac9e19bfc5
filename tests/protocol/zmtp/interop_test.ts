/**
 * Interop with libzmq (pyzmq): every socket pair Jupyter uses, both ways, tcp and ipc.
 * 10k multipart messages per pair, with 1 MiB frames, checked byte for byte and in order.
 */

import assert from "node:assert/strict";
import {
  DealerSocket,
  PubSocket,
  RepSocket,
  ReqSocket,
  RouterSocket,
  SubSocket,
} from "../../../src/protocol/zmtp/mod.ts";
import {
  events,
  makeMsg,
  msgEqual,
  nextEvent,
  seqOf,
  td,
  tmpIpc,
  topicMsg,
  within,
  withPeer,
} from "./helpers.ts";

const N = 10_000;
const BIG_EVERY = 1000; // 10 frames of 1 MiB per run, each way
const LIMIT_MS = 40_000;

type Transport = "tcp" | "ipc";

async function bindAddr(t: Transport): Promise<{ endpoint: string; cleanup: () => Promise<void> }> {
  if (t === "tcp") return { endpoint: "tcp://127.0.0.1:0", cleanup: async () => {} };
  return await tmpIpc();
}

/** Sends n messages through a DEALER/REQ with a window, checking every echo in order. */
async function clientRun(s: DealerSocket | ReqSocket, n: number, window: number): Promise<void> {
  const pending: Uint8Array[][] = [];
  let sent = 0;
  for (let got = 0; got < n; got++) {
    while (sent < n && pending.length < window) {
      const m = makeMsg(sent++, BIG_EVERY);
      await s.send(m);
      pending.push(m);
    }
    const r = await s.recv();
    const exp = pending.shift()!;
    assert.ok(msgEqual(r, exp), `echo ${got} differs (seq ${seqOf(r)} vs ${seqOf(exp)})`);
  }
}

for (const t of ["tcp", "ipc"] as const) {
  Deno.test(`interop ${t}: our ROUTER serves a libzmq DEALER (identity, 10k msgs, 1 MiB frames)`, async () => {
    const addr = await bindAddr(t);
    const router = new RouterSocket({ highWaterMark: 100 });
    try {
      const { endpoint } = await router.bind(addr.endpoint);
      await withPeer([
        "client",
        "DEALER",
        "connect",
        endpoint,
        String(N),
        String(BIG_EVERY),
        "jupyter-client",
      ], async (py) => {
        await py.ready();
        let n = 0;
        const serve = (async () => {
          for await (const m of router) {
            assert.equal(td.decode(m[0]), "jupyter-client", "routing id is the peer's Identity");
            assert.equal(seqOf(m.slice(1)), n, "order kept");
            n++;
            await router.send(m);
            if (n === N) return;
          }
        })();
        assert.equal(await within(py.result(), LIMIT_MS, "python client"), N);
        await serve;
        assert.equal(n, N);
      });
    } finally {
      await router.close();
      await addr.cleanup();
    }
  });

  Deno.test(`interop ${t}: our DEALER against a libzmq ROUTER (10k msgs, 1 MiB frames)`, async () => {
    const addr = await bindAddr(t);
    const dealer = new DealerSocket({ identity: "d1" });
    try {
      await withPeer(["echo", "ROUTER", "bind", addr.endpoint.replace(":0", ":*")], async (py) => {
        const endpoint = await py.ready();
        await dealer.connect(endpoint);
        await within(clientRun(dealer, N, 64), LIMIT_MS, "dealer run");
        await py.close();
        assert.equal(await py.result(), N, "python echoed every message");
      });
    } finally {
      await dealer.close();
      await addr.cleanup();
    }
  });

  Deno.test(`interop ${t}: our REP answers a libzmq REQ (10k round trips, 1 MiB frames)`, async () => {
    const addr = await bindAddr(t);
    const rep = new RepSocket();
    try {
      const { endpoint } = await rep.bind(addr.endpoint);
      await withPeer(
        ["client", "REQ", "connect", endpoint, String(N), String(BIG_EVERY)],
        async (py) => {
          await py.ready();
          let n = 0;
          const serve = (async () => {
            for await (const m of rep) {
              assert.equal(m.length, 3, "envelope stripped: only the body frames");
              assert.equal(seqOf(m), n++);
              await rep.send(m);
              if (n === N) return;
            }
          })();
          assert.equal(await within(py.result(), LIMIT_MS, "python REQ"), N);
          await serve;
        },
      );
    } finally {
      await rep.close();
      await addr.cleanup();
    }
  });

  Deno.test(`interop ${t}: our REQ against a libzmq REP (10k round trips, 1 MiB frames)`, async () => {
    const addr = await bindAddr(t);
    const req = new ReqSocket();
    try {
      await withPeer(["echo", "REP", "bind", addr.endpoint.replace(":0", ":*")], async (py) => {
        const endpoint = await py.ready();
        await req.connect(endpoint);
        await within(clientRun(req, N, 1), LIMIT_MS, "req run");
        await py.close();
        assert.equal(await py.result(), N);
      });
    } finally {
      await req.close();
      await addr.cleanup();
    }
  });

  Deno.test(`interop ${t}: our PUB filters for a libzmq SUB (subscribe, unsubscribe, 2×10k)`, async () => {
    const addr = await bindAddr(t);
    const pub = new PubSocket({ highWaterMark: 50_000 });
    try {
      const { endpoint } = await pub.bind(addr.endpoint);
      const subs = events(pub, "subscribe", 4);
      await withPeer(["sub", "connect", endpoint, String(N)], async (py) => {
        await py.ready();
        const got = await within(subs, 10_000, "4 subscriptions");
        assert.deepEqual(got.map((e) => e.type === "subscribe" && td.decode(e.topic)).sort(), [
          "END",
          "PHASE2",
          "a",
          "c",
        ]);
        for (let i = 0; i < N; i++) await pub.send(topicMsg(i));
        const cancel = nextEvent(pub, "unsubscribe");
        await pub.send(["PHASE2"]);
        const ev = await within(cancel, 10_000, "CANCEL c");
        assert.equal(ev.type === "unsubscribe" && td.decode(ev.topic), "c");
        for (let i = 0; i < N; i++) await pub.send(topicMsg(i));
        await pub.send(["END"]);
        // python checks it got exactly the a* and c* messages, then only a*, in order.
        assert.equal(await within(py.result(), LIMIT_MS, "python SUB"), Math.ceil(N / 6) * 2);
        assert.equal(pub.dropped, 0);
      });
    } finally {
      await pub.close();
      await addr.cleanup();
    }
  });

  Deno.test(`interop ${t}: our SUB receives only its prefixes from a libzmq PUB (10k, 1 MiB frames)`, async () => {
    const addr = await bindAddr(t);
    const sub = new SubSocket({ highWaterMark: 100 });
    try {
      await withPeer([
        "pub",
        "bind",
        addr.endpoint.replace(":0", ":*"),
        String(N),
        String(BIG_EVERY),
      ], async (py) => {
        const endpoint = await py.ready();
        sub.subscribe("a");
        sub.subscribe("c");
        sub.subscribe("END");
        await sub.connect(endpoint);
        const it = sub[Symbol.asyncIterator]();
        const next = async () => (await it.next()).value as Uint8Array[];
        let m = await within(next(), 10_000, "welcome");
        assert.equal(td.decode(m[0]), "c-welcome");
        await py.write("go");
        const got: number[] = [];
        await within(
          (async () => {
            while (true) {
              m = await next();
              const topic = td.decode(m[0]);
              if (topic === "c-welcome") continue;
              if (topic === "END") break;
              const i = Number(new DataView(m[1].buffer, m[1].byteOffset).getBigUint64(0));
              assert.ok(msgEqual(m.slice(0, 2), topicMsg(i)));
              if (i % BIG_EVERY === 0) assert.equal(m[2].length, 1024 * 1024);
              got.push(i);
            }
          })(),
          LIMIT_MS,
          "receive stream",
        );
        const expected = [...Array(N).keys()].filter((i) => [0, 2, 3, 5].includes(i % 6));
        assert.deepEqual(got, expected, "exactly the a* and c* messages, in order");
        assert.equal(await py.result(), N);
      });
    } finally {
      await sub.close();
      await addr.cleanup();
    }
  });
}

Deno.test("interop: libzmq heartbeats are answered and ours are answered by libzmq", async () => {
  const router = new RouterSocket({ heartbeatIvlMs: 30, heartbeatTimeoutMs: 150 });
  let connects = 0;
  let disconnects = 0;
  router.onPeer((e) => {
    if (e.type === "connect") connects++;
    if (e.type === "disconnect") disconnects++;
  });
  try {
    const { endpoint } = await router.bind("tcp://127.0.0.1:0");
    const serve = (async () => {
      for await (const m of router) await router.send(m);
    })();
    await withPeer(["heartbeat", endpoint], async (py) => {
      await py.ready();
      // Four echoes separated by 200 ms of silence, longer than both sides' 150 ms timeout.
      assert.equal(await within(py.result(), 10_000, "heartbeat peer"), 4);
    });
    assert.equal(connects, 1, "one connection for the whole run");
    await router.close();
    await serve;
    assert.equal(disconnects, 1, "only the final close");
  } finally {
    await router.close();
  }
});
