import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { Config, defaultConfig, MASK, renderConfig } from "../../src/config/mod.ts";
import { LlmspellError } from "../../src/errors.ts";

function sample(): Config {
  const c = defaultConfig();
  c.providers.openai = {
    provider_type: "openai",
    api_key: "sk-1234567890",
    api_key_env: "OPENAI_API_KEY",
    timeout_ms: 1000,
    max_retries: 3,
    max_concurrency: 8,
  };
  c.tools.web = { auth_token: "tok-1", db_password: "pw", retries: 2, user: "me" };
  return c;
}

Deno.test("renderConfig: secrets are masked entirely in every format", () => {
  const c = sample();
  for (const format of ["toml", "json", "yaml"] as const) {
    const out = renderConfig(c, { format });
    for (const secret of ["sk-1234567890", "sk-1", "tok-1", '"pw"', "pw\n"]) {
      assert.ok(!out.includes(secret), `${format} leaks ${secret}`);
    }
    assert.ok(out.includes(MASK), format);
    // Names of environment variables are not secrets.
    assert.ok(out.includes("OPENAI_API_KEY"), format);
  }
  // The config itself is untouched.
  assert.equal(c.providers.openai.api_key, "sk-1234567890");
});

Deno.test("renderConfig: json shows the section's value, masked", () => {
  const out = JSON.parse(renderConfig(sample(), { format: "json", section: "providers.openai" }));
  assert.deepEqual(out, {
    provider_type: "openai",
    api_key: MASK,
    api_key_env: "OPENAI_API_KEY",
    timeout_ms: 1000,
    max_retries: 3,
    max_concurrency: 8,
  });
  const tools = JSON.parse(renderConfig(sample(), { format: "json", section: "tools" }));
  assert.deepEqual(tools, {
    web: { auth_token: MASK, db_password: MASK, retries: 2, user: "me" },
  });
});

Deno.test("renderConfig: toml round-trips and nests a section under its path", () => {
  const whole = parse(renderConfig(defaultConfig(), { format: "toml" }));
  // smol-toml builds null-prototype objects; compare as plain data.
  assert.deepEqual(JSON.parse(JSON.stringify(whole)), defaultConfig());
  assert.equal(
    renderConfig(defaultConfig(), { format: "toml", section: "engines.lua" }),
    '[engines.lua]\nsecurity_level = "safe"\nmax_memory_bytes = 536870912\ntimeout_ms = 0\n',
  );
});

Deno.test("renderConfig: yaml of a section", () => {
  assert.equal(
    renderConfig(defaultConfig(), { format: "yaml", section: "runtime.security" }),
    "allowed_paths:\n  - .\n",
  );
  assert.equal(
    renderConfig(defaultConfig(), { format: "yaml", section: "kernel.ip" }),
    '"127.0.0.1"\n',
  );
});

Deno.test("renderConfig: an unknown section is a usage error with did-you-mean", () => {
  assert.throws(
    () => renderConfig(defaultConfig(), { format: "json", section: "kernal" }),
    (e) =>
      e instanceof LlmspellError && e.code === "usage" && e.exitCode === 2 &&
      e.hint === 'did you mean "kernel"?',
  );
  assert.throws(
    () => renderConfig(defaultConfig(), { format: "json", section: "engines.lau" }),
    (e) => e instanceof LlmspellError && e.hint === 'did you mean "engines.lua"?',
  );
});
