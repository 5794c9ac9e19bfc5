import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkConfigText,
  defaultConfig,
  FieldSpec,
  initConfigFile,
  renderInitTemplate,
  SCHEMA,
  SectionSpec,
  validateConfigFile,
} from "../../src/config/mod.ts";
import { LlmspellError } from "../../src/errors.ts";
import { tempDir } from "./helpers.ts";

/** Uncomments `# key = value` and `# [table]` lines, as a user editing the file would. */
function uncommentAll(text: string): string {
  return text.replace(/^# (?=\[[\w.]+\]$|[a-z_]+ = )/gm, "");
}

Deno.test("renderInitTemplate: validates cleanly as written", () => {
  const { config, diagnostics } = checkConfigText(renderInitTemplate(), { file: "t.toml" });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(config, defaultConfig());
});

Deno.test("renderInitTemplate: every commented default is valid and equals the default", () => {
  const text = uncommentAll(renderInitTemplate());
  const { config, diagnostics } = checkConfigText(text, { file: "t.toml" });
  assert.deepEqual(diagnostics, []);
  // Uncommenting changed nothing but adding the examples: the provider and the lists.
  const expected = defaultConfig();
  expected.tools.enabled = ["calculator", "http_request"];
  expected.providers.openai = {
    provider_type: "openai",
    api_key_env: "OPENAI_API_KEY",
    default_model: "gpt-4o-mini",
    timeout_ms: 60000,
    max_retries: 3,
    max_concurrency: 8,
  };
  assert.deepEqual(config, expected);
});

Deno.test("renderInitTemplate: documents every key of the schema", () => {
  const text = renderInitTemplate();
  const walk = (spec: SectionSpec, path: string[]) => {
    for (const [key, child] of Object.entries(spec.fields)) {
      if (child.kind === "section") {
        const hasFields = Object.values(child.fields).some((f) => f.kind === "field");
        const header = `[${[...path, key].join(".")}]`;
        if (hasFields) assert.ok(text.includes(header), header);
        walk(child, [...path, key]);
      } else if (child.kind === "map") walk(child.entry, [...path, key]);
      else {
        const f = child as FieldSpec;
        assert.ok(new RegExp(`^#\\s+${key}[ :]`, "m").test(text), key);
        assert.ok(text.includes(f.description.split(" ").slice(0, 3).join(" ")), key);
      }
    }
  };
  walk(SCHEMA, []);
});

Deno.test("initConfigFile: creates parent directories, refuses to overwrite without force", async () => {
  await using t = await tempDir();
  const path = join(t.dir, "a", "b", "config.toml");
  assert.equal(await initConfigFile(path), path);
  assert.equal(await Deno.readTextFile(path), renderInitTemplate());
  assert.deepEqual(await validateConfigFile(path), []);
  if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);

  await Deno.writeTextFile(path, "# mine\n");
  await assert.rejects(
    initConfigFile(path),
    (e) => e instanceof LlmspellError && e.code === "exists" && /--force/.test(e.hint!),
  );
  assert.equal(await Deno.readTextFile(path), "# mine\n");
  await initConfigFile(path, { force: true });
  assert.equal(await Deno.readTextFile(path), renderInitTemplate());
});
