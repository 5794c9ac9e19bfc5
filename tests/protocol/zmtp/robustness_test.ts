/**
 * Bad input: garbage, truncated and stalled greetings, absurd frame sizes, protocol
 * violations, peers dying mid-message. Each bad peer is dropped and logged; the good peer
 * keeps its service and memory stays bounded.
 */

import assert from "node:assert/strict";
import { seededBytes } from "../../helpers/seeded_bytes.ts";
import { DealerSocket, RouterSocket, type SocketOptions } from "../../../src/protocol/zmtp/mod.ts";
import { encodeGreeting, FLAG_COMMAND, utf8 } from "../../../src/protocol/zmtp/wire.ts";
import { loggerOf } from "../../../src/telemetry/log.ts";
import { nextEvent, td, within, withPeer } from "./helpers.ts";
import { concat, RawPeer } from "./raw.ts";

interface Fixture {
  router: RouterSocket;
  endpoint: string;
  logs: string[];
  waitLogs(substr: string, n: number): Promise<void>;
  roundTrip(tag: string): Promise<void>;
  close(): Promise<void>;
}

async function fixture(opts: SocketOptions = {}): Promise<Fixture> {
  const logs: string[] = [];
  const watchers = new Set<() => void>();
  const line = (m: string) => {
    logs.push(m);
    for (const w of [...watchers]) w();
  };
  const router = new RouterSocket({
    ...opts,
    // Every peer diagnostic, dropped peers (warn) included.
    logger: loggerOf({ debug: line, warn: line }),
  });
  const { endpoint } = await router.bind("tcp://127.0.0.1:0");
  const serving = (async () => {
    for await (const m of router) await router.send(m);
  })();
  const good = new DealerSocket();
  await good.connect(endpoint);
  const roundTrip = async (tag: string) => {
    await good.send([tag]);
    const r = await within(good.recv(), 5000, `round trip ${tag}`);
    assert.equal(td.decode(r[0]), tag);
  };
  await roundTrip("first");
  return {
    router,
    endpoint,
    logs,
    waitLogs: (substr, n) =>
      within(
        new Promise<void>((resolve) => {
          const check = () => {
            if (logs.filter((l) => l.includes(substr)).length >= n) {
              watchers.delete(check);
              resolve();
            }
          };
          watchers.add(check);
          check();
        }),
        10_000,
        `${n} logs with "${substr}"`,
      ),
    roundTrip,
    close: async () => {
      await good.close();
      await router.close();
      await serving;
    },
  };
}

function longHeader(flags: number, hi: number, lo: number): Uint8Array {
  const h = new Uint8Array(9);
  h[0] = flags | 0x02;
  const v = new DataView(h.buffer);
  v.setUint32(1, hi);
  v.setUint32(5, lo);
  return h;
}

Deno.test("robustness: random bytes instead of a greeting are dropped; others carry on", async () => {
  const f = await fixture();
  try {
    const rnd = seededBytes(42);
    const raws = await Promise.all(Array.from({ length: 20 }, () => RawPeer.connect(f.endpoint)));
    await Promise.all(raws.map(async (r) => {
      const junk = rnd(4096);
      if (junk[0] === 0xff) junk[0] = 0;
      await r.write(junk).catch(() => {});
      await within(r.closedByPeer(), 5000, "server drops garbage");
    }));
    await f.waitLogs("bad greeting signature", 20);
    await f.roundTrip("after-garbage");
    await Promise.all(raws.map((r) => r.close()));
    assert.equal(f.router.peerCount, 1);
  } finally {
    await f.close();
  }
});

Deno.test("robustness: random bytes after a valid handshake are dropped", async () => {
  const f = await fixture();
  try {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const r = await RawPeer.connect(f.endpoint);
      await r.handshake("DEALER");
      await r.write(seededBytes(seed)(4096)).catch(() => {});
      await within(r.closedByPeer(), 5000, `garbage seed ${seed}`);
      await r.close();
    }
    await f.waitLogs("protocol error", 8);
    await f.roundTrip("after-junk-frames");
  } finally {
    await f.close();
  }
});

Deno.test("robustness: truncated greeting then EOF is cleaned up", async () => {
  const f = await fixture();
  try {
    for (let i = 0; i < 10; i++) {
      const r = await RawPeer.connect(f.endpoint);
      await r.write(encodeGreeting(false).subarray(0, 5 + i * 5));
      await r.close();
    }
    await f.waitLogs("disconnected: peer closed", 10);
    assert.equal(f.router.connectionCount, 1, "only the good peer remains");
    await f.roundTrip("after-truncated");
  } finally {
    await f.close();
  }
});

Deno.test("robustness: half-open connections time out in the handshake", async () => {
  const f = await fixture({ handshakeTimeoutMs: 300 });
  try {
    const raws: RawPeer[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await RawPeer.connect(f.endpoint);
      await r.write(encodeGreeting(false).subarray(0, 11)); // stalls mid-greeting
      raws.push(r, await RawPeer.connect(f.endpoint)); // and one that never says a word
    }
    await f.roundTrip("while-half-open");
    await within(Promise.all(raws.map((r) => r.closedByPeer())), 5000, "handshake timeouts");
    await f.waitLogs("handshake timeout", 10);
    assert.equal(f.router.connectionCount, 1);
    await Promise.all(raws.map((r) => r.close()));
    await f.roundTrip("after-half-open");
  } finally {
    await f.close();
  }
});

Deno.test("robustness: a frame announcing 2^62 bytes is refused without allocating", async () => {
  const f = await fixture();
  try {
    const before = Deno.memoryUsage();
    for (let i = 0; i < 20; i++) {
      const r = await RawPeer.connect(f.endpoint);
      await r.handshake("DEALER");
      await r.write(longHeader(0, 0x40000000, 0)); // 2^62
      await within(r.closedByPeer(), 5000, "2^62 frame");
      await r.close();
    }
    await f.waitLogs("exceeds", 20);
    const after = Deno.memoryUsage();
    assert.ok(after.rss - before.rss < 64 * 1024 * 1024, `rss grew ${after.rss - before.rss}`);
    await f.roundTrip("after-2^62");
  } finally {
    await f.close();
  }
});

Deno.test("robustness: a frame above maxFrameSize is refused before its body arrives", async () => {
  const f = await fixture({ maxFrameSize: 1024 * 1024 });
  try {
    const r = await RawPeer.connect(f.endpoint);
    await r.handshake("DEALER");
    await r.write(longHeader(0, 0, 1024 * 1024 + 1));
    await within(r.closedByPeer(), 5000, "oversized frame");
    await r.close();
    await f.waitLogs("exceeds the limit of 1048576 bytes", 1);
    // A frame of exactly maxFrameSize still goes through.
    const ok = await RawPeer.connect(f.endpoint);
    await ok.handshake("DEALER", 1, "big");
    await ok.send([new Uint8Array(1024 * 1024).fill(7)]);
    const echo = await within(ok.message(), 5000, "max-size echo");
    assert.equal(echo[0].length, 1024 * 1024);
    await ok.close();
    await f.roundTrip("after-oversized");
  } finally {
    await f.close();
  }
});

Deno.test("robustness: protocol violations are dropped; refusals send ERROR", async () => {
  const f = await fixture();
  try {
    // Unknown command after the handshake.
    let r = await RawPeer.connect(f.endpoint);
    await r.handshake("DEALER");
    await r.sendCommand("FROBNICATE");
    await within(r.closedByPeer(), 5000, "unknown command");
    await r.close();
    await f.waitLogs("unknown command", 1);

    // Data before READY.
    r = await RawPeer.connect(f.endpoint);
    await r.write(concat(encodeGreeting(false), new Uint8Array([0, 1, 0x41])));
    await within(r.closedByPeer(), 5000, "message before READY");
    await r.close();
    await f.waitLogs("message before READY", 1);

    // READY without Socket-Type.
    r = await RawPeer.connect(f.endpoint);
    const ready = concat(new Uint8Array([5]), utf8("READY"));
    await r.write(
      concat(encodeGreeting(false), new Uint8Array([FLAG_COMMAND, ready.length]), ready),
    );
    await within(r.closedByPeer(), 5000, "READY without Socket-Type");
    await r.close();
    await f.waitLogs("READY without Socket-Type", 1);

    // Incompatible socket type: ERROR, then close.
    r = await RawPeer.connect(f.endpoint);
    await r.handshake("PUB").catch(() => {});
    await within(r.closedByPeer(), 5000, "bad socket type");
    await r.close();
    await f.waitLogs("refusing peer: Invalid socket type", 1);

    // The ERROR command itself, seen on the wire.
    r = await RawPeer.connect(f.endpoint);
    const greetingAndReady = concat(encodeGreeting(false));
    await r.write(greetingAndReady);
    await r.sendCommand(
      "READY",
      concat(new Uint8Array([11]), utf8("Socket-Type"), new Uint8Array([0, 0, 0, 3]), utf8("SUB")),
    );
    const first = await r.command();
    assert.equal(first.name, "READY");
    const err = await within(r.command(), 5000, "ERROR command");
    assert.equal(err.name, "ERROR");
    assert.equal(td.decode(err.data.subarray(1, 1 + err.data[0])), "Invalid socket type");
    await within(r.closedByPeer(), 5000, "close after ERROR");
    await r.close();

    // Unsupported mechanism.
    r = await RawPeer.connect(f.endpoint);
    const g = encodeGreeting(false);
    g.set(utf8("CURVE"), 12);
    await r.write(g);
    // Our READY goes out with our greeting, before we know theirs; ERROR follows it.
    assert.equal((await within(r.command(), 5000, "READY")).name, "READY");
    const err2 = await within(r.command(), 5000, "ERROR for mechanism");
    assert.equal(err2.name, "ERROR");
    assert.match(td.decode(err2.data.subarray(1)), /mechanism CURVE/);
    await within(r.closedByPeer(), 5000, "close after mechanism ERROR");
    await r.close();

    await f.roundTrip("after-violations");
    assert.equal(f.router.peerCount, 1);
  } finally {
    await f.close();
  }
});

Deno.test("robustness: a libzmq-speaking peer killed mid-message is dropped, others served", async () => {
  const f = await fixture();
  try {
    const gone = nextEvent(f.router, "disconnect");
    await withPeer(["killed", f.endpoint], async (py) => {
      await py.ready();
      const ev = await within(gone, 10_000, "disconnect of killed peer");
      assert.match(ev.type === "disconnect" ? ev.reason : "", /mid-frame/);
    });
    await f.roundTrip("after-kill");
    assert.equal(f.router.peerCount, 1);
  } finally {
    await f.close();
  }
});

Deno.test("robustness: 100 peers trickling huge frames keep memory bounded", async () => {
  const f = await fixture();
  try {
    const before = Deno.memoryUsage();
    const raws: RawPeer[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await RawPeer.connect(f.endpoint);
      await r.handshake("DEALER", 1, `t${i}`);
      // Announce 60 MiB (allowed) but send only 64 KiB: nothing may be preallocated.
      await r.write(concat(longHeader(0, 0, 60 * 1024 * 1024), new Uint8Array(64 * 1024)));
      raws.push(r);
    }
    await f.roundTrip("while-trickling");
    const mid = Deno.memoryUsage();
    const grown = mid.rss - before.rss;
    assert.ok(grown < 200 * 1024 * 1024, `rss grew ${grown} bytes for 100 × 64 KiB`);
    await Promise.all(raws.map((r) => r.close()));
    await f.waitLogs("peer closed mid-frame", 100);
    assert.equal(f.router.connectionCount, 1);
    await f.roundTrip("after-trickling");
  } finally {
    await f.close();
  }
});

Deno.test("robustness: endless empty MORE frames hit the frame-count limit", async () => {
  const f = await fixture();
  try {
    const r = await RawPeer.connect(f.endpoint);
    await r.handshake("DEALER");
    await r.write(new Uint8Array(2 * 5000).fill(0).map((_, i) => (i % 2 === 0 ? 1 : 0)));
    await within(r.closedByPeer(), 5000, "frame-count limit");
    await r.close();
    await f.waitLogs("more than 4096 frames", 1);
    await f.roundTrip("after-many-frames");
    await assert.rejects(f.router.send(["only-an-id"]), /routing id and at least one frame/);
  } finally {
    await f.close();
  }
});
