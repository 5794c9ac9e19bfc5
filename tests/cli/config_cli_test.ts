import { assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";

const THREE_ERRORS = `[engines.lua]
security_level = "paranoid"
max_memory_bytes = "lots"

[kernel]
ip = "127.0.0.1"
port_base = -5
`;

Deno.test("config validate reports all three errors with file:line:col, exit 1", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/llmspell.toml`, THREE_ERRORS);
  const r = await cli(["config", "validate", "--file", "llmspell.toml"], { cwd: dir });
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /llmspell\.toml:2:1: error: engines\.lua\.security_level/);
  assertMatch(r.stderr, /llmspell\.toml:3:1: error: engines\.lua\.max_memory_bytes/);
  assertMatch(r.stderr, /llmspell\.toml:7:1: error: kernel\.port_base/);
});

Deno.test("a broken config file stops exec with every error listed", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/llmspell.toml`, THREE_ERRORS);
  const r = await cli(["exec", "1"], { cwd: dir });
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "invalid configuration (3 errors)");
  assertEquals(r.stdout, "");
});

Deno.test("unknown key warns with a did-you-mean and the command still runs", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/llmspell.toml`, "[engines.lua]\nmax_memory_byte = 1\n");
  const r = await cli(["exec", "1"], { cwd: dir });
  assertEquals(r.stdout, "1\n");
  assertMatch(r.stderr, /llmspell\.toml:2:1: warning: .*max_memory_byte.*max_memory_bytes/);
});

Deno.test("environment overrides beat the file", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/llmspell.toml`, "[engines.lua]\ntimeout_ms = 1000\n");
  const fromFile = await cli(["config", "show", "engines.lua", "--format", "json"], { cwd: dir });
  assertEquals(JSON.parse(fromFile.stdout).timeout_ms, 1000);
  const r = await cli(["config", "show", "engines.lua", "--format", "json"], {
    cwd: dir,
    env: { LLMSPELL_ENGINES_LUA_TIMEOUT_MS: "250" },
  });
  assertEquals(JSON.parse(r.stdout).timeout_ms, 250);
  // …and the engine obeys it.
  const run = await cli(["exec", "while true do end"], {
    cwd: dir,
    env: { LLMSPELL_ENGINES_LUA_TIMEOUT_MS: "250" },
  });
  assertEquals(run.code, 1);
  assertEquals(run.stderr, "error: timed out after 0.25 s\n");
});

Deno.test("-c names the config file; a missing one is a usage error", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/alt.toml`, "[engines.lua]\nmax_memory_bytes = 16777216\n");
  const r = await cli([
    "-c",
    "alt.toml",
    "exec",
    "local t = {} while true do t[#t+1] = ('x'):rep(1000) end",
  ], {
    cwd: dir,
  });
  assertEquals(r.stderr, "error: memory limit exceeded (16 MiB)\n");
  const missing = await cli(["exec", "-c", "nope.toml", "1"], { cwd: dir });
  assertEquals(missing.code, 2);
  assertMatch(missing.stderr, /config file not found/);
});

Deno.test("config init writes a commented file that validates; refuses to overwrite without --force", async () => {
  const dir = await tempDir();
  const first = await cli(["config", "init", "-o", "cfg.toml"], { cwd: dir });
  assertEquals(first.code, 0);
  const text = await Deno.readTextFile(`${dir}/cfg.toml`);
  assertMatch(text, /^# /m);
  assertEquals((await cli(["config", "validate", "--file", "cfg.toml"], { cwd: dir })).code, 0);
  const again = await cli(["config", "init", "-o", "cfg.toml"], { cwd: dir });
  assertEquals(again.code, 1);
  assertMatch(again.stderr, /already exists[\s\S]*--force/);
  assertEquals((await cli(["config", "init", "-o", "cfg.toml", "--force"], { cwd: dir })).code, 0);
});

Deno.test("config show masks secrets", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/llmspell.toml`,
    '[providers.openai]\napi_key = "sk-secret-value"\n',
  );
  const r = await cli(["config", "show", "providers", "--format", "yaml"], { cwd: dir });
  assertEquals(r.code, 0);
  assertStringIncludes(r.stdout, "********");
  assertEquals(r.stdout.includes("sk-secret-value"), false);
});
