/** The inputs of the byte-exactness tests (tests/cli/bytes_test.ts, tests/kernel/bytes_test.ts). */

/** Bytes from a string whose characters are all below 256 (one byte each). */
export function bytes(s: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export const INPUTS: { name: string; bytes: Uint8Array<ArrayBuffer> }[] = [
  { name: "invalid UTF-8", bytes: bytes("\xc3\x28 \xff\xfe \xed\xa0\x80 \xc0\xaf \x80") },
  { name: "Latin-1 text", bytes: bytes("caf\xe9 na\xefve") },
  { name: "NUL bytes", bytes: bytes("a\x00b\x00") },
  { name: "a BOM", bytes: bytes("\xef\xbb\xbfhi") },
  { name: "CRLF line ends", bytes: bytes("one\r\ntwo\r\n") },
  { name: "UTF-8 cut short at the end", bytes: bytes("ok \xe2\x82") },
  { name: "valid UTF-8", bytes: bytes("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") },
  { name: "every byte 0-255", bytes: Uint8Array.from({ length: 256 }, (_, i) => i) },
];

/**
 * A Lua string literal of `b`: the bytes themselves, except those `escaped` says, as
 * `\ddd` (three digits, so that a digit after one is not read into it).
 */
export function literal(b: Uint8Array, escaped: (byte: number) => boolean): Uint8Array {
  const parts: number[] = [0x22];
  for (const x of b) {
    if (escaped(x)) parts.push(...bytes("\\" + String(x).padStart(3, "0")));
    else parts.push(x);
  }
  parts.push(0x22);
  return Uint8Array.from(parts);
}

/** Raw bytes in the source: only what a quoted string cannot hold is escaped. */
export const rawLit = (b: Uint8Array) =>
  literal(b, (x) => x === 0x22 || x === 0x5c || x === 0x0a || x === 0x0d);
/** Printable ASCII only: the source is plain text, the string is not. */
export const asciiLit = (b: Uint8Array) =>
  literal(b, (x) => x < 0x20 || x > 0x7e || x === 0x22 || x === 0x5c);
