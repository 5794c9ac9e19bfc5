/**
 * What a peer can hold: the connection limit evicts instead of refusing (handshaking first,
 * then the idle-longest untrusted peer, trusted peers last), the shared byte budget drops
 * the largest unauthenticated holder, message size and subscription limits drop the peer with
 * a warning, and heartbeats treat ZMTP 3.0 and 3.1 peers as they can be treated.
 */

import assert from "node:assert/strict";
import {
  ByteBudget,
  PubSocket,
  RouterSocket,
  type SocketOptions,
} from "../../../src/protocol/zmtp/mod.ts";
import { FLAG_COMMAND } from "../../../src/protocol/zmtp/wire.ts";
import { loggerOf } from "../../../src/telemetry/log.ts";
import { td, te, within } from "./helpers.ts";
import { concat, RawPeer } from "./raw.ts";

interface Logs {
  warn: string[];
  debug: string[];
  /** Resolves once a warning containing `text` was logged. */
  waitWarn(text: string): Promise<string>;
}

function logs(): Logs & { logger: NonNullable<SocketOptions["logger"]> } {
  const warn: string[] = [];
  const debug: string[] = [];
  const watchers = new Set<() => void>();
  return {
    warn,
    debug,
    logger: loggerOf({
      debug: (m) => debug.push(m),
      warn: (m) => {
        warn.push(m);
        for (const w of [...watchers]) w();
      },
    }),
    waitWarn: (text) =>
      within(
        new Promise<string>((resolve) => {
          const check = () => {
            const hit = warn.find((l) => l.includes(text));
            if (hit !== undefined) {
              watchers.delete(check);
              resolve(hit);
            }
          };
          watchers.add(check);
          check();
        }),
        10_000,
        `a warning with "${text}"`,
      ),
  };
}

/** A ROUTER that echoes, and trusts every peer whose message starts with "signed". */
async function echoRouter(opts: SocketOptions) {
  const router = new RouterSocket(opts);
  const { endpoint } = await router.bind("tcp://127.0.0.1:0");
  const serving = (async () => {
    for await (const m of router) {
      if (td.decode(m[1]).startsWith("signed")) router.trust(m[0]);
      await router.send(m);
    }
  })();
  return {
    router,
    endpoint,
    close: async () => {
      await router.close();
      await serving;
    },
  };
}

/** Polls `cond` until it holds; fails after 10 s. */
function waitFor(cond: () => boolean, what: string): Promise<void> {
  return within(
    (async () => {
      while (!cond()) await new Promise((res) => setTimeout(res, 5));
    })(),
    10_000,
    what,
  );
}

/** Resolves once Date.now() has moved on, so two peers' last activity differ. */
async function nextMillisecond(): Promise<void> {
  const t = Date.now();
  while (Date.now() === t) await new Promise((r) => setTimeout(r, 1));
}

function longHeader(size: number): Uint8Array {
  const h = new Uint8Array(9);
  h[0] = 0x02;
  new DataView(h.buffer).setBigUint64(1, BigInt(size));
  return h;
}

Deno.test("maxPeers: a new peer is accepted; the oldest handshaking one, then the idlest untrusted one, is dropped; trusted ones last", async () => {
  const log = logs();
  const r = await echoRouter({ maxPeers: 4, logger: log.logger });
  const raws: RawPeer[] = [];
  const raw = async (id?: string) => {
    const p = await RawPeer.connect(r.endpoint);
    raws.push(p);
    if (id !== undefined) await p.handshake("DEALER", 1, id);
    return p;
  };
  try {
    const silent = await raw(); // never greets
    const trusted = await raw("trusted");
    await trusted.send([te.encode("signed hello")]);
    await within(trusted.message(), 5000, "trusted echo");
    await nextMillisecond();
    const idle = await raw("idle");
    await nextMillisecond();
    const busy = await raw("busy");
    await waitFor(() => r.router.connectionCount === 4, "4 connections");

    // Full: a fifth peer gets in, the one still in its handshake goes.
    const fifth = await raw("fifth");
    await within(silent.closedByPeer(), 5000, "handshaking peer evicted");
    assert.match(await log.waitWarn("oldest still in its handshake"), /maxPeers/);

    // Full again: the untrusted peer idle longest goes, though the trusted one is idler.
    await nextMillisecond();
    await busy.send([te.encode("still here")]);
    await within(busy.message(), 5000, "busy echo");
    const sixth = await raw("sixth");
    await within(idle.closedByPeer(), 5000, "idle untrusted peer evicted");
    assert.match(await log.waitWarn("unauthenticated and idle"), /maxPeers/);

    // Everyone left is served, the trusted peer included.
    for (const [p, tag] of [[trusted, "t"], [busy, "b"], [fifth, "f"], [sixth, "s"]] as const) {
      await p.send([te.encode(tag)]);
      assert.equal(td.decode((await within(p.message(), 5000, `echo ${tag}`))[0]), tag);
    }
    assert.equal(r.router.connectionCount, 4);
  } finally {
    await Promise.all(raws.map((p) => p.close()));
    await r.close();
  }
});

Deno.test("budget: the largest unauthenticated holder is dropped, small requests and trusted peers pass", async () => {
  const log = logs();
  const budget = new ByteBudget(4 * 1024 * 1024);
  const r = await echoRouter({ budget, logger: log.logger });
  const raws: RawPeer[] = [];
  const raw = async (id: string) => {
    const p = await RawPeer.connect(r.endpoint);
    raws.push(p);
    await p.handshake("DEALER", 1, id);
    return p;
  };
  const untilUsed = (atLeast: number) =>
    waitFor(() => budget.used >= atLeast, `budget use ≥ ${atLeast}`);
  try {
    // A announces a 3 MiB frame: it is charged whole before its bytes arrive.
    const a = await raw("a");
    await a.write(concat(longHeader(3 << 20), new Uint8Array(1)));
    await untilUsed(3 << 20);
    // B's 2 MiB do not fit beside it: A, the bigger holder, goes.
    const b = await raw("b");
    await b.write(concat(longHeader(2 << 20), new Uint8Array(1)));
    await within(a.closedByPeer(), 10_000, "largest holder dropped");
    assert.match(await log.waitWarn("budget of 4194304 bytes is exhausted"), /holds \d+ bytes/);
    await untilUsed(2 << 20);
    // C would hold more than anyone else: C itself goes, B stays.
    const c = await raw("c");
    await c.write(concat(longHeader(3 << 20), new Uint8Array(1)));
    await within(c.closedByPeer(), 10_000, "would-be largest refused");
    assert.match(await log.waitWarn("would hold 3145728 bytes"), /exhausted/);
    // A frame larger than the whole budget is refused at its header.
    const d = await raw("d");
    await d.write(concat(longHeader(5 << 20), new Uint8Array(1)));
    await within(d.closedByPeer(), 10_000, "frame above the budget");
    assert.match(await log.waitWarn("frame of 5242880 bytes"), /exceeds the budget/);
    assert.ok(!b.isClosed);
    assert.ok(budget.used <= budget.limit, `used ${budget.used}`);
    // A small request still fits and is answered.
    const small = await raw("small");
    await small.send([te.encode("ping")]);
    assert.equal(td.decode((await within(small.message(), 5000, "small echo"))[0]), "ping");
    // A trusted peer's 6 MiB message is not the budget's business.
    const t = await raw("trusted");
    await t.send([te.encode("signed")]);
    await within(t.message(), 5000, "trust");
    await t.send([new Uint8Array(6 << 20).fill(5)]);
    const big = await within(t.message(), 10_000, "big trusted echo");
    assert.equal(big[0].length, 6 << 20);
    // B's frame, within the budget, completes and is answered.
    await b.write(new Uint8Array((2 << 20) - 1));
    assert.equal((await within(b.message(), 10_000, "B's echo"))[0].length, 2 << 20);
    await waitFor(() => budget.used === 0, "budget released");
  } finally {
    await Promise.all(raws.map((p) => p.close()));
    await r.close();
  }
});

Deno.test("maxMessageSize: a multipart message over the limit drops its peer with a warning", async () => {
  const log = logs();
  const r = await echoRouter({ maxMessageSize: 1000, logger: log.logger });
  try {
    const p = await RawPeer.connect(r.endpoint);
    await p.handshake("DEALER", 1, "p");
    await p.send([new Uint8Array(1000)]);
    assert.equal((await within(p.message(), 5000, "exactly the limit"))[0].length, 1000);
    await p.send([new Uint8Array(600), new Uint8Array(600)]);
    await within(p.closedByPeer(), 5000, "over the limit");
    assert.match(await log.waitWarn("message of more than 1000 bytes"), /dropped/);
    await p.close();
  } finally {
    await r.close();
  }
});

Deno.test("PUB: subscriptions beyond maxSubscriptions or maxSubscriptionBytes drop the subscriber", async () => {
  const log = logs();
  const pub = new PubSocket({
    maxSubscriptions: 10,
    maxSubscriptionBytes: 100,
    logger: log.logger,
  });
  try {
    const { endpoint } = await pub.bind("tcp://127.0.0.1:0");
    // Repeating one prefix only counts it.
    const repeat = await RawPeer.connect(endpoint);
    await repeat.handshake("SUB");
    const many = [];
    for (let i = 0; i < 10_000; i++) many.push(subscribeFrame(""));
    await repeat.write(concat(...many));
    // Ten distinct prefixes are fine, the eleventh is one too many.
    const count = await RawPeer.connect(endpoint);
    await count.handshake("SUB");
    for (let i = 0; i < 10; i++) await count.write(subscribeFrame(`t${i}`));
    await count.write(subscribeFrame("t10"));
    await within(count.closedByPeer(), 5000, "11th prefix");
    assert.match(await log.waitWarn("more than 10 subscriptions"), /maxSubscriptions/);
    // Two 60-byte prefixes exceed 100 bytes.
    const bytes = await RawPeer.connect(endpoint);
    await bytes.handshake("SUB");
    await bytes.write(concat(subscribeFrame("a".repeat(60)), subscribeFrame("b".repeat(60))));
    await within(bytes.closedByPeer(), 5000, "120 bytes of prefixes");
    assert.match(await log.waitWarn("more than 100 bytes"), /maxSubscriptionBytes/);
    // The repeating subscriber is still there and receives.
    assert.equal(pub.peerCount, 1);
    await pub.send(["x", "payload"]);
    const m = await within(repeat.message(), 5000, "publish to the survivor");
    assert.equal(td.decode(m[1]), "payload");
    await Promise.all([repeat.close(), count.close(), bytes.close()]);
  } finally {
    await pub.close();
  }
});

function subscribeFrame(prefix: string): Uint8Array {
  const name = te.encode("SUBSCRIBE");
  const body = concat(new Uint8Array([name.length]), name, te.encode(prefix));
  return concat(new Uint8Array([FLAG_COMMAND, body.length]), body);
}

Deno.test("heartbeat: a silent handshaken peer is dropped; one answering PINGs stays; 3.0 peers get no PING", async () => {
  const router = new RouterSocket({ heartbeatIvlMs: 40, heartbeatTimeoutMs: 200 });
  try {
    const { endpoint } = await router.bind("tcp://127.0.0.1:0");
    const silent = await RawPeer.connect(endpoint);
    await silent.handshake("DEALER", 1, "silent");
    const old = await RawPeer.connect(endpoint);
    await old.handshake("DEALER", 0, "old");
    const live = await RawPeer.connect(endpoint);
    await live.handshake("DEALER", 1, "live");
    let pongs = 0;
    const answering = (async () => {
      while (true) {
        const c = await live.command();
        if (c.name === "PING") {
          await live.sendCommand("PONG");
          pongs++;
        }
      }
    })().catch(() => {});
    const gone = new Set<string>();
    const off = router.onPeer((e) => {
      if (e.type === "disconnect") gone.add(td.decode(e.peer.identity));
    });
    await within(Promise.all([silent.closedByPeer(), old.closedByPeer()]), 5000, "silent drops");
    // The ZMTP 3.0 peer saw no PING (it could not have answered one): only EOF.
    await assert.rejects(old.frame(), /connection closed/);
    // The answering peer outlives them by several timeouts.
    await waitFor(() => pongs >= 20, "20 PINGs answered");
    assert.ok(!live.isClosed);
    assert.deepEqual([...gone].sort(), ["old", "silent"]);
    off();
    await Promise.all([silent.close(), old.close(), live.close()]);
    await answering;
  } finally {
    await router.close();
  }
});
