/**
 * The TypeScript HMAC-SHA256 that signs Jupyter messages, against RFC 4231's test vectors
 * and node:crypto over lengths around the 64-byte block boundaries.
 */
import { createHash, createHmac } from "node:crypto";
import { assertEquals } from "../../helpers/assert.ts";
import { HmacSha256, sha256, toHex } from "../../../src/protocol/jupyter/hmac_sha256.ts";

const enc = new TextEncoder();
const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

Deno.test("hmac_sha256: RFC 4231 test cases 1, 2, 4, 6 and 7", () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [
      new Uint8Array(20).fill(0x0b),
      enc.encode("Hi There"),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ],
    [
      enc.encode("Jefe"),
      enc.encode("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    [
      hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
      new Uint8Array(50).fill(0xcd),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ],
    [
      new Uint8Array(131).fill(0xaa),
      enc.encode("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
    [
      new Uint8Array(131).fill(0xaa),
      enc.encode(
        "This is a test using a larger than block-size key and a larger than block-size data." +
          " The key needs to be hashed before being used by the HMAC algorithm.",
      ),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];
  for (const [key, data, want] of cases) {
    assertEquals(toHex(new HmacSha256(key).mac([data])), want);
  }
});

Deno.test("hmac_sha256: equals node:crypto for every length 0-300 and split parts", () => {
  const key = enc.encode("a connection key of some length");
  const mac = new HmacSha256(key);
  const data = crypto.getRandomValues(new Uint8Array(300));
  for (let n = 0; n <= 300; n++) {
    const part = data.subarray(0, n);
    const want = createHmac("sha256", key).update(part).digest("hex");
    assertEquals(toHex(mac.mac([part])), want, `length ${n}`);
    // The same bytes in three parts (as a message's four JSON frames are signed).
    const a = Math.floor(n / 3), b = Math.floor((2 * n) / 3);
    assertEquals(
      toHex(mac.mac([part.subarray(0, a), part.subarray(a, b), part.subarray(b)])),
      want,
    );
    assertEquals(toHex(sha256(part)), createHash("sha256").update(part).digest("hex"));
  }
  const big = crypto.getRandomValues(new Uint8Array(65536)).fill(7, 1000, 5000);
  assertEquals(toHex(mac.mac([big])), createHmac("sha256", key).update(big).digest("hex"));
});
