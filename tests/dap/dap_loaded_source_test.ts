/**
 * A `loadedSource` event for every chunk loaded, once each: the script, a required module,
 * loadfile and dofile chunks (their files), load() strings (by their chunk name, or as Lua
 * names an unnamed one); `loadedSources` lists them. Fixture: tests/fixtures/dap/loads.lua.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { assertEquals } from "../helpers/assert.ts";
import { DAP_FIXTURES, launchWith, LIB_LUA, withAdapter } from "./helpers.ts";

const LOADS_LUA = DAP_FIXTURES + "loads.lua";

const EXPECTED: DP.Source[] = [
  { name: "loads.lua", path: LOADS_LUA },
  { name: "dap_lib.lua", path: LIB_LUA },
  { name: "loads_file.lua", path: DAP_FIXTURES + "loads_file.lua" },
  { name: "loads_dofile.lua", path: DAP_FIXTURES + "loads_dofile.lua" },
  { name: "generated" },
  { name: `[string "return 'unnamed'"]` },
];

Deno.test("dap: a loadedSource event for the script, a module, loadfile, dofile and load() chunks", async () => {
  await withAdapter("stdio", async ({ dc, events }) => {
    const { firstStop } = await launchWith(
      dc,
      { program: LOADS_LUA, cwd: DAP_FIXTURES },
      async () => {
        // Stopped at the last line, where every chunk has loaded.
        await dc.setBreakpointsRequest({ source: { path: LOADS_LUA }, breakpoints: [{ line: 6 }] });
      },
    );
    await firstStop;
    const loaded = await dc.customRequest("loadedSources", {});
    const ended = dc.waitForEvent("terminated");
    await dc.continueRequest({ threadId: 1 });
    await ended;

    const announced = events.filter((e) => e.event === "loadedSource").map((e) =>
      (e as DP.LoadedSourceEvent).body
    );
    assertEquals(announced.map((b) => b.reason), EXPECTED.map(() => "new"));
    const shape = (s: DP.Source): DP.Source =>
      s.path ? { name: s.name, path: s.path } : { name: s.name };
    assertEquals(announced.map((b) => shape(b.source)), EXPECTED);
    assertEquals((loaded.body.sources as DP.Source[]).map(shape), EXPECTED);
  });
});
