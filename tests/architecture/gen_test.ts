/** `deno task gen` runs every generator of the repository (scripts/gen.ts). */
import { assertEquals } from "../helpers/assert.ts";
import { GENERATORS } from "../../scripts/gen.ts";
import { ROOT } from "./boundaries.ts";

Deno.test("deno task gen runs every generator: each scripts/gen_*.ts and scripts/vendor_*.ts", async () => {
  const scripts: string[] = [];
  for await (const e of Deno.readDir(new URL("scripts/", ROOT))) {
    if (/^(gen_|vendor_).*\.ts$/.test(e.name)) scripts.push(`scripts/${e.name}`);
  }
  assertEquals(GENERATORS.map((g) => g.script).sort(), scripts.sort());
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks;
  assertEquals(tasks.gen, "deno run -A scripts/gen.ts");
});
