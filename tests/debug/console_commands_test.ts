/**
 * The console's one table of commands makes its help, its completion and its dispatch: every
 * word the help shows completes and runs, and nothing else does.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import {
  COMMAND_WORDS,
  completeCommandWord,
  CONSOLE_COMMANDS,
  findCommand,
  HELP,
} from "../../src/debug/console/commands.ts";
import { completeDebug } from "../../src/repl/completion.ts";

Deno.test("console commands: help, completion and dispatch come from one table", () => {
  for (const c of CONSOLE_COMMANDS) {
    assertStringIncludes(HELP, `  ${c.names.join("|")}`);
    assertStringIncludes(HELP, c.help);
    for (const n of c.names) assertEquals(findCommand(n), c, n);
  }
  const words = CONSOLE_COMMANDS.flatMap((c) => c.names);
  assertEquals([...COMMAND_WORDS].sort(), [...words].sort());
  assertEquals(completeCommandWord(""), words.filter((w) => w.length > 1).sort());
  assertEquals(completeDebug("db:unw", 6).matches, ["unwatch"]);
  assertEquals(completeDebug("r", 1).matches, ["restart", "run"]);
  assert(findCommand("nope") === undefined);
});
