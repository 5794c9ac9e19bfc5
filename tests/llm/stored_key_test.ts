/**
 * A key stored with `llmspell keys set` is what an agent's request carries, in its place in the
 * order: `api_key` in the configuration, the variable `api_key_env` names, the stored key, the
 * service's standard variable. The local OpenAI-wire server proves which key was sent. The
 * store is read only when a provider needs it: a script that calls no model, or whose provider
 * has its key in the configuration, runs even beside a key file llmspell refuses to read; and
 * it is read again at each call that needs it, so a key set while a REPL runs is used at once.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli, cliCommand, readUntil, tempDir } from "../helpers/cli.ts";
import { openaiText, ScriptedServer } from "./servers.ts";

const nonce = crypto.randomUUID().slice(0, 8);
const KEYS = {
  stored: `sk-stored-${nonce}`,
  config: `sk-config-${nonce}`,
  named: `sk-named-${nonce}`,
  standard: `sk-standard-${nonce}`,
};

const SCRIPT = `local a = Agent.builder():model("openai/gpt-4o-mini"):build()
local ok, r = pcall(a.execute, a, "hi")
print(ok and r.text or tostring(r))
`;

Deno.test("keys: an agent authenticates with the stored key; the configuration's key comes first", async () => {
  const home = await tempDir();
  const s = new ScriptedServer().script(
    openaiText("with the stored key"),
    openaiText("with the config's key"),
    openaiText("with the named variable"),
    openaiText("stored again, the named variable unset"),
  );
  const env = {
    LLMSPELL_HOME: home,
    // The standard variable comes after a stored key.
    OPENAI_API_KEY: KEYS.standard,
    LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1",
  };
  const run = (args: string[], opts: Parameters<typeof cli>[1] = {}) =>
    cli(args, { cwd: home, ...opts, env: { ...env, ...opts.env } });
  const auth = () => s.requests.map((q) => q.headers.get("authorization"));
  try {
    await Deno.writeTextFile(`${home}/s.lua`, SCRIPT);
    const set = await run(["keys", "set", "openai"], { stdin: KEYS.stored });
    assertEquals(set.code, 0, set.stderr);

    const stored = await run(["run", "s.lua"]);
    assertEquals([stored.code, stored.stdout], [0, "with the stored key\n"], stored.stderr);
    assertEquals(auth(), [`Bearer ${KEYS.stored}`]);

    // api_key in the configuration wins over the stored key.
    await Deno.writeTextFile(
      `${home}/llmspell.toml`,
      `[providers.openai]\napi_key = "${KEYS.config}"\n`,
    );
    const config = await run(["run", "s.lua"]);
    assertEquals(config.stdout, "with the config's key\n", config.stderr);
    assertEquals(auth().at(-1), `Bearer ${KEYS.config}`);

    // So does the variable api_key_env names, when it is set; unset, the stored key is next.
    await Deno.writeTextFile(
      `${home}/llmspell.toml`,
      `[providers.openai]\napi_key_env = "NAMED_OPENAI_KEY"\n`,
    );
    const named = await run(["run", "s.lua"], { env: { NAMED_OPENAI_KEY: KEYS.named } });
    assertEquals(named.stdout, "with the named variable\n", named.stderr);
    assertEquals(auth().at(-1), `Bearer ${KEYS.named}`);
    const unset = await run(["run", "s.lua"]);
    assertEquals(unset.stdout, "stored again, the named variable unset\n", unset.stderr);
    assertEquals(auth().at(-1), `Bearer ${KEYS.stored}`);
    assertEquals(s.requests.length, 4);

    // The key is nowhere in what the run printed.
    for (const r of [stored, config, named, unset]) {
      assert(!(r.stdout + r.stderr).includes(KEYS.stored), r.stderr);
    }
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("keys: no key anywhere names `llmspell keys set`; a readable key file fails the call, not the script's start", async () => {
  const home = await tempDir();
  const run = (args: string[], env: Record<string, string> = {}) =>
    cli(args, { cwd: home, env: { LLMSPELL_HOME: home, OPENAI_API_KEY: "", ...env } });
  try {
    await Deno.writeTextFile(`${home}/s.lua`, SCRIPT);
    // No key stored, none in the environment: the error says how to store one.
    const none = await run(["run", "s.lua"]);
    assertEquals(none.code, 0, none.stderr);
    assertStringIncludes(
      none.stdout,
      "auth: openai: no API key: store one with `llmspell keys set openai`",
    );
    await Deno.writeTextFile(
      `${home}/llmspell.toml`,
      `[providers.openai]\napi_key_env = "NAMED_OPENAI_KEY"\n`,
    );
    const unsetNamed = await run(["run", "s.lua"]);
    assertStringIncludes(unsetNamed.stdout, "NAMED_OPENAI_KEY, which is not set");
    assertStringIncludes(unsetNamed.stdout, "`llmspell keys set openai`");
    await Deno.remove(`${home}/llmspell.toml`);

    // A key file others may read: the call that needs it fails with the chmod hint...
    const set = await cli(["keys", "set", "openai"], {
      cwd: home,
      env: { LLMSPELL_HOME: home },
      stdin: KEYS.stored,
    });
    assertEquals(set.code, 0, set.stderr);
    const file = `${home}/data/keys.json`;
    await Deno.chmod(file, 0o644);
    const refused = await run(["run", "s.lua"]);
    assertStringIncludes(refused.stdout, `may be read by other users (mode 644)`);
    assertStringIncludes(refused.stdout, `chmod 600 ${file}`);
    // ...but a script that calls no model never reads it, nor one whose provider has its key
    // in the configuration.
    const plain = await run(["exec", "print(6 * 7)"]);
    assertEquals([plain.code, plain.stdout], [0, "42\n"], plain.stderr);
    const s = new ScriptedServer().script(openaiText("the config's key, the file unread"));
    try {
      const config = await run(["run", "s.lua"], {
        LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1",
        LLMSPELL_PROVIDERS_OPENAI_API_KEY: KEYS.config,
      });
      assertEquals(config.stdout, "the config's key, the file unread\n", config.stderr);
      assertEquals(s.requests[0].headers.get("authorization"), `Bearer ${KEYS.config}`);
    } finally {
      await s.close();
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("keys: a key set while a REPL runs is what its next call sends", async () => {
  const home = await tempDir();
  const s = new ScriptedServer().script(
    openaiText("before"),
    openaiText("after"),
  );
  const env = {
    LLMSPELL_HOME: home,
    OPENAI_API_KEY: KEYS.standard,
    LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1",
  };
  const child = cliCommand(["repl"], { cwd: home, env, piped: true }).spawn();
  const w = child.stdin.getWriter();
  const enc = new TextEncoder();
  const reader = child.stdout.getReader();
  try {
    await w.write(enc.encode(
      `a = Agent.builder():model("openai/gpt-4o-mini"):build()\nprint(a:execute("1").text)\n`,
    ));
    await readUntil(reader, "before\n");
    // No key stored yet: the standard variable.
    assertEquals(s.requests[0].headers.get("authorization"), `Bearer ${KEYS.standard}`);
    const set = await cli(["keys", "set", "openai"], { cwd: home, env, stdin: KEYS.stored });
    assertEquals(set.code, 0, set.stderr);
    await w.write(enc.encode(`print(a:execute("2").text)\n`));
    await readUntil(reader, "after\n");
    assertEquals(s.requests[1].headers.get("authorization"), `Bearer ${KEYS.stored}`);
  } finally {
    reader.releaseLock();
    await w.close().catch(() => {});
    await child.output();
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});
