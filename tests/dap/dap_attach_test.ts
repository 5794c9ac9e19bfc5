/**
 * `llmspell dap` attach: a DAP client (VS Code's DebugClient) joins a running `llmspell kernel`
 * through debug_request; a breakpoint it sets is hit by a cell that a Jupyter client
 * (jupyter_client) executes; both clients see the stop, either can continue, and the Jupyter
 * client's debugInfo lists the DAP client's breakpoint and the stopped thread.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { driver, KERNEL_DIR, startKernel } from "../kernel/helpers.ts";
import { DAP_FIXTURES, startAdapter } from "./helpers.ts";

const CONTROL = `${KERNEL_DIR}driver_control.py`;

interface CellFindings {
  stopped: { event: string; body: DP.StoppedEvent["body"] } | null;
  continued: { event: string } | null;
  debug_info: {
    breakpoints: { source: string; breakpoints: { line: number }[] }[];
    stoppedThreads: number[];
  } | null;
  status: string;
  result: string | null;
}

for (const who of ["dap", "jupyter"] as const) {
  Deno.test(`dap attach: a cell stops at the DAP client's breakpoint; ${who} continues`, async () => {
    const k = await startKernel();
    const lib = `${k.home}/dap_lib.lua`;
    await Deno.copyFile(`${DAP_FIXTURES}dap_lib.lua`, lib);
    const a = await startAdapter("stdio");
    try {
      const { dc, events } = a;
      await dc.initializeRequest({ adapterID: "llmspell" });
      const initialized = dc.waitForEvent("initialized");
      await dc.attachRequest({ kernel: k.connectionFile } as DP.AttachRequestArguments);
      await initialized;
      const bps = await dc.setBreakpointsRequest({
        source: { path: lib },
        breakpoints: [{ line: 4 }],
      });
      assertEquals(bps.body.breakpoints[0].verified, true);
      await dc.configurationDoneRequest();

      const stopped = dc.waitForEvent("stopped") as Promise<DP.StoppedEvent>;
      const cell = driver(
        ["debug_cell", k.connectionFile, `return dofile("dap_lib.lua").twice(4)`, who],
        {},
        CONTROL,
      );
      const st = await stopped;
      assertEquals(st.body.reason, "breakpoint");
      assertEquals(st.body.hitBreakpointIds, [bps.body.breakpoints[0].id]);
      const trace = await dc.stackTraceRequest({ threadId: 1 });
      assertEquals(trace.body.stackFrames[0].source?.path, lib);
      assertEquals(trace.body.stackFrames[0].line, 4);
      const x = await dc.evaluateRequest({
        expression: "x",
        frameId: trace.body.stackFrames[0].id,
      });
      assertEquals(x.body.result, "4");
      if (who === "dap") await dc.continueRequest({ threadId: 1 });
      else {
        // Done looking: a new breakpoint tells the Jupyter client, which continues.
        const continued = dc.waitForEvent("continued");
        await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "never_called" }] });
        await continued;
      }

      const r = await cell;
      assertEquals(r.code, 0, r.stderr);
      const j = r.json as CellFindings;
      assertEquals(j.stopped?.body.reason, "breakpoint");
      assertEquals(j.stopped?.body.hitBreakpointIds, [bps.body.breakpoints[0].id]);
      assert(j.continued, "the Jupyter client saw no continued event");
      assertEquals(j.debug_info?.breakpoints, [{ source: lib, breakpoints: [{ line: 4 }] }]);
      assertEquals(j.debug_info?.stoppedThreads, [1]);
      assertEquals(j.status, "ok");
      assertEquals(j.result, "8");
      assertStringIncludes(events.map((e) => e.event).join(), "stopped");
    } finally {
      await a.stop();
      await k.stop();
    }
  });
}
