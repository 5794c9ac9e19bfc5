/** Socket semantics between our own sockets and hand-driven raw peers. */

import assert from "node:assert/strict";
import {
  DealerSocket,
  PubSocket,
  RepSocket,
  ReqSocket,
  RouterSocket,
  SubSocket,
} from "../../../src/protocol/zmtp/mod.ts";
import { LlmspellError } from "../../../src/errors.ts";
import type { Connection } from "../../../src/protocol/zmtp/connection.ts";
import { Deque } from "../../../src/protocol/zmtp/queue.ts";
import {
  encodeCommandBody,
  encodeFrame,
  encodeGreeting,
  encodeMetadata,
  FLAG_COMMAND,
} from "../../../src/protocol/zmtp/wire.ts";
import { events, nextEvent, td, te, tmpIpc, within } from "./helpers.ts";
import { concat, RawPeer } from "./raw.ts";

const isCode = (code: string) => (e: unknown) => e instanceof LlmspellError && e.code === code;

Deno.test("ROUTER: routes by identity, drops unroutable messages", async () => {
  const router = new RouterSocket();
  const dealer = new DealerSocket({ identity: "alice" });
  try {
    const { endpoint } = await router.bind("tcp://127.0.0.1:0");
    const joined = nextEvent(router, "connect");
    await dealer.connect(endpoint);
    const ev = await within(joined, 5000, "connect");
    assert.equal(td.decode(ev.peer.identity), "alice");
    await router.send(["nobody", "lost"]); // resolves, silently dropped
    await router.send(["alice", "hello", "world"]);
    const m = await within(dealer.recv(), 5000, "routed message");
    assert.deepEqual(m.map((f) => td.decode(f)), ["hello", "world"]);
    await dealer.send(["up"]);
    const r = await within(router.recv(), 5000, "identity-prefixed receive");
    assert.deepEqual(r.map((f) => td.decode(f)), ["alice", "up"]);
  } finally {
    await dealer.close();
    await router.close();
  }
});

Deno.test("ROUTER: generated routing ids for anonymous peers; duplicate identity refused", async () => {
  const router = new RouterSocket();
  const a = new DealerSocket();
  const b = new DealerSocket({ identity: "same" });
  try {
    const { endpoint } = await router.bind("tcp://127.0.0.1:0");
    const two = events(router, "connect", 2);
    await a.connect(endpoint);
    await b.connect(endpoint);
    const evs = await within(two, 5000, "two peers");
    const anon = evs.find((e) => td.decode(e.peer.identity) !== "same")!;
    assert.equal(anon.peer.identity.length, 5);
    assert.equal(anon.peer.identity[0], 0);
    const raw = await RawPeer.connect(endpoint);
    await raw.handshake("DEALER", 1, "same");
    const err = await within(raw.command(), 5000, "ERROR for duplicate");
    assert.equal(err.name, "ERROR");
    assert.match(td.decode(err.data), /duplicate identity/);
    await raw.close();
  } finally {
    await Promise.all([a.close(), b.close()]);
    await router.close();
  }
});

Deno.test("DEALER: round-robin send over two ROUTERs, receives from both", async () => {
  const r1 = new RouterSocket();
  const r2 = new RouterSocket();
  const dealer = new DealerSocket({ identity: "d" });
  try {
    const e1 = await r1.bind("tcp://127.0.0.1:0");
    const e2 = await r2.bind("tcp://127.0.0.1:0");
    const both = events(dealer, "connect", 2);
    await dealer.connect(e1.endpoint);
    await dealer.connect(e2.endpoint);
    await within(both, 5000, "two routers");
    for (let i = 0; i < 6; i++) await dealer.send([String(i)]);
    const got1: string[] = [];
    const got2: string[] = [];
    for (let i = 0; i < 3; i++) {
      got1.push(td.decode((await within(r1.recv(), 5000, "r1"))[1]));
      got2.push(td.decode((await within(r2.recv(), 5000, "r2"))[1]));
    }
    assert.deepEqual([...got1, ...got2].sort(), ["0", "1", "2", "3", "4", "5"]);
    assert.equal(got1.length, 3, "each router got half");
    await r1.send(["d", "from-1"]);
    await r2.send(["d", "from-2"]);
    const back = [td.decode((await dealer.recv())[0]), td.decode((await dealer.recv())[0])];
    assert.deepEqual(back.sort(), ["from-1", "from-2"]);
  } finally {
    await dealer.close();
    await Promise.all([r1.close(), r2.close()]);
  }
});

Deno.test("REQ/REP: strict alternation errors and envelope handling", async () => {
  const rep = new RepSocket();
  const req = new ReqSocket();
  const dealer = new DealerSocket();
  try {
    const { endpoint } = await rep.bind("tcp://127.0.0.1:0");
    await assert.rejects(rep.send(["x"]), isCode("zmtp_state"));
    await assert.rejects(req.recv(), isCode("zmtp_state"));
    await req.connect(endpoint);
    await req.send(["q1"]);
    await assert.rejects(req.send(["q2"]), isCode("zmtp_state"));
    assert.deepEqual((await within(rep.recv(), 5000, "request")).map((f) => td.decode(f)), ["q1"]);
    await assert.rejects(rep.recv(), isCode("zmtp_state"));
    await rep.send(["a1"]);
    assert.deepEqual((await within(req.recv(), 5000, "reply")).map((f) => td.decode(f)), ["a1"]);

    // A DEALER in front of REP must carry the envelope itself; REP returns it untouched.
    await dealer.connect(endpoint);
    await dealer.send(["hop1", "hop2", "", "body"]);
    const body = await within(rep.recv(), 5000, "enveloped request");
    assert.deepEqual(body.map((f) => td.decode(f)), ["body"]);
    await rep.send(["reply"]);
    const back = await within(dealer.recv(), 5000, "enveloped reply");
    assert.deepEqual(back.map((f) => td.decode(f)), ["hop1", "hop2", "", "reply"]);
    // No delimiter: dropped; the next valid request still gets through.
    await dealer.send(["no-delimiter"]);
    await dealer.send(["", "valid"]);
    assert.deepEqual((await within(rep.recv(), 5000, "valid")).map((f) => td.decode(f)), ["valid"]);
    await rep.send(["ok"]);
  } finally {
    await Promise.all([req.close(), dealer.close()]);
    await rep.close();
  }
});

Deno.test("PUB: a slow subscriber drops at its high-water mark; publisher and others never wait", async () => {
  const pub = new PubSocket({ highWaterMark: 50 });
  const fast = new SubSocket();
  let stall: Deno.Conn | null = null;
  try {
    const { endpoint, port } = await pub.bind("tcp://127.0.0.1:0");
    const subs = events(pub, "subscribe", 2);
    fast.subscribe("");
    await fast.connect(endpoint);
    // A raw peer that completes the handshake, subscribes to everything, then never reads.
    stall = await Deno.connect({ hostname: "127.0.0.1", port: port! });
    const ready = encodeCommandBody("READY", encodeMetadata({ "Socket-Type": te.encode("SUB") }));
    await stall.write(concat(
      encodeGreeting(false),
      encodeFrame(FLAG_COMMAND, ready),
      encodeFrame(FLAG_COMMAND, encodeCommandBody("SUBSCRIBE")),
    ));
    await within(subs, 5000, "two subscriptions");
    const payload = new Uint8Array(16 * 1024);
    const n = 1000; // 16 MiB: far beyond the socket buffers of the stalled peer
    for (let i = 0; i < n; i++) {
      await pub.send(["t", String(i), payload]);
      const m = await within(fast.recv(), 5000, `fast subscriber message ${i}`);
      assert.equal(td.decode(m[1]), String(i));
    }
    assert.ok(pub.dropped > 0, "messages for the stalled subscriber were dropped");
    assert.ok(pub.dropped <= n - 50, "the stalled subscriber's queue still took up to its HWM");
  } finally {
    stall?.close();
    await fast.close();
    await pub.close();
  }
});

Deno.test("PUB/SUB: ZMTP 3.0 peers subscribe with 0x01 messages; 3.1 peers with commands", async () => {
  // Our PUB with a raw 3.0 SUB.
  const pub = new PubSocket();
  try {
    const { endpoint } = await pub.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(endpoint);
    const g = await raw.handshake("SUB", 0);
    assert.deepEqual([g[10], g[11]], [3, 1], "we announce 3.1");
    const subbed = nextEvent(pub, "subscribe");
    await raw.send([new Uint8Array([1, ...te.encode("x")])]);
    const ev = await within(subbed, 5000, "3.0 subscription");
    assert.equal(ev.type === "subscribe" && td.decode(ev.topic), "x");
    assert.equal(ev.peer.zmtpMinor, 0);
    await pub.send(["y1"]);
    await pub.send(["x1"]);
    const unsubbed = nextEvent(pub, "unsubscribe");
    await raw.send([new Uint8Array([0, ...te.encode("x")])]);
    await within(unsubbed, 5000, "3.0 unsubscribe");
    await pub.send(["x2"]);
    const subbed2 = nextEvent(pub, "subscribe");
    await raw.sendCommand("SUBSCRIBE", te.encode("z")); // the 3.1 form works too
    await within(subbed2, 5000, "3.1 subscription");
    await pub.send(["z1"]);
    assert.deepEqual((await raw.message()).map((f) => td.decode(f)), ["x1"]);
    assert.deepEqual((await raw.message()).map((f) => td.decode(f)), ["z1"]);
    await raw.close();
  } finally {
    await pub.close();
  }

  // Our SUB against raw PUBs speaking 3.0 and 3.1.
  for (const minor of [0, 1]) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const sub = new SubSocket();
    try {
      sub.subscribe("news");
      await sub.connect(`tcp://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
      const raw = RawPeer.wrap(await listener.accept());
      await raw.handshake("PUB", minor);
      if (minor === 0) {
        const m = await within(raw.message(), 5000, "0x01 message");
        assert.deepEqual([...m[0]], [1, ...te.encode("news")]);
      } else {
        const c = await within(raw.command(), 5000, "SUBSCRIBE command");
        assert.deepEqual([c.name, td.decode(c.data)], ["SUBSCRIBE", "news"]);
      }
      await raw.send([te.encode("sports")]);
      await raw.send([te.encode("news!")]);
      assert.equal(td.decode((await within(sub.recv(), 5000, "filtered"))[0]), "news!");
      sub.unsubscribe("news");
      if (minor === 0) {
        assert.deepEqual([...(await raw.message())[0]], [0, ...te.encode("news")]);
      } else {
        const c = await raw.command();
        assert.deepEqual([c.name, td.decode(c.data)], ["CANCEL", "news"]);
      }
      await raw.close();
    } finally {
      await sub.close();
      listener.close();
    }
  }
});

Deno.test("heartbeat: PING sent when idle, PONG echoes context, silent peers dropped", async () => {
  const router = new RouterSocket({ heartbeatIvlMs: 50, heartbeatTimeoutMs: 400 });
  try {
    const { endpoint } = await router.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(endpoint);
    await raw.handshake("DEALER");
    await raw.sendCommand("PING", new Uint8Array([0, 10, ...te.encode("ctx")]));
    let c = await within(raw.command(), 5000, "PONG");
    assert.deepEqual([c.name, td.decode(c.data)], ["PONG", "ctx"]);
    c = await within(raw.command(), 5000, "PING");
    assert.equal(c.name, "PING");
    assert.equal(c.data.length, 2, "TTL, empty context");
    // Never answering: the connection is dropped after heartbeatTimeoutMs.
    const gone = nextEvent(router, "disconnect");
    const ev = await within(gone, 5000, "heartbeat timeout");
    assert.match(ev.type === "disconnect" ? ev.reason : "", /heartbeat timeout/);
    await raw.close();
  } finally {
    await router.close();
  }
});

Deno.test("reconnect: connect before bind, and again after the peer restarts", async () => {
  const ipc = await tmpIpc();
  const dealer = new DealerSocket({ identity: "again", reconnectIvlMs: 10, reconnectIvlMaxMs: 40 });
  try {
    await dealer.connect(ipc.endpoint); // nothing there yet: retried with backoff
    const first = new RouterSocket();
    const up1 = nextEvent(first, "connect");
    await first.bind(ipc.endpoint);
    await within(up1, 5000, "first connect");
    await first.send(["again", "one"]);
    assert.equal(td.decode((await dealer.recv())[0]), "one");
    const down = nextEvent(dealer, "disconnect");
    await first.close();
    await within(down, 5000, "disconnect seen");
    const second = new RouterSocket();
    const up2 = nextEvent(second, "connect");
    await second.bind(ipc.endpoint);
    await within(up2, 5000, "reconnect");
    await dealer.send(["two"]);
    assert.deepEqual((await second.recv()).map((f) => td.decode(f)), ["again", "two"]);
    await second.close();
  } finally {
    await dealer.close();
    await ipc.cleanup();
  }
});

Deno.test("close: frees the port at once, ends iteration, later calls throw zmtp_closed", async () => {
  const a = new RouterSocket();
  const { port } = await a.bind("tcp://127.0.0.1:0");
  assert.ok(port && port > 0);
  const iter = (async () => {
    let n = 0;
    for await (const _ of a) n++;
    return n;
  })();
  const pending = a.recv().then(() => null, (e) => e);
  await a.close();
  assert.equal(await iter, 0);
  assert.ok(isCode("zmtp_closed")(await pending));
  await assert.rejects(a.recv(), isCode("zmtp_closed"));
  await assert.rejects(a.bind("tcp://127.0.0.1:0"), isCode("zmtp_closed"));
  const b = new RouterSocket();
  const again = await b.bind(`tcp://127.0.0.1:${port}`);
  assert.equal(again.port, port);
  await b.close();
  const c = new DealerSocket();
  await assert.rejects(c.bind("bogus://x"), isCode("zmtp_endpoint"));
  await c.close();
});

Deno.test("drain: what is queued goes out, then the stream ends; what the peer sends until it closes is received; no new peers", async () => {
  const router = new RouterSocket();
  const { endpoint } = await router.bind("tcp://127.0.0.1:0");
  const peer = await RawPeer.connect(endpoint);
  try {
    const joined = nextEvent(router, "connect");
    await peer.handshake("DEALER", 1, "late");
    await within(joined, 5000, "connect");
    await router.send(["late", "reply"]);
    // A bound far beyond the test's waits: it must end because the peer closed.
    const drained = router.drain(60_000);
    assert.deepEqual((await peer.message()).map((f) => td.decode(f)), ["reply"]);
    await within(peer.closedByPeer(), 5000, "the end of the stream after the reply");
    await assert.rejects(RawPeer.connect(endpoint), "no new peer while draining");
    // Sent after the router's side ended, before this side closed: a close would lose it.
    await peer.send([te.encode("request")]);
    const r = await within(router.recv(), 5000, "the request sent after the end");
    assert.deepEqual(r.map((f) => td.decode(f)), ["late", "request"]);
    assert.equal(router.connectionCount, 1, "the peer's side is still read");
    await peer.close();
    await within(drained, 10_000, "drained once the peer closed");
    assert.equal(router.connectionCount, 0);
  } finally {
    await peer.close();
    await router.close();
  }
});

Deno.test("IPv6 loopback: bind [::1] with port 0, connect, round trip", async () => {
  const router = new RouterSocket();
  const dealer = new DealerSocket({ identity: "v6" });
  try {
    const { endpoint } = await router.bind("tcp://[::1]:0");
    assert.match(endpoint, /^tcp:\/\/\[::1\]:\d+$/);
    await dealer.connect(endpoint);
    await dealer.send(["hi"]);
    const m = await within(router.recv(), 5000, "v6 message");
    assert.deepEqual(m.map((f) => td.decode(f)), ["v6", "hi"]);
    const joined = router.peerCount;
    assert.equal(joined, 1);
  } finally {
    await dealer.close();
    await router.close();
  }
});

Deno.test("fair queueing: receive alternates between peers; a full peer is paused, then resumed", async () => {
  // Drive the receive side directly so arrival order is exact rather than timing-dependent.
  class Probe extends DealerSocket {
    push(c: Connection, text: string): void {
      this.deliver(c, [te.encode(text)]);
    }
  }
  const fake = () => {
    const f = {
      inbound: new Deque<Uint8Array[]>(),
      paused: false,
      pauseRead() {
        f.paused = true;
      },
      resumeRead() {
        f.paused = false;
      },
    };
    return f;
  };
  const s = new Probe({ highWaterMark: 3 });
  const a = fake();
  const b = fake();
  for (const t of ["a1", "a2", "a3"]) s.push(a as unknown as Connection, t);
  assert.equal(a.paused, true, "peer a reached the high-water mark");
  for (const t of ["b1", "b2"]) s.push(b as unknown as Connection, t);
  assert.equal(b.paused, false);
  const order: string[] = [];
  for (let i = 0; i < 5; i++) order.push(td.decode((await s.recv())[0]));
  assert.deepEqual(order, ["a1", "b1", "a2", "b2", "a3"]);
  assert.equal(a.paused, false, "reading resumed once below the mark");
  await s.close();
});

Deno.test("every type binds and connects: reversed pairs over ipc", async () => {
  const ipc = await tmpIpc();
  const base = ipc.endpoint.slice(0, -"s.sock".length);
  const dealer = new DealerSocket();
  const router = new RouterSocket();
  const req = new ReqSocket();
  const rep = new RepSocket();
  const sub = new SubSocket();
  const pub = new PubSocket();
  try {
    // DEALER binds, ROUTER connects.
    await dealer.bind(`${base}d.sock`);
    const up = nextEvent(router, "connect");
    await router.connect(`${base}d.sock`);
    const id = (await within(up, 5000, "router connected")).peer.identity;
    await router.send([id, "to-dealer"]);
    assert.equal(td.decode((await within(dealer.recv(), 5000, "dealer recv"))[0]), "to-dealer");
    // REQ binds, REP connects.
    await req.bind(`${base}q.sock`);
    await rep.connect(`${base}q.sock`);
    await req.send(["ask"]);
    assert.equal(td.decode((await within(rep.recv(), 5000, "rep recv"))[0]), "ask");
    await rep.send(["answer"]);
    assert.equal(td.decode((await within(req.recv(), 5000, "req recv"))[0]), "answer");
    // SUB binds, PUB connects.
    sub.subscribe("t");
    await sub.bind(`${base}p.sock`);
    const subscribed = nextEvent(pub, "subscribe");
    await pub.connect(`${base}p.sock`);
    await within(subscribed, 5000, "subscription reached the connecting PUB");
    await pub.send(["x-skip"]);
    await pub.send(["t-keep"]);
    assert.equal(td.decode((await within(sub.recv(), 5000, "sub recv"))[0]), "t-keep");
  } finally {
    await Promise.all([dealer, router, req, rep, sub, pub].map((s) => s.close()));
    await ipc.cleanup();
  }
});
