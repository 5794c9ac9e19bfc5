import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkConfigText,
  ConfigError,
  defaultConfig,
  envOverrideNames,
  formatDiagnostic,
  loadConfig,
  validateConfigFile,
} from "../../src/config/mod.ts";
import { LlmspellError } from "../../src/errors.ts";
import { tempDir } from "./helpers.ts";

/** A home and a project directory inside `root`; env points LLMSPELL_HOME at the home. */
async function layout(root: string) {
  const home = join(root, "home");
  const project = join(root, "project");
  await Deno.mkdir(home);
  await Deno.mkdir(project);
  return { home, project, env: { LLMSPELL_HOME: home } };
}

Deno.test("loadConfig: no file gives the schema defaults and no source", async () => {
  await using t = await tempDir();
  const { project, env } = await layout(t.dir);
  const loaded = await loadConfig({ cwd: project, env });
  assert.equal(loaded.source, null);
  assert.deepEqual(loaded.warnings, []);
  assert.deepEqual(loaded.config, defaultConfig());
  const c = loaded.config;
  assert.equal(c.engines.lua.security_level, "safe");
  assert.equal(c.engines.lua.max_memory_bytes, 512 * 1024 * 1024);
  assert.deepEqual(c.runtime.security.allowed_paths, ["."]);
  assert.equal(c.kernel.ip, "127.0.0.1");
  assert.equal(c.repl.history_size, 10000);
  assert.deepEqual(c.providers, {});
});

Deno.test("loadConfig: discovery order is -c, LLMSPELL_CONFIG, ./llmspell.toml, home", async () => {
  await using t = await tempDir();
  const { home, project, env } = await layout(t.dir);
  const write = (path: string, port: number) =>
    Deno.writeTextFile(path, `[kernel]\nport_base = ${port}\n`);
  const userFile = join(home, "config.toml");
  const projectFile = join(project, "llmspell.toml");
  const explicit = join(t.dir, "explicit.toml");
  const fromEnv = join(t.dir, "env.toml");
  await write(userFile, 1);
  let r = await loadConfig({ cwd: project, env });
  assert.equal(r.source, userFile);
  assert.equal(r.config.kernel.port_base, 1);

  await write(projectFile, 2);
  r = await loadConfig({ cwd: project, env });
  assert.equal(r.source, projectFile);
  assert.equal(r.config.kernel.port_base, 2);

  await write(fromEnv, 3);
  r = await loadConfig({ cwd: project, env: { ...env, LLMSPELL_CONFIG: fromEnv } });
  assert.equal(r.source, fromEnv);

  await write(explicit, 4);
  r = await loadConfig({
    cwd: project,
    env: { ...env, LLMSPELL_CONFIG: fromEnv },
    file: "../explicit.toml", // relative to cwd
  });
  assert.equal(r.source, explicit);
  assert.equal(r.config.kernel.port_base, 4);
});

Deno.test("loadConfig: XDG_CONFIG_HOME is searched without LLMSPELL_HOME", async () => {
  await using t = await tempDir();
  const xdg = join(t.dir, "xdg");
  await Deno.mkdir(join(xdg, "llmspell"), { recursive: true });
  const file = join(xdg, "llmspell", "config.toml");
  await Deno.writeTextFile(file, "[repl]\nhighlight = false\n");
  const r = await loadConfig({ cwd: t.dir, env: { HOME: t.dir, XDG_CONFIG_HOME: xdg } });
  assert.equal(r.source, file);
  assert.equal(r.config.repl.highlight, false);
});

Deno.test("loadConfig: a missing explicit file is an error, whichever way it was named", async () => {
  await using t = await tempDir();
  const { project, env } = await layout(t.dir);
  for (
    const opts of [{ file: "nope.toml" }, { env: { ...env, LLMSPELL_CONFIG: "nope.toml" } }]
  ) {
    await assert.rejects(
      loadConfig({ cwd: project, env, ...opts }),
      (e) => e instanceof LlmspellError && e.code === "config_not_found" && e.exitCode === 2,
    );
  }
});

Deno.test("loadConfig: environment overrides beat the file, parsed by type", async () => {
  await using t = await tempDir();
  const { project, env } = await layout(t.dir);
  await Deno.writeTextFile(
    join(project, "llmspell.toml"),
    [
      "[engines.lua]",
      "max_memory_bytes = 5",
      "[kernel]",
      'ip = "10.0.0.1"',
      "[providers.my-local]",
      'provider_type = "ollama"',
      "[providers.openai]",
      'api_key = "from-file"',
    ].join("\n"),
  );
  const r = await loadConfig({
    cwd: project,
    env: {
      ...env,
      LLMSPELL_ENGINES_LUA_MAX_MEMORY_BYTES: "1000",
      LLMSPELL_RUNTIME_SECURITY_ALLOWED_PATHS: "/a, /b,",
      LLMSPELL_KERNEL_IP: "0.0.0.0",
      LLMSPELL_PROVIDERS_OPENAI_API_KEY: "from-env",
      // The name contains "_": the key is matched from the end, the name against the file.
      LLMSPELL_PROVIDERS_MY_LOCAL_API_KEY_ENV: "LOCAL_KEY",
      LLMSPELL_PROVIDERS_ANTHROPIC_DEFAULT_MODEL: "claude",
      LLMSPELL_REPL_PROMPT: "", // empty = unset
      LLMSPELL_DENO_HOME: "/opt/deno", // scripts/ensure_deno.sh's: not an override, no warning
    },
  });
  const c = r.config;
  assert.equal(c.engines.lua.max_memory_bytes, 1000);
  assert.deepEqual(c.runtime.security.allowed_paths, ["/a", "/b"]);
  assert.equal(c.kernel.ip, "0.0.0.0");
  assert.equal(c.providers.openai.api_key, "from-env");
  assert.equal(c.providers["my-local"].api_key_env, "LOCAL_KEY");
  // A provider named only by the environment gets defaults and its type from its name.
  assert.deepEqual(c.providers.anthropic, {
    provider_type: "anthropic",
    default_model: "claude",
    timeout_ms: 60000,
    max_retries: 3,
    max_concurrency: 8,
  });
  assert.equal(c.repl.prompt, "llmspell> ");
  assert.deepEqual(r.warnings, []);
});

Deno.test("loadConfig: bad environment values are errors naming the variable", async () => {
  await using t = await tempDir();
  const { project, env } = await layout(t.dir);
  try {
    await loadConfig({
      cwd: project,
      env: {
        ...env,
        LLMSPELL_KERNEL_PORT_BASE: "lots",
        LLMSPELL_DEBUG_ENABLED: "maybe",
        LLMSPELL_KERNEL_TRANSPORT: "udp",
      },
    });
    assert.fail("expected ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.code, "config_invalid");
    const byEnv = Object.fromEntries(e.diagnostics.map((d) => [d.env, d]));
    assert.equal(byEnv.LLMSPELL_KERNEL_PORT_BASE.path, "kernel.port_base");
    assert.equal(byEnv.LLMSPELL_KERNEL_PORT_BASE.found, 'string "lots"');
    assert.equal(byEnv.LLMSPELL_DEBUG_ENABLED.expected, "true or false");
    assert.equal(byEnv.LLMSPELL_KERNEL_TRANSPORT.kind, "enum");
    assert.equal(
      formatDiagnostic(byEnv.LLMSPELL_KERNEL_PORT_BASE),
      'env LLMSPELL_KERNEL_PORT_BASE: error: kernel.port_base: expected an integer from 0 to 65535, found string "lots"',
    );
    // The message alone lists every error.
    assert.equal(e.message.split("\n").length, 4);
  }
});

Deno.test("loadConfig: an unknown variable under a section prefix warns with a suggestion", async () => {
  await using t = await tempDir();
  const { project, env } = await layout(t.dir);
  const r = await loadConfig({ cwd: project, env: { ...env, LLMSPELL_KERNEL_PORTBASE: "1" } });
  assert.equal(r.warnings.length, 1);
  assert.equal(r.warnings[0].kind, "unknown_env");
  assert.equal(r.warnings[0].hint, "did you mean LLMSPELL_KERNEL_PORT_BASE?");
});

Deno.test("loadConfig: a misspelled variable outside every section prefix warns too", async () => {
  await using t = await tempDir();
  const { project, env } = await layout(t.dir);
  const r = await loadConfig({
    cwd: project,
    env: { ...env, LLMSPELL_ENGINE_LUA_TIMEOUT_MS: "500", LLMSPELL_TRACE: "debug" },
  });
  assert.deepEqual(r.warnings.map((w) => [w.kind, w.env, w.hint]), [
    [
      "unknown_env",
      "LLMSPELL_ENGINE_LUA_TIMEOUT_MS",
      "did you mean LLMSPELL_ENGINES_LUA_TIMEOUT_MS?",
    ],
    ["unknown_env", "LLMSPELL_TRACE", undefined],
  ]);
  assert.equal(r.config.engines.lua.timeout_ms, 0);
});

const THREE_ERRORS = `# llmspell.toml
[engines.lua]
max_memory_bytes = "lots"
security_level = "sfe"

[kernel]
  ip = "127.0.0.1"
  port_base = 70000
`;

Deno.test("checkConfigText: a file with three errors reports all three at their keys", () => {
  const { diagnostics } = checkConfigText(THREE_ERRORS, { file: "llmspell.toml" });
  assert.deepEqual(
    diagnostics.map((d) => [d.severity, d.path, d.line, d.col, d.kind]),
    [
      ["error", "engines.lua.max_memory_bytes", 3, 1, "type"],
      ["error", "engines.lua.security_level", 4, 1, "enum"],
      ["error", "kernel.port_base", 8, 3, "range"],
    ],
  );
  assert.equal(
    formatDiagnostic({ ...diagnostics[0], file: "/proj/llmspell.toml" }, { cwd: "/proj" }),
    'llmspell.toml:3:1: error: engines.lua.max_memory_bytes: expected a non-negative integer, found string "lots"',
  );
  assert.equal(
    formatDiagnostic(diagnostics[1]),
    'llmspell.toml:4:1: error: engines.lua.security_level: expected one of "safe", "unrestricted", found string "sfe" (hint: did you mean "safe"?)',
  );
  assert.equal(diagnostics[2].found, "integer 70000");
});

Deno.test("loadConfig: errors are thrown together as one ConfigError", async () => {
  await using t = await tempDir();
  const { project, env } = await layout(t.dir);
  const file = join(project, "llmspell.toml");
  await Deno.writeTextFile(file, THREE_ERRORS);
  try {
    await loadConfig({ cwd: project, env });
    assert.fail("expected ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.diagnostics.length, 3);
    assert.ok(e.diagnostics.every((d) => d.file === file));
    assert.match(e.message, /^invalid configuration \(3 errors\)\n/);
  }
});

Deno.test("checkConfigText: located paths through dotted keys, quoted keys, inline tables, arrays", () => {
  const text = [
    "engines.lua.timeout_ms = -1", // 1: dotted key at top level
    "[runtime]",
    "security = { allowed_paths = [", // 3
    '  ".",', // 4
    "  7,", // 5
    "] }",
    '[providers."my provider"]', // 7
    'base_url = """', // 8
    "[not a header]",
    'x = 1"""',
    "api_key = 12", // 11
  ].join("\n");
  const { diagnostics } = checkConfigText(text, { file: "f.toml" });
  assert.deepEqual(
    diagnostics.map((d) => [d.path, d.line, d.col]),
    [
      ["engines.lua.timeout_ms", 1, 13],
      ["runtime.security.allowed_paths[1]", 5, 3],
      ['providers."my provider".base_url', 8, 1],
      ['providers."my provider".api_key', 11, 1],
      // Missing key: located at the provider's header segment.
      ['providers."my provider".provider_type', 7, 12],
    ],
  );
  // A secret's value is never echoed, even when it has the wrong type.
  assert.equal(diagnostics[3].found, "an integer");
});

Deno.test("checkConfigText: [[array tables]] and floats where integers belong", () => {
  const text = [
    "[[tools.web.mirrors]]",
    'url = "a"',
    "[[tools.web.mirrors]]",
    'url = "b"',
    "[kernel]",
    "idle_timeout_s = 1.5",
    "heartbeat_interval_ms = 2.0",
  ].join("\n");
  const { config, diagnostics } = checkConfigText(text);
  assert.deepEqual(config.tools.web, { mirrors: [{ url: "a" }, { url: "b" }] });
  assert.deepEqual(
    diagnostics.map((d) => [d.path, d.line, d.found]),
    [
      ["kernel.idle_timeout_s", 6, "float 1.5"],
      ["kernel.heartbeat_interval_ms", 7, "float 2.0"],
    ],
  );
});

Deno.test("checkConfigText: TOML syntax errors carry line and column", () => {
  const { diagnostics } = checkConfigText('[kernel]\nip = "1.2.3.4"\nport_base = = 2\n', {
    file: "bad.toml",
  });
  assert.equal(diagnostics.length, 1);
  const [d] = diagnostics;
  assert.equal(d.kind, "syntax");
  assert.equal(d.severity, "error");
  assert.deepEqual([d.line, d.col], [3, 13]);
  assert.match(formatDiagnostic(d), /^bad\.toml:3:13: error: TOML syntax error: /);
});

Deno.test("checkConfigText: unknown keys are warnings with did-you-mean, and are dropped", () => {
  const text = "[kernal]\nip = '1.2.3.4'\n[repl]\nhistory_sise = 5\nfoo = 1\n";
  const { config, diagnostics } = checkConfigText(text, { file: "c.toml" });
  assert.deepEqual(
    diagnostics.map((d) => [d.severity, d.kind, d.path, d.line, d.col, d.hint]),
    [
      ["warning", "unknown_key", "kernal", 1, 2, 'did you mean "kernel"?'],
      ["warning", "unknown_key", "repl.history_sise", 4, 1, 'did you mean "history_size"?'],
      ["warning", "unknown_key", "repl.foo", 5, 1, undefined],
    ],
  );
  assert.equal(config.kernel.ip, "127.0.0.1");
  assert.equal(config.repl.history_size, 10000);
  assert.equal(
    formatDiagnostic(diagnostics[1]),
    'c.toml:4:1: warning: repl.history_sise: unknown key "history_sise", ignored (hint: did you mean "history_size"?)',
  );
});

Deno.test("checkConfigText: providers need a type unless their name is one", () => {
  const text = '[providers.openai]\napi_key_env = "K"\n[providers.mine]\nbase_url = "http://x:1"\n';
  const { config, diagnostics } = checkConfigText(text);
  assert.equal(config.providers.openai.provider_type, "openai");
  assert.deepEqual(diagnostics.map((d) => [d.kind, d.path, d.line]), [
    ["required", "providers.mine.provider_type", 3],
  ]);
});

Deno.test("checkConfigText: a local provider needs model_path", () => {
  const text =
    '[providers.local]\ncontext_size = 512\n[providers.mine]\nprovider_type = "local"\n' +
    'model_path = "m.gguf"\n';
  const { config, diagnostics } = checkConfigText(text, { file: "c.toml" });
  assert.equal(config.providers.mine.model_path, "m.gguf");
  assert.deepEqual(diagnostics.map((d) => [d.kind, d.path, d.line]), [
    ["required", "providers.local.model_path", 1],
  ]);
  assert.equal(
    formatDiagnostic(diagnostics[0]),
    'c.toml:1:12: error: providers.local.model_path: provider "local" is local and needs model_path, the GGUF file to load (hint: add model_path = "models/<name>.gguf" (or a directory of them) under [providers.local])',
  );
});

Deno.test("formatDiagnostic: colour only when asked", () => {
  const { diagnostics } = checkConfigText("[repl]\nprompt = 1\n", { file: "c.toml" });
  assert.ok(!formatDiagnostic(diagnostics[0]).includes("\x1b["));
  assert.ok(formatDiagnostic(diagnostics[0], { color: true }).includes("\x1b[1;31merror"));
});

Deno.test("validateConfigFile: diagnostics of the file alone, no environment", async () => {
  await using t = await tempDir();
  const file = join(t.dir, "c.toml");
  await Deno.writeTextFile(file, "[kernel]\ntransport = 'udp'\n");
  const diags = await validateConfigFile(file);
  assert.deepEqual(diags.map((d) => [d.file, d.path, d.line]), [[file, "kernel.transport", 2]]);
  await assert.rejects(
    validateConfigFile(join(t.dir, "missing.toml")),
    (e) => e instanceof LlmspellError && e.code === "config_not_found",
  );
});

Deno.test("envOverrideNames: derived from the schema", () => {
  const names = envOverrideNames();
  for (
    const n of [
      "LLMSPELL_ENGINES_LUA_MAX_MEMORY_BYTES",
      "LLMSPELL_RUNTIME_SECURITY_ALLOWED_PATHS",
      "LLMSPELL_KERNEL_IP",
      "LLMSPELL_PROVIDERS_<NAME>_API_KEY",
    ]
  ) assert.ok(names.includes(n), n);
});
