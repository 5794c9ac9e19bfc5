import { assert, assertEquals } from "./helpers/assert.ts";
import {
  decodeBytes,
  encodeText,
  escapeDeep,
  escapeText,
  StreamDecoder,
} from "../src/byte_string.ts";
import { backslashReplace } from "./helpers/raw_process.ts";

/** Random bytes, most of them near or in UTF-8's multi-byte ranges. */
function randomBytes(max: number): Uint8Array {
  const b = new Uint8Array(Math.floor(Math.random() * max));
  for (let i = 0; i < b.length; i++) {
    const r = Math.random();
    b[i] = r < 0.3
      ? Math.random() * 128
      : r < 0.6
      ? 0x80 + Math.random() * 64
      : 0xc0 + Math.random() * 64;
  }
  return b;
}

Deno.test("decodeBytes then encodeText gives back every byte string; the result is text only where the bytes are UTF-8", () => {
  for (let t = 0; t < 20000; t++) {
    const b = randomBytes(16);
    const s = decodeBytes(b);
    assertEquals(encodeText(s), b);
    let utf8 = true;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(b);
    } catch {
      utf8 = false;
    }
    assertEquals(s.isWellFormed(), utf8);
  }
  // A BOM is a character like any other: kept.
  assertEquals(decodeBytes(Uint8Array.of(0xef, 0xbb, 0xbf)), "\ufeff");
});

Deno.test("escapeText shows the bytes as Python's backslashreplace decoding does", async () => {
  const cases = Array.from({ length: 2000 }, () => randomBytes(12));
  const want = await backslashReplace(cases);
  assertEquals(cases.map((b) => escapeText(decodeBytes(b))), want);
  // Characters outside the BMP (surrogate pairs, one of them U+DC80's low half) stay.
  assertEquals(
    escapeText(decodeBytes(Uint8Array.of(0xf0, 0x90, 0x82, 0x80, 0xff))),
    "\u{10080}\\xff",
  );
});

Deno.test("StreamDecoder decodes chunks cut anywhere as decodeBytes decodes them whole", () => {
  for (let t = 0; t < 20000; t++) {
    const b = randomBytes(16);
    const d = new StreamDecoder();
    let s = "";
    for (let off = 0; off < b.length;) {
      const n = 1 + Math.floor(Math.random() * 4);
      s += d.decode(b.subarray(off, off + n));
      off += n;
    }
    assertEquals(s + d.end(), decodeBytes(b));
  }
});

Deno.test("escapeDeep escapes strings in arrays and objects, and returns what needs none as it is", () => {
  const clean = { a: ["x", 1, { b: "y" }], n: null };
  assert(escapeDeep(clean) === clean);
  const dirty = { a: ["x", decodeBytes(Uint8Array.of(0xff))], keep: clean };
  const out = escapeDeep(dirty);
  assertEquals(out, { a: ["x", "\\xff"], keep: clean });
  assert(out.keep === clean);
  assertEquals(dirty.a[1], "\udcff");
});
