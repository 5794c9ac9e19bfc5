/**
 * The Jupyter wire format and HMAC signing, in-process and against jupyter_client's
 * Session (Debian's python3 jupyter-client) in both directions.
 */
import {
  decode,
  DELIMITER,
  encode,
  type Message,
  newKey,
  newMessage,
  ReplayGuard,
  replyType,
  Signer,
} from "../../../src/protocol/jupyter/mod.ts";
import { assert, assertEquals } from "../../helpers/assert.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function sample(): Message {
  return newMessage(
    "execute_request",
    { code: "print('héllo')", silent: false },
    "sess-1",
    undefined,
    {
      m: 1,
    },
    [new Uint8Array([0, 1, 2, 255])],
  );
}

Deno.test("encode/decode round trip keeps identities, JSON frames and buffers", () => {
  const signer = new Signer(newKey());
  const ids = [enc.encode("client-a"), new Uint8Array([0, 9])];
  const m = sample();
  const frames = encode(m, signer, ids);
  assertEquals(dec.decode(frames[2]), DELIMITER);
  assertEquals(dec.decode(frames[3]).length, 64);
  const d = decode(frames, signer);
  assert(d.ok);
  assertEquals(d.identities, ids);
  assertEquals(d.message.header, m.header);
  assertEquals(d.message.content, m.content);
  assertEquals(d.message.metadata, { m: 1 });
  assertEquals(d.message.buffers, [new Uint8Array([0, 1, 2, 255])]);
});

Deno.test("bad, missing and replayed signatures are refused; an empty key signs nothing", () => {
  const signer = new Signer("secret");
  const frames = encode(sample(), signer);
  const other = decode(frames, new Signer("other"));
  assertEquals(other.ok ? "" : other.reason, "bad_signature");
  const unsigned = [...frames];
  unsigned[1] = new Uint8Array(0);
  const u = decode(unsigned, signer);
  assertEquals(u.ok ? "" : u.detail, "unsigned message");
  const tampered = [...frames];
  tampered[5] = enc.encode('{"code":"os.exit()"}');
  assertEquals(decode(tampered, signer).ok, false);
  const guard = new ReplayGuard();
  assert(decode(frames, signer, guard).ok);
  const again = decode(frames, signer, guard);
  assertEquals(again.ok ? "" : again.reason, "replayed");
  const none = new Signer("");
  const nf = encode(sample(), none);
  assertEquals(nf[1].length, 0);
  assert(decode(nf, none).ok);
});

Deno.test("malformed frames are refused with a reason, never thrown", () => {
  const signer = new Signer("");
  const cases: Uint8Array[][] = [
    [],
    [enc.encode("x")],
    [enc.encode(DELIMITER), enc.encode("")],
    [
      enc.encode(DELIMITER),
      enc.encode(""),
      enc.encode("{"),
      enc.encode("{}"),
      enc.encode("{}"),
      enc.encode("{}"),
    ],
    [
      enc.encode(DELIMITER),
      enc.encode(""),
      enc.encode("[]"),
      enc.encode("{}"),
      enc.encode("{}"),
      enc.encode("{}"),
    ],
    [
      enc.encode(DELIMITER),
      enc.encode(""),
      enc.encode("{}"),
      enc.encode("{}"),
      enc.encode("{}"),
      enc.encode("{}"),
    ],
    [
      enc.encode(DELIMITER),
      new Uint8Array([0xff]),
      enc.encode("{}"),
      enc.encode("{}"),
      enc.encode("{}"),
      enc.encode("{}"),
    ],
    [
      enc.encode(DELIMITER),
      enc.encode(""),
      new Uint8Array([0xc3]),
      enc.encode("{}"),
      enc.encode("{}"),
      enc.encode("{}"),
    ],
  ];
  for (const c of cases) {
    const d = decode(c, signer);
    assertEquals(d.ok, false, JSON.stringify(c.map((f) => dec.decode(f))));
  }
});

Deno.test("replyType and ReplayGuard bound", () => {
  assertEquals(replyType("kernel_info_request"), "kernel_info_reply");
  const g = new ReplayGuard(10);
  for (let i = 0; i < 100; i++) assertEquals(g.seen(`s${i}`), false);
  assertEquals(g.seen("s99"), true);
  assertEquals(g.seen("s0"), false);
});

const PY = `
import sys, json, base64
from jupyter_client.session import Session
key = sys.argv[1].encode()
s = Session(key=key, username="py", session="py-session")
if sys.argv[2] == "make":
    msg = s.msg("kernel_info_request", content={"x": "é"})
    frames = s.serialize(msg, ident=[b"id1"])
    print(json.dumps([base64.b64encode(f).decode() for f in frames]))
else:
    frames = [base64.b64decode(f) for f in json.loads(sys.stdin.read())]
    idents, rest = s.feed_identities(frames)
    m = s.deserialize(rest)
    print(json.dumps({"idents": [i.decode() for i in idents], "type": m["header"]["msg_type"], "content": m["content"], "parent": m["parent_header"].get("msg_id")}))
`;

async function py(args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", PY, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(enc.encode(stdin));
    await w.close();
  }
  const out = await child.output();
  if (out.code !== 0) throw new Error(dec.decode(out.stderr));
  return dec.decode(out.stdout);
}

const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

Deno.test("interop: jupyter_client Session signs what we verify, and verifies what we sign", async () => {
  const key = newKey();
  const signer = new Signer(key);
  const frames = (JSON.parse(await py([key, "make"])) as string[]).map(unb64);
  const d = decode(frames, signer);
  assert(d.ok, d.ok ? "" : d.detail);
  assertEquals(dec.decode(d.identities[0]), "id1");
  assertEquals(d.message.header.msg_type, "kernel_info_request");
  assertEquals(d.message.content, { x: "é" });
  const reply = newMessage("kernel_info_reply", { status: "ok" }, "k", d.message.header);
  const out = JSON.parse(
    await py([key, "check"], JSON.stringify(encode(reply, signer, d.identities).map(b64))),
  );
  assertEquals(out, {
    idents: ["id1"],
    type: "kernel_info_reply",
    content: { status: "ok" },
    parent: d.message.header.msg_id,
  });
  // A wrong key is refused by Python too.
  const bad = await py([key, "check"], JSON.stringify(encode(reply, new Signer("x"), []).map(b64)))
    .then(() => "accepted", () => "refused");
  assertEquals(bad, "refused");
});

Deno.test("jupyter sign: the other schemes of the protocol sign like node:crypto; an unknown one is refused", async () => {
  const { createHmac } = await import("node:crypto");
  const parts = [enc.encode('{"a":1}'), enc.encode("{}"), enc.encode("{}"), enc.encode('{"b":2}')];
  for (const alg of ["sha256", "sha384", "sha512", "sha1", "md5"]) {
    const signer = await Signer.forScheme("k3y", `hmac-${alg}`);
    const h = createHmac(alg, "k3y");
    for (const p of parts) h.update(p);
    const want = h.digest("hex");
    assertEquals(signer.sign(parts), want, alg);
    assert(signer.verify(want, parts));
    assert(!signer.verify(want.slice(0, -1) + (want.endsWith("0") ? "1" : "0"), parts));
  }
  let err: unknown;
  await Signer.forScheme("k", "hmac-sha3").catch((e) => err = e);
  assert(String((err as Error)?.message).includes("unsupported signature scheme"), String(err));
});
