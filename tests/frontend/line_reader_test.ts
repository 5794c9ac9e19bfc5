/**
 * The one stdin line reader (src/frontend/line_reader.ts): lines split as bytes wherever the
 * reads cut them, each byte kept (not UTF-8 → U+DC80 + byte), a CR before the newline dropped
 * only when asked, the last line without a newline kept, then null.
 */
import { assertEquals } from "../helpers/assert.ts";
import { type ByteSource, LineReader } from "../../src/frontend/line_reader.ts";

/** A source that hands out `parts` one read each (split mid-character on purpose). */
function source(...parts: number[][]): ByteSource {
  const queue = parts.map((p) => Uint8Array.from(p));
  return {
    read(p: Uint8Array): Promise<number | null> {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      // As a real read: no more than fits, the rest comes with the next read.
      if (next.length > p.length) queue.unshift(next.subarray(p.length));
      p.set(next.subarray(0, p.length));
      return Promise.resolve(Math.min(next.length, p.length));
    },
  };
}

async function all(reader: LineReader): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (;;) {
    const line = await reader.read();
    out.push(line);
    if (line === null) return out;
  }
}

const bytes = (s: string) => [...new TextEncoder().encode(s)];

Deno.test("line reader: lines split across reads, a character cut between two reads kept", async () => {
  const text = bytes("é=1\nprint('ü')\n\nlast");
  const reader = new LineReader(
    { stripCr: true },
    source(text.slice(0, 1), text.slice(1, 14), text.slice(14)),
  );
  assertEquals(await all(reader), ["é=1", "print('ü')", "", "last", null]);
});

Deno.test("line reader: bytes that are not UTF-8 come back as lone surrogates", async () => {
  const reader = new LineReader({ stripCr: false }, source([0x61, 0xff, 0x0a, 0xc3], [0x28, 0x0a]));
  assertEquals(await all(reader), ["a\udcff", "\udcc3(", null]);
});

Deno.test("line reader: a CR before the newline is dropped only with stripCr", async () => {
  const input = bytes("a\r\nb\r\n\r");
  assertEquals(await all(new LineReader({ stripCr: true }, source(input))), ["a", "b", "\r", null]);
  assertEquals(await all(new LineReader({ stripCr: false }, source(input))), [
    "a\r",
    "b\r",
    "\r",
    null,
  ]);
});

Deno.test("line reader: empty input is no line; after the end it stays ended", async () => {
  const reader = new LineReader({ stripCr: true }, source());
  assertEquals(await reader.read(), null);
  assertEquals(await reader.read(), null);
});

Deno.test("line reader: a line longer than the buffer, after a short one", async () => {
  const long = "x".repeat(10_000);
  const input = bytes(`a\n${long}\nb`);
  const parts = [];
  for (let i = 0; i < input.length; i += 3000) parts.push(input.slice(i, i + 3000));
  assertEquals(await all(new LineReader({ stripCr: true }, source(...parts))), [
    "a",
    long,
    "b",
    null,
  ]);
});
