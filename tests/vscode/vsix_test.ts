/**
 * The VS Code extension (editors/vscode/): `deno task vsix`'s builder packs it with vsce, and
 * the packed package.json declares the `llmspell` debugger as the issue asks; the extension
 * starts `<llmspell.path> dap` as its adapter.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { tempDir } from "../helpers/cli.ts";
import { buildVsix, EXTENSION_DIR } from "../../scripts/vsix.ts";

interface Attr {
  type?: unknown;
  description?: string;
  markdownDescription?: string;
  default?: unknown;
}
interface Debugger {
  type: string;
  languages: string[];
  configurationAttributes: Record<string, { required: string[]; properties: Record<string, Attr> }>;
  initialConfigurations: Record<string, unknown>[];
  configurationSnippets: { label: string; body: Record<string, unknown> }[];
}
interface Manifest {
  main: string;
  engines: { vscode: string };
  contributes: {
    debuggers: Debugger[];
    breakpoints: { language: string }[];
    configuration: { properties: Record<string, Attr> };
  };
}

/** A file of the .vsix (a zip), read with Python's zipfile (python3 is a test dependency). */
async function readZipEntry(zip: string, entry: string): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: [
      "-c",
      "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())",
      zip,
      entry,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert(out.success, `${entry} in ${zip}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

Deno.test("the vsix builds and its package.json declares the llmspell debugger", async () => {
  const dir = await tempDir();
  try {
    const vsix = await buildVsix(`${dir}/llmspell-debug.vsix`);
    const manifest: Manifest = JSON.parse(await readZipEntry(vsix, "extension/package.json"));
    assertEquals(manifest.main, "./extension.js");
    assert((await readZipEntry(vsix, "extension/extension.js")).includes("llmspell"));

    const dbg = manifest.contributes.debuggers.find((d) => d.type === "llmspell");
    assert(dbg, "a debugger of type llmspell");
    assert(dbg.languages.includes("lua"));
    assertEquals(manifest.contributes.breakpoints, [{ language: "lua" }]);

    const launch = dbg.configurationAttributes.launch;
    assertEquals(Object.keys(launch.properties).sort(), [
      "args",
      "config",
      "cwd",
      "env",
      "noDebug",
      "program",
      "securityLevel",
      "stopOnEntry",
    ]);
    assertEquals(launch.required, ["program"]);
    const attach = dbg.configurationAttributes.attach;
    assertEquals(Object.keys(attach.properties), ["kernel"]);
    assertEquals(attach.required, ["kernel"]);
    for (const [request, attrs] of Object.entries(dbg.configurationAttributes)) {
      for (const [name, a] of Object.entries(attrs.properties)) {
        assert(a.description, `${request}.${name} has a description`);
        assert("default" in a, `${request}.${name} has a default`);
      }
    }

    assertEquals(dbg.initialConfigurations.map((c) => [c.type, c.request]), [
      ["llmspell", "launch"],
    ]);
    assertEquals(
      dbg.configurationSnippets.map((s) => [s.body.type, s.body.request]),
      [["llmspell", "launch"], ["llmspell", "attach"]],
    );

    const setting = manifest.contributes.configuration.properties["llmspell.path"];
    assertEquals(setting.default, "llmspell");
    assert(setting.markdownDescription);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Loads extension.js (CommonJS) against a stand-in for the `vscode` module. */
function loadExtension(source: string, settings: Record<string, unknown>) {
  const registered: Record<string, Record<string, (...a: unknown[]) => unknown>> = {};
  class DebugAdapterExecutable {
    constructor(
      readonly command: string,
      readonly args: string[],
      readonly options: Record<string, unknown>,
    ) {}
  }
  const vscode = {
    DebugAdapterExecutable,
    workspace: {
      getConfiguration: (section: string) => ({
        get: (key: string) => settings[`${section}.${key}`],
      }),
    },
    window: { activeTextEditor: undefined },
    debug: {
      registerDebugAdapterDescriptorFactory: (type: string, f: never) => {
        registered[`factory:${type}`] = f;
        return { dispose() {} };
      },
      registerDebugConfigurationProvider: (type: string, p: never) => {
        registered[`provider:${type}`] = p;
        return { dispose() {} };
      },
    },
  };
  const module = { exports: {} as { activate(ctx: unknown): void } };
  const require = (name: string) => {
    assertEquals(name, "vscode");
    return vscode;
  };
  new Function("require", "module", "exports", source)(require, module, module.exports);
  const context = { subscriptions: [] as unknown[] };
  module.exports.activate(context);
  return { registered, context, DebugAdapterExecutable };
}

Deno.test("the extension starts `<llmspell.path> dap` in the workspace folder", async () => {
  const source = await Deno.readTextFile(`${EXTENSION_DIR}/extension.js`);
  const session = { workspaceFolder: { uri: { fsPath: "/w" } } };
  for (
    const [settings, command] of [
      [{}, "llmspell"],
      [{ "llmspell.path": "/opt/llmspell/bin/llmspell" }, "/opt/llmspell/bin/llmspell"],
    ] as const
  ) {
    const ext = loadExtension(source, settings);
    assertEquals(ext.context.subscriptions.length, 2);
    const factory = ext.registered["factory:llmspell"];
    assert(factory, "a debug adapter factory for type llmspell");
    const exe = factory.createDebugAdapterDescriptor(session) as InstanceType<
      typeof ext.DebugAdapterExecutable
    >;
    assert(exe instanceof ext.DebugAdapterExecutable);
    assertEquals([exe.command, exe.args, exe.options], [command, ["dap"], { cwd: "/w" }]);
  }
});
