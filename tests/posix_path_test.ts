import * as nodePath from "node:path";
import { basename, dirname, join, normalize, resolve } from "../src/posix_path.ts";
import { assertEquals } from "./helpers/assert.ts";

Deno.test("posix_path agrees with node:path on the cases the engine uses", () => {
  const cases = ["/a/b/../c", "a/./b//c/", "../x", "/", ".", "a/..", "/a/b/", "x.lua", "/../a"];
  for (const c of cases) {
    assertEquals(normalize(c), nodePath.posix.normalize(c).replace(/(.)\/$/, "$1"), c);
    assertEquals(dirname(c), nodePath.posix.dirname(c), c);
    assertEquals(basename(c), nodePath.posix.basename(c), c);
  }
  assertEquals(resolve("/base", "a/../b.lua"), "/base/b.lua");
  assertEquals(resolve("/base", "/etc/passwd"), "/etc/passwd");
  assertEquals(resolve("rel"), nodePath.resolve("rel"));
  assertEquals(join("/a", "b", "../c"), "/a/c");
});
