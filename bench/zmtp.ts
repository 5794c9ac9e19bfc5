/**
 * ZMTP benchmark: our ROUTER (this process) and a pyzmq/libzmq ROUTER (a python process), each
 * echoing for the same pyzmq DEALER client, measured in one run.
 *
 *   deno run -A bench/zmtp.ts [--quick]
 *
 * Goals (issue 3): latency ≤ 1.5× libzmq, throughput ≥ 0.5× libzmq. Prints a table; exits 0.
 */

import { RouterSocket } from "../src/protocol/zmtp/mod.ts";

const quick = Deno.args.includes("--quick");
const PEER = new URL("./zmtp_peer.py", import.meta.url).pathname;

interface Test {
  name: string;
  kind: "latency" | "throughput";
  size: number;
  n: number;
  window?: number;
}

const tests: Test[] = [
  { name: "latency 100 B (µs/round trip)", kind: "latency", size: 100, n: quick ? 2000 : 10_000 },
  {
    name: "throughput 100 B (msg/s)",
    kind: "throughput",
    size: 100,
    n: quick ? 20_000 : 100_000,
    window: 1000,
  },
  {
    name: "throughput 64 KiB (msg/s)",
    kind: "throughput",
    size: 64 * 1024,
    n: quick ? 2000 : 10_000,
    window: 100,
  },
];
const reps = quick ? 1 : 3;

/** Reads a child's stdout line by line. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
}

async function main(): Promise<void> {
  // Our ROUTER: a plain echo loop, as the kernel's shell channel would run it.
  const ours = new RouterSocket({ highWaterMark: 10_000 });
  const { endpoint: oursEp } = await ours.bind("tcp://127.0.0.1:0");
  const serving = (async () => {
    for await (const m of ours) await ours.send(m);
  })();

  // libzmq's ROUTER, behind pyzmq.
  const server = new Deno.Command("/usr/bin/python3", {
    args: [PEER, "router"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const serverLines = lines(server.stdout);
  const first = (await serverLines.next()).value ?? "";
  if (!first.startsWith("ready ")) throw new Error(`pyzmq router did not start: ${first}`);
  const libEp = first.slice(6);

  const spec = { reps, tests };
  const client = new Deno.Command("/usr/bin/python3", {
    args: [PEER, "client", JSON.stringify(spec), `${oursEp},${libEp}`],
    stdout: "piped",
  }).spawn();
  const results = new Map<string, { ours: number[]; lib: number[] }>();
  let versions = "";
  const t0 = performance.now();
  for await (const l of lines(client.stdout)) {
    const r = JSON.parse(l);
    if (r.event === "connected") versions = `libzmq ${r.libzmq}, pyzmq ${r.pyzmq}`;
    if (r.event) continue;
    const e = results.get(r.test) ?? { ours: [], lib: [] };
    (r.endpoint === oursEp ? e.ours : e.lib).push(r.value);
    results.set(r.test, e);
  }
  const status = await client.status;
  const elapsed = (performance.now() - t0) / 1000;

  await server.stdin.close();
  for await (const _ of serverLines) {
    // drain
  }
  await server.status;
  await ours.close();
  await serving;

  if (!status.success) {
    console.error("bench client failed");
    return;
  }
  const rows: string[][] = [["test", "ours", "libzmq", "ratio", "goal", "met"]];
  for (const t of tests) {
    const e = results.get(t.name);
    if (!e) continue;
    const lat = t.kind === "latency";
    // Best of the repetitions: the figure least disturbed by other load on the machine.
    const o = lat ? Math.min(...e.ours) : Math.max(...e.ours);
    const z = lat ? Math.min(...e.lib) : Math.max(...e.lib);
    const ratio = o / z;
    const met = lat ? ratio <= 1.5 : ratio >= 0.5;
    const fmt = (v: number) => lat ? v.toFixed(1) : Math.round(v).toLocaleString("en-US");
    rows.push([
      t.name,
      fmt(o),
      fmt(z),
      `${ratio.toFixed(2)}×`,
      lat ? "≤ 1.5×" : "≥ 0.5×",
      met ? "yes" : "no",
    ]);
    if (t.kind === "throughput") {
      rows.push([
        `  = MiB/s each way`,
        (o * t.size / 1048576).toFixed(1),
        (z * t.size / 1048576).toFixed(1),
        "",
        "",
        "",
      ]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(
    `ZMTP bench (${quick ? "quick" : "full"}, best of ${reps}); ${versions}; ` +
      `Deno ${Deno.version.deno}; ${navigator.hardwareConcurrency} CPUs; ${elapsed.toFixed(1)} s`,
  );
  console.log("server: our RouterSocket vs a pyzmq ROUTER; client: one pyzmq DEALER, tcp loopback");
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
}

await main();
