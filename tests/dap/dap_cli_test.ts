/**
 * The `llmspell dap` command line: --host warns when the address is not loopback, --host
 * without --port is a usage error, a bad port too; the adapter ends when its TCP client leaves.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli, cliCommand, tempDir } from "../helpers/cli.ts";
import { frame } from "../../src/debug/session/framing.ts";

Deno.test("dap: --host other than loopback warns; the adapter serves one client, then ends", async () => {
  const home = await tempDir();
  const child = cliCommand(["dap", "--port", "0", "--host", "127.0.0.2"], {
    env: { LLMSPELL_HOME: home },
  }).spawn();
  const reader = child.stderr.getReader();
  const dec = new TextDecoder();
  let err = "";
  let port = 0;
  while (!port) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stderr ended: ${err}`);
    err += dec.decode(value, { stream: true });
    port = Number(/listening on 127\.0\.0\.2:(\d+)/.exec(err)?.[1] ?? 0);
  }
  assertStringIncludes(err, "warning: the debug adapter listens on 127.0.0.2");
  const conn = await Deno.connect({ hostname: "127.0.0.2", port });
  await conn.write(frame({ seq: 1, type: "request", command: "initialize", arguments: {} }));
  await conn.write(frame({ seq: 2, type: "request", command: "disconnect", arguments: {} }));
  const got = await new Response(conn.readable).text();
  assertStringIncludes(got, '"command":"initialize","success":true');
  assertStringIncludes(got, '"command":"disconnect","success":true');
  reader.releaseLock();
  await child.stderr.cancel();
  await child.stdout.cancel();
  assertEquals((await child.status).code, 0);
});

Deno.test("dap: --host without --port, and a bad port, are usage errors", async () => {
  const a = await cli(["dap", "--host", "0.0.0.0"]);
  assertEquals(a.code, 2);
  assertStringIncludes(a.stderr, "--host needs --port");
  const b = await cli(["dap", "--port", "http"]);
  assertEquals(b.code, 2);
  assertStringIncludes(b.stderr, "--port expects a port number");
});
