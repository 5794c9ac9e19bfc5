/**
 * A profiled notebook cell through jupyter_client (tests/kernel/profile_driver.py): a cell
 * whose first line is `%%profile` shows its flame graph inline (display_data with
 * image/svg+xml, which parses as SVG, and the top frames as text/plain); a client that asks
 * with `llmspell.profile` gets the profile in the execute_reply instead.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { driver, KERNEL_DIR, startKernel } from "./helpers.ts";

interface Found {
  status: string;
  displays: { mimes: string[]; svg: string; text: string }[];
  results: string[];
  bad: { status: string; evalue: string; displays: number };
  asked: { status: string; frames: string[]; samples: number; displays: number };
}

/** The root element's tag of an SVG, read with Python's XML parser. */
async function svgRoot(svg: string): Promise<string> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import sys, xml.etree.ElementTree as E; print(E.fromstring(sys.stdin.read()).tag)",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(svg));
  await w.close();
  return new TextDecoder().decode((await child.output()).stdout).trim();
}

Deno.test("kernel: a %%profile cell shows its flame graph inline; llmspell.profile brings it in the reply", async () => {
  const k = await startKernel();
  try {
    const r = await driver([k.connectionFile], {}, `${KERNEL_DIR}profile_driver.py`);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    const f = r.json as Found;
    assertEquals(f.status, "ok");
    assertEquals(f.displays.length, 1);
    const [shown] = f.displays;
    assertEquals(shown.mimes, ["image/svg+xml", "text/plain"]);
    assertEquals(await svgRoot(shown.svg), "{http://www.w3.org/2000/svg}svg");
    assertStringIncludes(shown.svg, "spin (In[1]:2)");
    assertMatch(shown.text, /^profile: [\d.]+ ms in \d+ samples\n/);
    assertMatch(shown.text, /\n +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +spin \(In\[1\]:2\)\n/);
    // The cell's last line is still echoed.
    assertEquals(f.results, ["3000000"]);
    // The error names the cell's own line 2; the profile of a failed cell is shown too.
    assertEquals(f.bad.status, "error");
    assertStringIncludes(f.bad.evalue, ":2: at line two");
    assertEquals(f.bad.displays, 1);
    assertEquals(f.asked.status, "ok");
    assert(f.asked.frames.includes("main chunk"), JSON.stringify(f.asked));
    assert(f.asked.samples > 0, JSON.stringify(f.asked));
    assertEquals(f.asked.displays, 0);
  } finally {
    await k.stop();
  }
});
