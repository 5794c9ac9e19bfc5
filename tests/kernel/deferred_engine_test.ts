/**
 * A kernel that starts its engine after its first reply (KernelOptions.deferEngineStart, as
 * `kernel start` does) still becomes ready when no request comes. The service tests cover
 * the start by a first request (jupyter_client sends kernel_info first).
 */
import { InProcessClient } from "../../src/client/in_process.ts";
import type { KernelOptions } from "../../src/kernel/kernel_options.ts";
import { assertEquals } from "../helpers/assert.ts";
import { tempDir } from "../helpers/cli.ts";

async function options(): Promise<KernelOptions> {
  const cwd = await tempDir();
  return {
    engineOptions: {
      securityLevel: "safe",
      allowedPaths: [cwd],
      maxMemoryBytes: 0,
      timeoutMs: 0,
      cwd,
      stdin: "kernel",
    },
    kernelId: "deferred",
    deferEngineStart: true,
  };
}

Deno.test("deferred engine: ready with no request at all, then runs code", async () => {
  const client = await InProcessClient.start(await options());
  try {
    const stdout: string[] = [];
    const reply = await client.execute({ code: "print(6 * 7)" }, {
      onIopub: (m) => {
        if (m.header.msg_type === "stream") stdout.push(String(m.content.text));
      },
    });
    assertEquals(reply.content.status, "ok");
    assertEquals(stdout.join(""), "42\n");
  } finally {
    await client.close();
  }
});
