import { readUpstream, vendored } from "../../scripts/vendor_commander.ts";
import { assertEquals } from "../helpers/assert.ts";

Deno.test("src/cli/vendor/commander.{js,d.ts} are generated from the installed commander (scripts/vendor_commander.ts)", async () => {
  const expected = vendored(readUpstream);
  const dir = new URL("../../src/cli/vendor/", import.meta.url);
  const js = await Deno.readTextFile(new URL("commander.js", dir));
  const dts = await Deno.readTextFile(new URL("commander.d.ts", dir));
  const hint = "run: deno run -A scripts/vendor_commander.ts";
  assertEquals(js === expected.js, true, hint);
  assertEquals(dts === expected.dts, true, hint);
});
