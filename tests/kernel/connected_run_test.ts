/**
 * `run --connect KERNEL proj/main.lua` finds the script's modules as an embedded run does,
 * and the kernel's later cells search as before.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { startKernel } from "./helpers.ts";

Deno.test("run --connect: require searches the script's directory for that run only", async () => {
  const k = await startKernel();
  try {
    const client = await tempDir();
    await Deno.mkdir(`${client}/proj/lib`, { recursive: true });
    await Deno.writeTextFile(
      `${client}/proj/main.lua`,
      'local mod = require("mod")\nlocal nested = require("lib.util")\nprint(mod.hello(ARGS.name), nested)\n',
    );
    await Deno.writeTextFile(
      `${client}/proj/mod.lua`,
      "return { hello = function(n) return 'hello ' .. n end }\n",
    );
    await Deno.writeTextFile(`${client}/proj/lib/util.lua`, "return 'util'\n");
    await Deno.writeTextFile(`${client}/proj/later.lua`, "return 'later'\n");
    const opts = { cwd: client, env: { LLMSPELL_HOME: k.home } };

    const embedded = await cli(["run", "proj/main.lua", "--", "--name", "Ada"], opts);
    assertEquals(embedded, { code: 0, stdout: "hello Ada\tutil\n", stderr: "" });
    const before = await cli(["exec", "--connect", k.id, "package.path"], opts);
    const connected = await cli(
      ["run", "--connect", k.id, "proj/main.lua", "--", "--name", "Ada"],
      opts,
    );
    assertEquals(connected, embedded);

    // Afterwards: the search path is the kernel's own again, for every client.
    const after = await cli(["exec", "--connect", k.id, "package.path"], opts);
    assertEquals(after.stdout, before.stdout);
    const later = await cli(["exec", "--connect", k.id, 'require("later")'], opts);
    assertEquals(later.code, 1);
    assertStringIncludes(later.stderr, "module 'later' not found");
  } finally {
    await k.stop();
  }
});
