/**
 * bench/telemetry.ts helper: a stand-in for an OpenTelemetry collector, in a process of its
 * own as a real one would be. It reads each OTLP/HTTP request's body, drops it and answers
 * 200 with an empty message of the request's encoding (protobuf or JSON); it decodes
 * nothing. Prints its port, then, when its stdin closes, one JSON line of what it received
 * per path (requests and bytes), and exits.
 *
 *   deno run -A bench/otlp_sink.ts
 */
const received: Record<string, { requests: number; bytes: number }> = {};
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const bytes = (await req.arrayBuffer()).byteLength;
  const path = new URL(req.url).pathname;
  const seen = received[path] ??= { requests: 0, bytes: 0 };
  seen.requests++;
  seen.bytes += bytes;
  const json = req.headers.get("content-type")?.includes("json");
  return json
    ? new Response("{}", { headers: { "content-type": "application/json" } })
    : new Response(null, { headers: { "content-type": "application/x-protobuf" } });
});
console.log(server.addr.port);
for await (const _ of Deno.stdin.readable) { /* until the bench closes it */ }
await server.shutdown();
console.log(JSON.stringify(received));
