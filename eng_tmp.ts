import { Engine } from "./src/engine/handle.ts";
const engine = new Engine({ interruptible: false });
void engine.init({
  securityLevel: "safe",
  allowedPaths: [Deno.cwd()],
  maxMemoryBytes: 0,
  timeoutMs: 0,
  cwd: Deno.cwd(),
});
for await (
  const ev of engine.execute({ code: "print(1)", chunkName: "=(command line)", echo: true })
) {
  if (ev.type === "stream") Deno.stdout.writeSync(ev.data as Uint8Array);
}
engine.close();
await new Promise((r) => setTimeout(r, 300));
Deno.exit(0);
