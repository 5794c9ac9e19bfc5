/**
 * An API key never appears in logs (`--trace trace`), errors, the session record (the
 * database file itself) or `config show`, whichever way it was given: `api_key` in the
 * configuration, the variable `api_key_env` names, or the standard OPENAI_API_KEY. The keys
 * are sentinels, and the server proves each one was sent; a server that quotes the key it
 * refused (as OpenAI's 401 does) has it masked in the error.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { openaiStream, openaiText, openaiToolCalls, ScriptedServer } from "./servers.ts";

const nonce = crypto.randomUUID().slice(0, 8);
const KEYS = {
  config: `sk-sentinel-config-${nonce}`,
  named: `sk-sentinel-named-${nonce}`,
  standard: `sk-sentinel-standard-${nonce}`,
};

/** Every sentinel found in `text`, by where it came from. */
function leaks(text: string): string[] {
  return Object.entries(KEYS).filter(([, k]) => text.includes(k)).map(([where]) => where);
}

Deno.test("keys: no key in logs, errors, session records or config show", async () => {
  const home = await tempDir();
  const s = new ScriptedServer().script(
    openaiToolCalls([{ name: "calculator", arguments: { expression: "6 * 7" } }]),
    openaiText("42, from the config's key"),
    openaiStream(["streamed", " with the named key"]),
    // A 401 that quotes the key it refused, whole.
    {
      status: 401,
      json: {
        error: {
          message: `Incorrect API key provided: ${KEYS.standard}.`,
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      },
    },
    {
      status: 401,
      json: { error: { message: `Incorrect API key provided: ${KEYS.standard}.` } },
    },
  );
  const env = {
    LLMSPELL_HOME: home,
    OPENAI_API_KEY: KEYS.standard,
    SENTINEL_NAMED_KEY: KEYS.named,
    LLMSPELL_PROVIDERS_OPENAI_BASE_URL: s.url + "/v1",
    LLMSPELL_PROVIDERS_OPENAI_MAX_RETRIES: "0",
  };
  const run = (args: string[]) => cli(args, { cwd: home, env });
  try {
    await Deno.writeTextFile(
      `${home}/llmspell.toml`,
      `[providers.fromconfig]
provider_type = "openai"
base_url = "${s.url}/v1"
api_key = "${KEYS.config}"

[providers.fromenv]
provider_type = "openai"
base_url = "${s.url}/v1"
api_key_env = "SENTINEL_NAMED_KEY"
`,
    );
    await Deno.writeTextFile(
      `${home}/s.lua`,
      `local a = Agent.builder():model("fromconfig/gpt-4o-mini"):tools({"calculator"}):build()
print(a:execute("6 times 7?").text)
local b = Agent.builder():model("fromenv/gpt-4o-mini"):build()
print(b:stream("go", function() end).text)
local c = Agent.builder():model("openai/gpt-4o-mini"):build()
local ok, e = pcall(c.execute, c, "x")
print(ok, tostring(e))
print(Provider.get("fromconfig").api_key, Provider.get("fromenv").api_key)
c:execute("y")
`,
    );
    const r = await run(["--trace", "trace", "run", "s.lua"]);
    assertEquals(r.code, 1, r.stderr);
    const lines = r.stdout.split("\n");
    assertEquals(lines.slice(0, 2), ["42, from the config's key", "streamed with the named key"]);
    assertEquals(lines[2], "false\tauth: openai: HTTP 401: Incorrect API key provided: [key].");
    assertEquals(lines[3], "nil\tnil");
    // The logs name each request; the uncaught error is on stderr, masked.
    assert(r.stderr.includes(`llm: fromconfig: POST ${s.url}/v1/chat/completions`), r.stderr);
    assert(r.stderr.includes("llm: fromconfig: request {"), r.stderr);
    assert(r.stderr.includes("Incorrect API key provided: [key]."), r.stderr);
    assertEquals(leaks(r.stdout + r.stderr), [], "no key on stdout or stderr");
    // Each key was real: the server got it.
    assertEquals(
      s.requests.map((q) => q.headers.get("authorization")),
      [KEYS.config, KEYS.config, KEYS.named, KEYS.standard, KEYS.standard].map((k) =>
        `Bearer ${k}`
      ),
    );

    // The session: its export, its timeline, and every byte of the database.
    const id = JSON.parse((await run(["session", "list", "--output", "json"])).stdout)[0].id;
    const exported = await run(["session", "export", id]);
    assertEquals(exported.code, 0, exported.stderr);
    assert(exported.stdout.includes('"llm.chat"') && exported.stdout.includes("[key]"));
    assertEquals(leaks(exported.stdout), []);
    const shown = await run(["session", "show", id]);
    assert(shown.stdout.includes("llm openai/gpt-4o-mini"), shown.stdout);
    assertEquals(leaks(shown.stdout + shown.stderr), []);
    let db = "";
    for await (const f of Deno.readDir(`${home}/data`)) {
      if (f.isFile && f.name.includes(".db")) {
        db += new TextDecoder("latin1").decode(await Deno.readFile(`${home}/data/${f.name}`));
      }
    }
    assert(db.includes("llm.chat"), "the database holds the records");
    assertEquals(leaks(db), [], "no key in the database's files");

    // config show, in every format, also with a key from LLMSPELL_PROVIDERS_*_API_KEY.
    for (const format of ["text", "json", "yaml"]) {
      const shown = await cli(["config", "show", "--output", format], {
        cwd: home,
        env: { ...env, LLMSPELL_PROVIDERS_OPENAI_API_KEY: KEYS.standard },
      });
      assertEquals(shown.code, 0, shown.stderr);
      assert(shown.stdout.includes("fromconfig"), shown.stdout);
      assertEquals(leaks(shown.stdout + shown.stderr), [], `config show --output ${format}`);
    }
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});
