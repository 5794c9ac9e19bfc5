/** Codec and endpoint parsing, byte by byte. */

import assert from "node:assert/strict";
import { formatEndpoint, parseEndpoint } from "../../../src/protocol/zmtp/mod.ts";
import {
  encodeCommandBody,
  encodeFrame,
  encodeGreeting,
  encodeMetadata,
  FLAG_COMMAND,
  FLAG_MORE,
  FrameDecoder,
  parseCommand,
  parseGreeting,
  parseMetadata,
  utf8,
  ZmtpProtocolError,
} from "../../../src/protocol/zmtp/wire.ts";
import { LlmspellError } from "../../../src/errors.ts";

Deno.test("wire: greeting layout is RFC 37 (0xFF pad 0x7F, 3.1, NULL, as-server, filler)", () => {
  const g = encodeGreeting(true);
  assert.equal(g.length, 64);
  assert.equal(g[0], 0xff);
  assert.deepEqual([...g.subarray(1, 9)], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(g[9], 0x7f);
  assert.deepEqual([g[10], g[11]], [3, 1]);
  assert.equal(new TextDecoder().decode(g.subarray(12, 16)), "NULL");
  assert.ok(g.subarray(16, 32).every((b) => b === 0));
  assert.equal(g[32], 1);
  assert.ok(g.subarray(33).every((b) => b === 0));
  assert.deepEqual(parseGreeting(g), { major: 3, minor: 1, mechanism: "NULL", asServer: true });
  const bad = g.slice();
  bad[0] = 0x47;
  assert.throws(() => parseGreeting(bad), ZmtpProtocolError);
});

Deno.test("wire: short and long frames, MORE and COMMAND flags", () => {
  assert.deepEqual([...encodeFrame(FLAG_MORE, new Uint8Array([9, 8]))], [1, 2, 9, 8]);
  const long = encodeFrame(0, new Uint8Array(256));
  assert.deepEqual([...long.subarray(0, 9)], [2, 0, 0, 0, 0, 0, 0, 1, 0]);
  const cmd = encodeFrame(FLAG_COMMAND, encodeCommandBody("PING", new Uint8Array([0, 1])));
  assert.deepEqual([...cmd.subarray(0, 7)], [4, 7, 4, 0x50, 0x49, 0x4e, 0x47]);
  assert.deepEqual(parseCommand(cmd.subarray(2)).name, "PING");
});

Deno.test("wire: decoder reassembles frames across every split point", () => {
  const bodies = [
    new Uint8Array(0),
    new Uint8Array(255).fill(1),
    new Uint8Array(256).fill(2),
    new Uint8Array(70000).fill(3),
  ];
  const stream = new Uint8Array(bodies.reduce((n, b) => n + b.length + 9, 0));
  let o = 0;
  for (const [i, b] of bodies.entries()) {
    const f = encodeFrame(i < bodies.length - 1 ? FLAG_MORE : 0, b);
    stream.set(f, o);
    o += f.length;
  }
  const whole = stream.subarray(0, o);
  for (const step of [1, 2, 3, 7, 9, 100, 4096, 65536, whole.length]) {
    const got: [number, number][] = [];
    const d = new FrameDecoder(1 << 20, (flags, body) => got.push([flags, body.length]));
    for (let p = 0; p < whole.length; p += step) d.feed(whole.subarray(p, p + step));
    assert.deepEqual(got, [[1, 0], [1, 255], [1, 256], [0, 70000]], `step ${step}`);
    assert.equal(d.midFrame, false);
  }
});

Deno.test("wire: decoder refuses 2^62 sizes, oversize frames and reserved flags", () => {
  const d = () => new FrameDecoder(1024, () => {});
  assert.throws(() => d().feed(new Uint8Array([2, 0x40, 0, 0, 0, 0, 0, 0, 0])), /2\^53/);
  assert.throws(
    () => d().feed(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 4, 1])),
    /exceeds the limit of 1024 bytes/,
  );
  assert.throws(() => d().feed(new Uint8Array([0x08, 0])), /reserved/);
  assert.throws(() => d().feed(new Uint8Array([0x80])), /reserved/);
});

Deno.test("wire: READY metadata round-trips; names are case-insensitive", () => {
  const m = encodeMetadata({ "Socket-Type": utf8("ROUTER"), Identity: new Uint8Array([0, 1]) });
  const p = parseMetadata(m);
  assert.equal(new TextDecoder().decode(p.get("socket-type")), "ROUTER");
  assert.deepEqual([...p.get("identity")!], [0, 1]);
  assert.throws(() => parseMetadata(m.subarray(0, m.length - 1)), ZmtpProtocolError);
});

Deno.test("endpoint: tcp IPv4, IPv6, *, port 0 and *, ipc; errors are LlmspellError", () => {
  assert.deepEqual(parseEndpoint("tcp://127.0.0.1:5555"), {
    transport: "tcp",
    host: "127.0.0.1",
    port: 5555,
  });
  assert.deepEqual(parseEndpoint("tcp://*:0"), { transport: "tcp", host: "0.0.0.0", port: 0 });
  assert.deepEqual(parseEndpoint("tcp://[::1]:*"), { transport: "tcp", host: "::1", port: 0 });
  assert.equal(formatEndpoint({ transport: "tcp", host: "::1", port: 9 }), "tcp://[::1]:9");
  assert.deepEqual(parseEndpoint("ipc:///tmp/k.sock"), { transport: "ipc", path: "/tmp/k.sock" });
  for (
    const bad of ["tcp://1.2.3.4", "udp://x:1", "tcp://::1:5", "tcp://h:99999", "ipc://", "nope"]
  ) {
    assert.throws(
      () => parseEndpoint(bad),
      (e: unknown) => e instanceof LlmspellError && e.code === "zmtp_endpoint",
      bad,
    );
  }
});
