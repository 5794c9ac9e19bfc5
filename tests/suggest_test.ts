import assert from "node:assert/strict";
import { damerauLevenshtein, suggest } from "../src/suggest.ts";

Deno.test("damerauLevenshtein counts an adjacent swap as one edit", () => {
  assert.equal(damerauLevenshtein("tiemout", "timeout"), 1);
  assert.equal(damerauLevenshtein("kitten", "sitting"), 3);
  assert.equal(damerauLevenshtein("", "abc"), 3);
  assert.equal(damerauLevenshtein("abc", "abc"), 0);
});

Deno.test("suggest finds typos within the length-relative threshold", () => {
  const commands = ["run", "exec", "repl", "debug", "kernel", "config"];
  assert.equal(suggest("confg", commands), "config");
  assert.equal(suggest("kernle", commands), "kernel"); // swap
  assert.equal(suggest("rn", commands), "run");
  assert.equal(suggest("CONFIG", commands), "config"); // case-insensitive
  // Too far: "xyz" is 3 edits from everything, threshold for 3 characters is 1.
  assert.equal(suggest("xyz", commands), undefined);
  assert.equal(suggest("", commands), undefined);
});

Deno.test("suggest falls back to a prefix match for abbreviations", () => {
  assert.equal(suggest("max_mem", ["max_memory_bytes", "timeout_ms"]), "max_memory_bytes");
  // The shortest extension wins.
  assert.equal(suggest("hist", ["history_size_limit", "history_size"]), "history_size");
  // A single character is not an abbreviation.
  assert.equal(suggest("z", ["zebra"]), undefined);
});

Deno.test("suggest prefers the closest candidate, then prefix, then list order", () => {
  assert.equal(suggest("tols", ["tool", "tools"]), "tools"); // 2 edits against 1
  assert.equal(suggest("ip", ["ipc", "tip"]), "ipc"); // both 1 edit; prefix wins
  assert.equal(suggest("abcd", ["abce", "abcf"]), "abce"); // tie: list order
});
