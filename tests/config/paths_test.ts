import assert from "node:assert/strict";
import { resolvePaths } from "../../src/config/paths.ts";
import { LlmspellError } from "../../src/errors.ts";

Deno.test("resolvePaths: LLMSPELL_HOME puts everything under one directory", () => {
  const p = resolvePaths({ LLMSPELL_HOME: "/h", HOME: "/home/u", XDG_DATA_HOME: "/x" }, "/proj");
  assert.deepEqual(p, {
    home: "/h",
    configCandidates: ["/proj/llmspell.toml", "/h/config.toml"],
    userConfigFile: "/h/config.toml",
    dataDir: "/h/data",
    runtimeDir: "/h/run",
    logDir: "/h/logs",
    dbPath: "/h/data/llmspell.db",
  });
  // Relative LLMSPELL_HOME is resolved against cwd.
  assert.equal(resolvePaths({ LLMSPELL_HOME: "state" }, "/proj").dataDir, "/proj/state/data");
});

Deno.test("resolvePaths: XDG variables when set and absolute", () => {
  const p = resolvePaths({
    HOME: "/home/u",
    XDG_CONFIG_HOME: "/c",
    XDG_DATA_HOME: "/d",
    XDG_STATE_HOME: "/s",
    XDG_RUNTIME_DIR: "/r",
  }, "/proj");
  assert.equal(p.home, null);
  assert.deepEqual(p.configCandidates, ["/proj/llmspell.toml", "/c/llmspell/config.toml"]);
  assert.equal(p.dataDir, "/d/llmspell");
  assert.equal(p.dbPath, "/d/llmspell/llmspell.db");
  assert.equal(p.logDir, "/s/llmspell/logs");
  assert.equal(p.runtimeDir, "/r/llmspell");
});

Deno.test("resolvePaths: HOME fallbacks; relative XDG values are ignored", () => {
  const p = resolvePaths({ HOME: "/home/u", XDG_DATA_HOME: "relative", TMPDIR: "/t" }, "/proj");
  assert.equal(p.userConfigFile, "/home/u/.config/llmspell/config.toml");
  assert.equal(p.dataDir, "/home/u/.local/share/llmspell");
  assert.equal(p.logDir, "/home/u/.local/state/llmspell/logs");
  // No XDG_RUNTIME_DIR: a per-user directory under the temporary directory.
  assert.match(p.runtimeDir, /^\/t\/llmspell-[^/]+$/);
});

Deno.test("resolvePaths: no HOME and no LLMSPELL_HOME is a clear error", () => {
  assert.throws(
    () => resolvePaths({}, "/proj"),
    (e) => e instanceof LlmspellError && e.code === "no_home" && /LLMSPELL_HOME/.test(e.hint!),
  );
});
