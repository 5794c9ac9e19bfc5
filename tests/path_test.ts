import * as nodePath from "node:path";
import { isAbsolute, join, relative } from "../src/path.ts";
import { assertEquals } from "./helpers/assert.ts";

Deno.test("src/path.ts agrees with node:path on what the main thread uses", () => {
  const pairs = [
    ["/a/b", "/a/b/c.toml"],
    ["/a/b", "/a/x/c.toml"],
    ["/a/b", "/a/b"],
    ["/a/b/", "/c"],
    ["/", "/a"],
    ["/a/b", "rel/c.toml"],
  ];
  for (const [from, to] of pairs) {
    assertEquals(relative(from, to), nodePath.posix.relative(from, to), `${from} -> ${to}`);
  }
  for (const p of ["/a", "a", "./a", "", "~/a"]) {
    assertEquals(isAbsolute(p), nodePath.posix.isAbsolute(p), p);
  }
  // The config paths: directories joined with file names.
  assertEquals(
    join("/home/u", ".config", "llmspell", "config.toml"),
    "/home/u/.config/llmspell/config.toml",
  );
});
