/**
 * The speedscope file of a profile the CLI wrote: it validates against the schema of
 * `npm:speedscope` (dist/release/file-format-schema.json) with @cfworker/json-schema, and
 * speedscope's offline app (the package's dist/release/index.html, served from 127.0.0.1)
 * opens it in headless Chromium (Debian's, driven by playwright-core) without a console
 * error, showing the profile's name.
 */
import { type Browser, chromium } from "playwright-core";
import { Validator } from "@cfworker/json-schema";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli, FIXTURES, tempDir } from "../helpers/cli.ts";

const RELEASE = new URL("../../node_modules/speedscope/dist/release/", import.meta.url).pathname;
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  // speedscope draws with WebGL: SwiftShader, Chromium's software renderer, provides it.
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** A safety net for the page: Chromium starts slowly on a loaded machine. */
const WAIT_MS = 60_000;

const TYPES: Record<string, string> = {
  html: "text/html",
  js: "text/javascript",
  css: "text/css",
  json: "application/json",
  wasm: "application/wasm",
  woff2: "font/woff2",
  png: "image/png",
  ico: "image/x-icon",
  txt: "text/plain",
};

/** speedscope's release files, and the profile at /profile.speedscope.json. */
function serve(profile: string): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const name = new URL(req.url).pathname.slice(1) || "index.html";
    const file = name === "profile.speedscope.json" ? profile : RELEASE + name.replace(/\.\./g, "");
    try {
      const body = await Deno.readFile(file);
      return new Response(body, {
        headers: {
          "content-type": TYPES[name.split(".").pop() ?? ""] ?? "application/octet-stream",
        },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

Deno.test({
  name: "speedscope: the CLI's file validates against speedscope's schema and opens in its app",
  // playwright-core keeps timers and sockets of its own between calls.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await tempDir();
    let server: Deno.HttpServer<Deno.NetAddr> | undefined;
    let browser: Browser | undefined;
    try {
      const r = await cli(["profile", "--out", "mix", `${FIXTURES}profile_mix.lua`], { cwd: dir });
      assertEquals(r.code, 0, r.stderr);
      const file = `${dir}/mix.speedscope.json`;
      const doc = JSON.parse(await Deno.readTextFile(file));
      const schema = JSON.parse(await Deno.readTextFile(`${RELEASE}file-format-schema.json`));
      const result = new Validator(schema, "7", false).validate(doc);
      assert(result.valid, JSON.stringify(result.errors.slice(0, 5), null, 1));
      // The name is the script's; a Lua frame carries its file and line.
      const name = doc.name as string;
      assert(name.endsWith("profile_mix.lua"), name);
      const frames = doc.shared.frames as { name: string; file?: string; line?: number }[];
      assert(
        frames.some((f) =>
          f.name === "leaf" && f.line === 3 && f.file?.endsWith("profile_mix.lua")
        ),
      );
      assert(frames.some((f) => f.name === "[host] state.set"));
      // A broken file is refused by the same check (the check is not vacuous).
      const broken = { ...doc, profiles: [{ ...doc.profiles[0], unit: "parsecs" }] };
      assertEquals(new Validator(schema, "7", false).validate(broken).valid, false);

      server = serve(file);
      const base = `http://127.0.0.1:${server.addr.port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      page.setDefaultTimeout(WAIT_MS);
      const problems: string[] = [];
      // The first problem fails the test at once instead of at the page's time limit.
      let failed!: (e: Error) => void;
      const failure = new Promise<never>((_, reject) => failed = reject);
      failure.catch(() => {});
      const problem = (p: string) => {
        problems.push(p);
        failed(new Error(p));
      };
      page.on("console", (m) => {
        // speedscope logs a file it cannot import ("Failed to load format") as a plain log.
        if (m.type() === "error" || m.text().startsWith("Failed")) problem(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => problem(`page: ${e.message}`));
      page.on("dialog", (d) => {
        problem(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      await page.goto(
        `${base}/index.html#profileURL=${encodeURIComponent(`${base}/profile.speedscope.json`)}`,
      );
      // speedscope names the page after the profile once it has imported it.
      await Promise.race([
        page.waitForFunction(`document.title === ${JSON.stringify(`${name} - speedscope`)}`),
        failure,
      ]);
      // And shows the name in its toolbar.
      await Promise.race([page.getByText(name).first().waitFor(), failure]);
      const body = await page.locator("body").innerText();
      assertStringIncludes(body, name);
      assert(!body.includes("Something went wrong"), body);
      assertEquals(problems, []);
    } finally {
      await browser?.close();
      await server?.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
