/**
 * The flame graph writer (src/profile/flamegraph.ts) against Brendan Gregg's flamegraph.pl
 * (Debian's libdevel-nytprof-perl ships it): on the same folded stacks, the SVG parses as
 * SVG with an XML parser (Python's ElementTree) and has the same frames (name, depth, x,
 * width, amount) as flamegraph.pl's: on a profile the CLI wrote, and on folded stacks made
 * to have frames too narrow to draw.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, FIXTURES, tempDir } from "../helpers/cli.ts";
import { flameGraphSvg } from "../../src/profile/flamegraph.ts";

const FLAMEGRAPH_PL = "/usr/share/perl5/Devel/NYTProf/flamegraph.pl";

interface Frame {
  name: string;
  amount: number;
  x: number;
  y: number;
  width: number;
}

/** The frames of an SVG flame graph, read with an XML parser: each `<g>` with a title. */
async function frames(svg: string): Promise<{ root: string; frames: Frame[] }> {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
ns = "{http://www.w3.org/2000/svg}"
out = []
for g in root.iter(ns + "g"):
    title, rect = g.find(ns + "title"), g.find(ns + "rect")
    if title is None or rect is None:
        continue
    out.append({"title": title.text, "x": float(rect.get("x")), "y": float(rect.get("y")),
                "width": float(rect.get("width"))})
print(json.dumps({"root": root.tag, "frames": out}))
`;
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(svg));
  await w.close();
  const out = await child.output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const parsed = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    root: string;
    frames: { title: string; x: number; y: number; width: number }[];
  };
  return {
    root: parsed.root,
    frames: parsed.frames.map((f) => {
      const m = /^(.*) \(([\d,]+) [a-z]+, [\d.]+%\)$/s.exec(f.title);
      assert(m, f.title);
      return {
        name: m[1].replace(/&amp;/g, "&").replace(/&quot;/g, '"'),
        amount: Number(m[2].replace(/,/g, "")),
        x: f.x,
        y: f.y,
        width: f.width,
      };
    }),
  };
}

async function flamegraphPl(folded: string): Promise<string> {
  const child = new Deno.Command("perl", {
    args: [FLAMEGRAPH_PL, "--countname", "us"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(folded));
  await w.close();
  const out = await child.output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

/** Both graphs have the same frames: same names, amounts and rows, x and width to 0.1 px. */
async function assertSameFrames(ours: string, theirs: string): Promise<number> {
  const a = await frames(ours);
  const b = await frames(theirs);
  assertEquals(a.root, "{http://www.w3.org/2000/svg}svg");
  const key = (f: Frame) => `${f.y} ${f.x.toFixed(1)} ${f.name}`;
  const sort = (fs: Frame[]) => [...fs].sort((p, q) => p.y - q.y || p.x - q.x);
  const ax = sort(a.frames);
  const bx = sort(b.frames);
  assertEquals(ax.map((f) => f.name).sort(), bx.map((f) => f.name).sort());
  assertEquals(ax.length, bx.length);
  ax.forEach((f, i) => {
    const g = bx[i];
    const same = f.name === g.name && f.y === g.y && f.amount === g.amount &&
      Math.abs(f.x - g.x) <= 0.1 + 1e-9 && Math.abs(f.width - g.width) <= 0.1 + 1e-9;
    assert(
      same,
      `ours ${key(f)} w ${f.width} (${f.amount}) vs theirs ${key(g)} w ${g.width} (${g.amount})`,
    );
  });
  return ax.length;
}

/** Folded text → the writer's input. */
function stacks(folded: string): { stack: string[]; weight: number }[] {
  return folded.trimEnd().split("\n").map((line) => {
    const at = line.lastIndexOf(" ");
    return { stack: line.slice(0, at).split(";"), weight: Number(line.slice(at + 1)) };
  });
}

Deno.test("flame graph: the CLI's SVG has flamegraph.pl's frames on the same folded stacks", async () => {
  const dir = await tempDir();
  try {
    const r = await cli(["profile", "--out", "mix", `${FIXTURES}profile_mix.lua`], { cwd: dir });
    assertEquals(r.code, 0, r.stderr);
    const folded = await Deno.readTextFile(`${dir}/mix.folded`);
    // The host calls and the recursion are in it.
    assert(folded.includes(";[host] state.set "), folded);
    assert(/rec \(profile_mix\.lua:14\);rec \(profile_mix\.lua:14\)/.test(folded), folded);
    const n = await assertSameFrames(
      await Deno.readTextFile(`${dir}/mix.svg`),
      await flamegraphPl(folded),
    );
    assert(n >= 5, `${n} frames`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("flame graph: frames too narrow to draw are left out as flamegraph.pl leaves them", async () => {
  // One wide stack, many narrow ones (1 in 10^6 of the total: under 0.1 px), names that
  // need escaping, and stacks that sort apart from where they were made.
  const lines = ["main;work;hot 1000000", "main;work 5000", 'main;b&c;"quoted" 70000'];
  for (let i = 0; i < 40; i++) lines.push(`main;tiny${i};leaf 1`);
  for (let i = 0; i < 5; i++) lines.push(`main;zeta;depth${i};more 3000`);
  const folded = lines.join("\n") + "\n";
  const n = await assertSameFrames(flameGraphSvg(stacks(folded), "t"), await flamegraphPl(folded));
  assert(n >= 10 && n < 40, `${n} frames`);
});
