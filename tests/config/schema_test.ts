import assert from "node:assert/strict";
import {
  Config,
  defaultConfig,
  isSecretPath,
  SCHEMA,
  SectionSpec,
  specAt,
  toolSettings,
} from "../../src/config/mod.ts";

Deno.test("schema: defaults match the Config interface's sections", () => {
  const c: Config = defaultConfig();
  // Every section of the schema is present; a new section must be added to Config too.
  assert.deepEqual(Object.keys(c), Object.keys(SCHEMA.fields));
  assert.equal(c.engines.lua.timeout_ms, 0);
  assert.equal(c.kernel.transport, "tcp");
  assert.equal(c.debug.break_on_error, "uncaught");
  assert.equal(c.state.backend, "sqlite");
  // Defaults are fresh copies: mutating one config does not leak into the next.
  c.runtime.security.allowed_paths.push("/x");
  assert.deepEqual(defaultConfig().runtime.security.allowed_paths, ["."]);
});

Deno.test("schema: every field has a description and a default of its type", () => {
  const walk = (spec: SectionSpec, path: string) => {
    for (const [k, child] of Object.entries(spec.fields)) {
      const p = `${path}${k}`;
      assert.ok(child.description.length > 0, p);
      if (child.kind === "section") walk(child, p + ".");
      else if (child.kind === "map") walk(child.entry, p + ".*.");
      else if (child.default !== undefined) {
        const d = child.default;
        const ok = child.type === "string[]"
          ? Array.isArray(d)
          : child.type === "integer"
          ? Number.isInteger(d)
          : child.type === "boolean"
          ? typeof d === "boolean"
          : typeof d === "string";
        assert.ok(ok, p);
        if (child.enum && typeof d === "string") assert.ok(child.enum.includes(d), p);
      }
    }
  };
  walk(SCHEMA, "");
});

Deno.test("isSecretPath: schema secrets and secret-looking names, not *_env", () => {
  assert.equal(isSecretPath(["providers", "x", "api_key"]), true);
  assert.equal(isSecretPath(["providers", "x", "api_key_env"]), false);
  assert.equal(isSecretPath(["tools", "web", "access_token"]), true);
  assert.equal(isSecretPath(["tools", "web", "password"]), true);
  assert.equal(isSecretPath(["kernel", "ip"]), false);
  assert.equal(specAt(["providers", "anything", "timeout_ms"])?.kind, "field");
});

Deno.test("toolSettings: a tool's table, or empty", () => {
  const c = defaultConfig();
  c.tools.enabled = ["web"];
  c.tools.web = { retries: 2 };
  assert.deepEqual(toolSettings(c, "web"), { retries: 2 });
  assert.deepEqual(toolSettings(c, "other"), {});
  assert.deepEqual(toolSettings(c, "enabled"), {});
});
