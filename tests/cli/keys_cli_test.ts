/**
 * `llmspell keys` through the real CLI: set (piped, and typed in a real terminal without
 * echo), list, get, remove, path, log and providers, `--output json`, exit codes 0/1/2, the file's mode
 * (0600 after set, a readable one refused with the chmod hint) and the audit rows, which never
 * hold a key.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, MAIN, tempDir, withHome } from "../helpers/cli.ts";
import { Tmux } from "../helpers/tmux.ts";

const nonce = crypto.randomUUID().slice(0, 8);
const OPENAI_KEY = `sk-test-openai-${nonce}`;
const OTHER_KEY = `sk-test-other-${nonce}`;

/** Every byte of the database's files, to look for a key in. */
async function databaseBytes(home: string): Promise<string> {
  let all = "";
  for await (const f of Deno.readDir(`${home}/data`)) {
    if (f.isFile && f.name.startsWith("llmspell.db")) {
      all += new TextDecoder("latin1").decode(await Deno.readFile(`${home}/data/${f.name}`));
    }
  }
  return all;
}

Deno.test("keys: set from stdin, list, get, remove and path round trip, in text and JSON", async () => {
  await withHome(async (run, home) => {
    await Deno.writeTextFile(
      `${home}/llmspell.toml`,
      `[providers.work]\nprovider_type = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n`,
    );
    const path = await run(["keys", "path"]);
    assertEquals([path.code, path.stdout], [0, `${home}/data/keys.json\n`], path.stderr);
    assertEquals(
      JSON.parse((await run(["keys", "path", "--output", "json"])).stdout),
      { path: `${home}/data/keys.json` },
    );
    // Nothing stored yet: an empty list, not an error.
    const empty = await run(["keys", "list", "--output", "json"]);
    assertEquals([empty.code, JSON.parse(empty.stdout)], [0, []], empty.stderr);

    const set = await run(["keys", "set", "openai"], { stdin: OPENAI_KEY + "\n" });
    assertEquals(set.code, 0, set.stderr);
    assertEquals(set.stdout, "", "set prints its message on stderr");
    assertStringIncludes(set.stderr, "stored the key for openai");
    const json = await run(["keys", "set", "work", "--output", "json"], { stdin: OTHER_KEY });
    assertEquals(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout);
    assertEquals([doc.name, doc.path], ["work", `${home}/data/keys.json`]);
    assertMatch(doc.set_at, /^\d{4}-\d\d-\d\dT/);

    // get prints the key alone (a trailing newline, as `$(...)` drops).
    const get = await run(["keys", "get", "openai"]);
    assertEquals([get.code, get.stdout], [0, OPENAI_KEY + "\n"], get.stderr);
    const getJson = JSON.parse((await run(["keys", "get", "work", "--output", "json"])).stdout);
    assertEquals([getJson.name, getJson.value], ["work", OTHER_KEY]);

    // list names the keys and their providers, never a key.
    const list = await run(["keys", "list", "--output", "json"]);
    assertEquals(list.code, 0, list.stderr);
    assert(!list.stdout.includes(OPENAI_KEY) && !list.stdout.includes(OTHER_KEY), list.stdout);
    const rows = JSON.parse(list.stdout);
    assertEquals(
      rows.map((r: { name: string; provider: string; overridden_by: string | null }) => [
        r.name,
        r.provider,
        r.overridden_by,
      ]),
      [["openai", "openai", null], ["work", "work", null]],
    );
    const text = await run(["keys", "list"]);
    assertEquals(text.code, 0, text.stderr);
    assertMatch(
      text.stdout,
      /^NAME +SET AT +USED BY\nopenai +\d{4}-\S+ +openai\nwork +\S+ +work\n$/,
    );
    // A key the configuration replaces is listed as not used, with what comes first.
    const shadowed = await run(["keys", "list"], {
      env: { LLMSPELL_PROVIDERS_OPENAI_API_KEY: "sk-from-env-config" },
    });
    assertStringIncludes(shadowed.stdout, "openai (not used: api_key in the configuration");

    // Setting again replaces the key.
    assertEquals((await run(["keys", "set", "openai"], { stdin: OTHER_KEY })).code, 0);
    assertEquals((await run(["keys", "get", "openai"])).stdout, OTHER_KEY + "\n");

    const removed = await run(["keys", "remove", "openai"]);
    assertEquals([removed.code, removed.stdout], [0, ""], removed.stderr);
    assertStringIncludes(removed.stderr, "removed the key for openai");
    const after = JSON.parse((await run(["keys", "list", "--output", "json"])).stdout);
    assertEquals(after.map((r: { name: string }) => r.name), ["work"]);
  });
});

Deno.test("keys: an absent key is exit 1 with the hint; bad names and empty keys are usage errors", async () => {
  await withHome(async (run, home) => {
    const get = await run(["keys", "get", "anthropic"]);
    assertEquals([get.code, get.stdout], [1, ""]);
    assertEquals(
      get.stderr,
      "error: no key stored for 'anthropic'\nhint: store one with: llmspell keys set anthropic\n",
    );
    const rm = await run(["keys", "remove", "anthropic"]);
    assertEquals(rm.code, 1, rm.stderr);
    assertStringIncludes(rm.stderr, "llmspell keys set anthropic");

    for (
      const args of [["keys", "set", "bad name"], ["keys", "get", "../x"], ["keys", "remove", ""]]
    ) {
      const r = await run(args, { stdin: OPENAI_KEY });
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assertStringIncludes(r.stderr, "is not a key name");
    }
    // A name that is no provider (a typo) is refused, with the providers there are.
    const typo = await run(["keys", "set", "opneai"], { stdin: OPENAI_KEY });
    assertEquals(typo.code, 2, typo.stderr);
    assertStringIncludes(
      typo.stderr,
      "no provider named 'opneai': use one of anthropic, ollama, openai",
    );
    // Nor is a name every object answers to.
    const proto = await run(["keys", "set", "toString"], { stdin: OPENAI_KEY });
    assertEquals(proto.code, 2, proto.stderr);
    assertStringIncludes(proto.stderr, "no provider named 'toString'");
    // A local model takes no key.
    await Deno.writeTextFile(
      `${home}/llmspell.toml`,
      `[providers.mine]\nprovider_type = "local"\nmodel_path = "m.gguf"\n`,
    );
    const local = await run(["keys", "set", "mine"], { stdin: OPENAI_KEY });
    assertEquals(local.code, 2, local.stderr);
    assertStringIncludes(local.stderr, "takes no API key");
    // Empty stdin, or a key of several lines: nothing is stored.
    for (const stdin of ["", "\n", "sk-one\nsk-two\n", "sk with space"]) {
      const r = await run(["keys", "set", "openai"], { stdin });
      assertEquals(r.code, 2, `${JSON.stringify(stdin)}: ${r.stderr}`);
      assertStringIncludes(r.stderr, "nothing stored");
    }
    assertEquals((await run(["keys", "get", "openai"])).code, 1);
    // Missing arguments are usage errors too.
    assertEquals((await run(["keys", "get"])).code, 2);
    assertEquals((await run(["keys"])).code, 2);
  });
});

Deno.test("keys: the file is 0600 after set; a file others can read is refused with the chmod hint", async () => {
  await withHome(async (run, home) => {
    const file = `${home}/data/keys.json`;
    assertEquals((await run(["keys", "set", "openai"], { stdin: OPENAI_KEY })).code, 0);
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    // Written whole, by rename: no temporary file is left beside it.
    const names = [];
    for await (const f of Deno.readDir(`${home}/data`)) names.push(f.name);
    assertEquals(names.filter((n) => n.startsWith("keys.json")), ["keys.json"]);

    await Deno.chmod(file, 0o644);
    for (const args of [["keys", "get", "openai"], ["keys", "list"], ["keys", "set", "openai"]]) {
      const r = await run(args, { stdin: OTHER_KEY });
      assertEquals(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert(!r.stdout.includes(OPENAI_KEY), "the key is not printed");
      assertEquals(
        r.stderr,
        `error: the key store ${file} may be read by other users (mode 644); refusing to use it\n` +
          `hint: chmod 600 ${file} (and replace the keys in it if others could read them)\n`,
        args.join(" "),
      );
    }
    // Refused, so unchanged; after the chmod the hint names, it is used again.
    await Deno.chmod(file, 0o600);
    assertEquals((await run(["keys", "get", "openai"])).stdout, OPENAI_KEY + "\n");
    // Group access alone is refused too.
    await Deno.chmod(file, 0o640);
    assertEquals((await run(["keys", "get", "openai"])).code, 1);
  });
});

Deno.test("keys: a write that fails (the file size limit, as a full disk) leaves the old file whole and no audit row", async () => {
  await withHome(async (run, home) => {
    // Two keys near the largest accepted make a file over 32 KiB; the database's files stay
    // under that limit, so only the key store's write fails.
    const first = "sk-" + "a".repeat(16_370);
    assertEquals((await run(["keys", "set", "openai"], { stdin: first })).code, 0);
    const before = await Deno.readTextFile(`${home}/data/keys.json`);
    const child = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        // An ignored SIGXFSZ makes a write past the limit fail with EFBIG, as ENOSPC would.
        `trap '' XFSZ; exec prlimit --fsize=32768 -- "$@"`,
        "sh",
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        MAIN,
        "keys",
        "set",
        "anthropic",
      ],
      cwd: home,
      env: { LLMSPELL_HOME: home, NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode("sk-" + "b".repeat(16_370)));
    await w.close();
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1, stderr);
    assertStringIncludes(stderr, `cannot write the key store ${home}/data/keys.json`);
    assertStringIncludes(stderr, "it is unchanged");
    // The old file, whole; no temporary file left beside it; no row for the change.
    assertEquals(await Deno.readTextFile(`${home}/data/keys.json`), before);
    const names = [];
    for await (const f of Deno.readDir(`${home}/data`)) names.push(f.name);
    assertEquals(names.filter((n) => n.startsWith("keys.json")), ["keys.json"]);
    assertEquals((await run(["keys", "get", "openai"])).stdout, first + "\n");
    const log = JSON.parse((await run(["keys", "log", "--output", "json"])).stdout);
    assertEquals(log.map((e: { name: string }) => e.name), ["openai"]);
  });
});

Deno.test("keys: set and remove each add an audit row (name, time), never the key", async () => {
  await withHome(async (run, home) => {
    assertEquals((await run(["keys", "set", "openai"], { stdin: OPENAI_KEY })).code, 0);
    assertEquals((await run(["keys", "set", "anthropic"], { stdin: OTHER_KEY })).code, 0);
    assertEquals((await run(["keys", "remove", "openai"])).code, 0);
    // A removal of nothing changes nothing, so it is no row.
    assertEquals((await run(["keys", "remove", "openai"])).code, 1);

    const log = await run(["keys", "log", "--output", "json"]);
    assertEquals(log.code, 0, log.stderr);
    const rows = JSON.parse(log.stdout);
    assertEquals(
      rows.map((r: { name: string; action: string }) => [r.name, r.action]),
      [["openai", "set"], ["anthropic", "set"], ["openai", "remove"]],
    );
    for (const r of rows) assertMatch(r.at, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    const one = JSON.parse((await run(["keys", "log", "anthropic", "--output", "json"])).stdout);
    assertEquals(one.length, 1);
    const text = await run(["keys", "log"]);
    assertMatch(text.stdout.split("\n")[2], /^\S+Z {2}remove {2}openai$/);

    const db = await databaseBytes(home);
    assert(db.includes("key_audit"), "the audit lives in the database");
    assert(!db.includes(OPENAI_KEY) && !db.includes(OTHER_KEY), "no key in the database's files");
  });
});

/**
 * `llmspell keys set NAME` in a real terminal; the shell prints its exit status after it
 * (tmux does not always record one).
 */
function startSet(home: string, name: string): Promise<Tmux> {
  const argv = [Deno.execPath(), "run", "-A", "--quiet", MAIN, "keys", "set", name];
  return Tmux.start(`${argv.map((a) => `'${a}'`).join(" ")}; echo "[exit $?]"`, {
    cwd: home,
    env: { LLMSPELL_HOME: home, NO_COLOR: "1" },
  });
}

Deno.test("keys: set on a terminal reads the key without echoing it", async () => {
  const home = await tempDir();
  const secret = `sk-typed-${nonce}`;
  const t = await startSet(home, "anthropic");
  try {
    await t.waitFor("API key for anthropic (hidden):");
    // Typed with a slip, corrected with Backspace: what is stored is what the user meant.
    await t.type(secret + "XY");
    await t.send("BSpace", "BSpace");
    await t.send("Enter");
    await t.waitFor("[exit 0]");
    // Everything the terminal showed, once the command is done: an echo would be there.
    const screen = t.history();
    assertStringIncludes(screen, "stored the key for anthropic");
    assert(!screen.includes("sk-typed"), `the key was echoed:\n${screen}`);
    const get = await cli(["keys", "get", "anthropic"], {
      cwd: home,
      env: { LLMSPELL_HOME: home },
    });
    assertEquals(get.stdout, secret + "\n", get.stderr);
  } finally {
    await t.kill();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("keys: Ctrl+C at the hidden prompt stores nothing (exit 130)", async () => {
  const home = await tempDir();
  const t = await startSet(home, "openai");
  try {
    await t.waitFor("API key for openai (hidden):");
    await t.type("sk-half");
    await t.send("C-c");
    await t.waitFor("[exit 130]");
    assertStringIncludes(t.history(), "cancelled: nothing stored");
    const get = await cli(["keys", "get", "openai"], { cwd: home, env: { LLMSPELL_HOME: home } });
    assertEquals(get.code, 1, get.stderr);
  } finally {
    await t.kill();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("keys providers: the built-in providers and the configuration's, not a local model's, sorted", async () => {
  await withHome(async (run, home) => {
    await Deno.writeTextFile(
      `${home}/llmspell.toml`,
      '[providers.work]\nprovider_type = "openai"\n\n' +
        '[providers.box]\nprovider_type = "local"\nmodel_path = "m.gguf"\n',
    );
    const text = await run(["keys", "providers"]);
    assertEquals([text.code, text.stdout, text.stderr], [
      0,
      "anthropic\nollama\nopenai\nwork\n",
      "",
    ]);
    const json = await run(["keys", "providers", "--output", "json"]);
    assertEquals(JSON.parse(json.stdout), ["anthropic", "ollama", "openai", "work"]);
  });
});
