/**
 * A real VS Code debugging through the extension: code-server (the npm package, cached by
 * scripts/ensure_code_server.sh) with the .vsix installed, shown in Debian's Chromium driven by
 * playwright-core. Through the page only: set a breakpoint, start the launch configuration,
 * stop at the breakpoint, read the call stack and the Locals, evaluate in the debug console,
 * continue to the end of the script.
 */
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { assert } from "../helpers/assert.ts";
import { FIXTURES, MAIN, tempDir } from "../helpers/cli.ts";
import { V8_FLAGS_ARG } from "../../src/engine/host/v8_flags.ts";
import { buildVsix } from "../../scripts/vsix.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** A safety net for each page condition: VS Code's workbench loads slowly on a loaded machine. */
const WAIT_MS = 120_000;
/** And for the whole test. */
const TEST_MS = 420_000;

/** The cached code-server: its directory (installed once; later this returns at once). */
async function codeServer(): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [`${ROOT}scripts/ensure_code_server.sh`],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert(out.success, "scripts/ensure_code_server.sh failed (see stderr)");
  return `${new TextDecoder().decode(out.stdout).trim()}/bin/code-server`;
}

async function run(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout) + dec.decode(out.stderr);
  assert(out.success, `${cmd} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** The workspace: the fixture, a launch.json for it, and user settings that keep the UI quiet. */
async function prepare(dir: string): Promise<{ userData: string; extensions: string; ws: string }> {
  const userData = `${dir}/user-data`;
  const extensions = `${dir}/extensions`;
  const ws = `${dir}/ws`;
  await Deno.mkdir(`${userData}/User`, { recursive: true });
  await Deno.mkdir(`${ws}/.vscode`, { recursive: true });
  await Deno.mkdir(extensions, { recursive: true });
  await Deno.copyFile(`${FIXTURES}vscode/add.lua`, `${ws}/add.lua`);
  // llmspell.path names a launcher for this checkout, as an installed llmspell would be.
  const launcher = `${dir}/llmspell`;
  await Deno.writeTextFile(
    launcher,
    `#!/bin/sh\nexport LLMSPELL_HOME='${dir}/home' NO_COLOR=1\n` +
      `exec '${Deno.execPath()}' run -A --quiet ${V8_FLAGS_ARG} '${MAIN}' "$@"\n`,
  );
  await Deno.chmod(launcher, 0o755);
  await Deno.writeTextFile(
    `${userData}/User/settings.json`,
    JSON.stringify({
      "llmspell.path": launcher,
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "workbench.enableExperiments": false,
      "workbench.welcomePage.walkthroughs.openOnInstall": false,
      "security.workspace.trust.enabled": false,
      "extensions.ignoreRecommendations": true,
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "update.mode": "none",
      "telemetry.telemetryLevel": "off",
      "chat.disableAIFeatures": true,
      "debug.openDebug": "openOnSessionStart",
      "debug.internalConsoleOptions": "openOnSessionStart",
    }),
  );
  await Deno.writeTextFile(
    `${ws}/.vscode/launch.json`,
    JSON.stringify({
      version: "0.2.0",
      configurations: [{
        type: "llmspell",
        request: "launch",
        name: "llmspell: add.lua",
        program: "${workspaceFolder}/add.lua",
        cwd: "${workspaceFolder}",
      }],
    }),
  );
  return { userData, extensions, ws };
}

/** code-server's output (stdout and stderr), kept for the failure message. */
class ServerLog {
  text = "";
  #found?: (url: string) => void;
  readonly url = new Promise<string>((resolve) => this.#found = resolve);

  /** Reads `stream` to its end (code-server must never block on a full pipe). */
  async drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      this.text += chunk;
      const m = this.text.match(/HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) this.#found?.(m[1]);
    }
  }
}

/** Runs a command from the palette (F1), picking the entry whose label is exactly `label`. */
async function command(page: Page, label: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${label}`);
  await page.locator(".quick-input-list .monaco-list-row")
    .filter({ has: page.getByText(label, { exact: true }) }).first().click();
  await input.waitFor({ state: "hidden" });
}

/** The text of a view, its whitespace collapsed. */
async function textOf(l: Locator): Promise<string> {
  return (await l.innerText()).replace(/\s+/g, " ");
}

async function waitForText(page: Page, selector: string, re: RegExp): Promise<string> {
  const l = page.locator(selector).first();
  // A string: the condition runs in the page (the tests are type-checked without the DOM).
  await page.waitForFunction(
    `(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      return el !== null && new RegExp(${
      JSON.stringify(re.source)
    }).test(el.innerText.replace(/\\s+/g, " "));
    })()`,
    undefined,
    { timeout: WAIT_MS },
  );
  return await textOf(l);
}

async function pageState(page: Page | undefined): Promise<string> {
  if (!page || page.isClosed()) return "(no page)";
  const parts: string[] = [];
  for (const sel of [".part.sidebar", ".part.panel", ".notifications-toasts", ".part.statusbar"]) {
    const text = await page.locator(sel).first().innerText({ timeout: 2_000 }).catch(() => "");
    parts.push(`${sel}: ${text.replace(/\s+/g, " ").slice(0, 2_000)}`);
  }
  return parts.join("\n");
}

Deno.test({
  name: "VS Code (code-server in Chromium) debugs a Lua script through the llmspell extension",
  // playwright-core keeps timers and sockets of its own between calls.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const bin = await codeServer();
    const dir = await tempDir();
    let server: Deno.ChildProcess | undefined;
    let browser: Browser | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let page: Page | undefined;
    const log = new ServerLog();
    try {
      const vsix = await buildVsix(`${dir}/llmspell-debug.vsix`);
      const { userData, extensions, ws } = await prepare(dir);
      const dirs = ["--user-data-dir", userData, "--extensions-dir", extensions];
      // code-server writes a default config.yaml under $XDG_CONFIG_HOME (or ~/.config).
      // No extension gallery: the test reaches localhost only (a closed port answers at once).
      const env = {
        HOME: dir,
        XDG_CONFIG_HOME: `${dir}/config`,
        EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: "http://127.0.0.1:9/gallery" }),
      };
      const installed = await run(bin, [...dirs, "--install-extension", vsix], env);
      assert(/llmspell-debug.*successfully installed/i.test(installed), installed);

      // setsid: code-server, its extension host and the adapters it starts share one process
      // group, ended together below.
      server = new Deno.Command("setsid", {
        args: [
          bin,
          ...dirs,
          "--bind-addr",
          "127.0.0.1:0",
          "--auth",
          "none",
          "--disable-workspace-trust",
          "--disable-telemetry",
          "--disable-update-check",
          "--disable-getting-started-override",
          "--ignore-last-opened",
        ],
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
        env,
      }).spawn();
      const ended = Promise.all([log.drain(server.stdout), log.drain(server.stderr)]);
      const url = await Promise.race([
        log.url,
        ended.then(() => Promise.reject(new Error("code-server ended before listening"))),
      ]);

      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.setDefaultTimeout(WAIT_MS);
      // Past the test's time, closing the browser fails whatever the page waits for.
      timer = setTimeout(() => browser?.close().catch(() => {}), TEST_MS);
      await page.goto(`${url}/?folder=${encodeURIComponent(ws)}`);
      await page.locator(".monaco-workbench .part.statusbar").waitFor();
      await page.getByRole("treeitem", { name: "add.lua" }).waitFor();

      // Open add.lua, go to line 4, toggle a breakpoint there.
      await page.keyboard.press("F1");
      const input = page.locator(".quick-input-widget input");
      await input.fill("add.lua");
      await page.locator(".quick-input-list .monaco-list-row", { hasText: "add.lua" }).first()
        .click();
      await page.locator(".monaco-editor .view-lines", { hasText: "local function add" })
        .waitFor();
      await page.keyboard.press("F1");
      await input.fill(":4");
      await page.locator(".quick-input-widget", { hasText: /line 4/i }).waitFor();
      await page.keyboard.press("Enter");
      await waitForText(page, ".part.statusbar", /Ln 4, Col 1/);
      await command(page, "Debug: Toggle Breakpoint");
      await page.locator(".monaco-editor .codicon-debug-breakpoint").first().waitFor();

      // Start the launch configuration; it stops at the breakpoint.
      await command(page, "Debug: Start Debugging");
      // The top frame comes first, the caller (the main chunk, line 7) a moment later.
      await waitForText(page, ".debug-call-stack", /add .*add\.lua 4\b.*add\.lua 7\b/);
      await waitForText(page, ".debug-variables", /Locals a = 2 b = 40 sum = 42 Upvalues/);

      // Evaluate in the debug console.
      await page.locator(".part.panel").getByRole("tab", { name: /Debug Console/ }).click();
      await page.locator(".repl-input-wrapper .monaco-editor").click();
      await page.locator(".repl-input-wrapper .monaco-editor.focused").waitFor();
      await page.keyboard.type("sum * 1000 + b");
      await page.keyboard.press("Enter");
      await waitForText(page, ".repl .monaco-list", /42040/);

      // Continue: the script prints and ends, and so does the session.
      await command(page, "Debug: Continue");
      await waitForText(page, ".repl .monaco-list", /total 42/);
      await page.locator(".debug-toolbar").waitFor({ state: "hidden" });
    } catch (e) {
      // What the page showed says more than a timeout: the side bar, panel and notifications.
      throw new Error(
        `${e instanceof Error ? e.message : e}\n${await pageState(page)}\n` +
          `code-server said:\n${log.text.slice(-4_000)}`,
      );
    } finally {
      clearTimeout(timer);
      await browser?.close().catch(() => {});
      if (server) {
        try {
          Deno.kill(-server.pid, "SIGTERM");
        } catch {
          // Already gone.
        }
        await server.status;
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
