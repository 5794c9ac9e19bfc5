/**
 * A Lua file as lua5.4 loads it (luaL_loadfilex): a UTF-8 byte order mark at the start is
 * skipped, and then a first line that starts with `#` (`#!/usr/bin/env lua`), keeping its
 * newline so that line numbers stay those of the file. For either thread.
 */

/** The chunk in a file's bytes: a view of `bytes` past the BOM and the `#` line. */
export function fileChunk(bytes: Uint8Array): Uint8Array {
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  if (bytes[start] === 0x23 /* # */) {
    const nl = bytes.indexOf(0x0a, start);
    start = nl < 0 ? bytes.length : nl;
  }
  return start === 0 ? bytes : bytes.subarray(start);
}
