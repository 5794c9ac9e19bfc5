/**
 * `config validate` checks what every command would load: the file (or the defaults when
 * there is none) and the LLMSPELL_* overrides, through the real CLI.
 */
import { assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";

Deno.test("config validate with no config file: the defaults are valid, exit 0", async () => {
  const dir = await tempDir();
  const r = await cli(["config", "validate"], { cwd: dir, env: { XDG_CONFIG_HOME: dir } });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "valid: no configuration file found, the defaults\n");
  const json = await cli(["config", "validate", "--output", "json"], { cwd: dir });
  assertEquals(json.code, 0);
  assertEquals(JSON.parse(json.stdout), { file: null, valid: true, diagnostics: [] });
});

Deno.test("config validate rejects a bad LLMSPELL_* variable, as every other command does", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/llmspell.toml`, "[engines.lua]\ntimeout_ms = 100\n");
  const env = { LLMSPELL_ENGINES_LUA_TIMEOUT_MS: "soon" };
  const exec = await cli(["exec", "1"], { cwd: dir, env });
  assertEquals(exec.code, 1);
  const r = await cli(["config", "validate"], { cwd: dir, env });
  assertEquals(r.code, 1);
  assertEquals(r.stdout, "");
  assertMatch(
    r.stderr,
    /^env LLMSPELL_ENGINES_LUA_TIMEOUT_MS: error: engines\.lua\.timeout_ms: expected .*, found string "soon"/,
  );
  // Without a file too.
  const bare = await cli(["config", "validate"], { cwd: await tempDir(), env });
  assertEquals(bare.code, 1);
  assertStringIncludes(bare.stderr, "env LLMSPELL_ENGINES_LUA_TIMEOUT_MS: error:");
});

Deno.test("a misspelled LLMSPELL_* variable warns with a did-you-mean, like a misspelled key", async () => {
  const dir = await tempDir();
  const env = { LLMSPELL_ENGINE_LUA_TIMEOUT_MS: "500" };
  const warning =
    "env LLMSPELL_ENGINE_LUA_TIMEOUT_MS: warning: LLMSPELL_ENGINE_LUA_TIMEOUT_MS is not a " +
    "configuration override, ignored (hint: did you mean LLMSPELL_ENGINES_LUA_TIMEOUT_MS?)\n";
  const exec = await cli(["exec", "1"], { cwd: dir, env });
  assertEquals(exec, { code: 0, stdout: "1\n", stderr: warning });
  const validate = await cli(["config", "validate"], { cwd: dir, env });
  assertEquals(validate.code, 0);
  assertEquals(validate.stderr, warning);
});
