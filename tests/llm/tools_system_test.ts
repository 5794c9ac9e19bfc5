/**
 * The built-in tools that reach the file system, processes, the machine and SQLite, through
 * the real CLI (`llmspell tool invoke` and a script): file_search, archive_handler (against
 * the system's tar and unzip-free checks with fflate), process_executor (only unrestricted,
 * timeout), system_monitor, database_connector (a real SQLite file).
 */
import { DatabaseSync } from "node:sqlite";
import { strToU8, zipSync } from "fflate";
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, invokeTool as invoke, tempDir } from "../helpers/cli.ts";

const UNRESTRICTED = { LLMSPELL_ENGINES_LUA_SECURITY_LEVEL: "unrestricted" };

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await tempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("file_search: files by glob, lines by text and regex, hidden skipped, sandboxed", () =>
  withDir(async (dir) => {
    await Deno.mkdir(`${dir}/src/sub`, { recursive: true });
    await Deno.mkdir(`${dir}/.git`);
    await Deno.writeTextFile(`${dir}/src/a.lua`, "local x = 1\n-- TODO: more\n");
    await Deno.writeTextFile(`${dir}/src/sub/b.lua`, 'print("todo later")\n');
    await Deno.writeTextFile(`${dir}/src/c.md`, "TODO in markdown\n");
    await Deno.writeTextFile(`${dir}/.git/x.lua`, "TODO hidden\n");
    await Deno.writeFile(`${dir}/src/bin.lua`, new Uint8Array([84, 79, 68, 79, 0, 1]));

    const lua = await invoke("file_search", { pattern: "**/*.lua" }, { cwd: dir });
    assertEquals(lua.json.files, ["src/a.lua", "src/bin.lua", "src/sub/b.lua"]);

    const todo = await invoke("file_search", {
      pattern: "**/*.lua",
      content: "todo",
      ignore_case: true,
    }, { cwd: dir });
    assertEquals(
      todo.json.matches.map((m: { path: string; line: number; column: number }) =>
        `${m.path}:${m.line}:${m.column}`
      ),
      ["src/a.lua:2:4", "src/sub/b.lua:1:8"],
    );
    const re = await invoke("file_search", { content: "^TODO\\b", regex: true }, { cwd: dir });
    assertEquals(re.json.files, ["src/c.md"]);
    const hidden = await invoke("file_search", {
      pattern: "**/x.lua",
      include_hidden: true,
    }, { cwd: dir });
    assertEquals(hidden.json.files, [".git/x.lua"]);
    const limited = await invoke("file_search", { max_results: 1 }, { cwd: dir });
    assertEquals([limited.json.files.length, limited.json.truncated], [1, true]);

    const badRe = await invoke("file_search", { content: "(", regex: true }, { cwd: dir });
    assertEquals(badRe.code, 1);
    assert(badRe.stderr.includes("not a valid regular expression"), badRe.stderr);
    const outside = await invoke("file_search", { path: "/etc" }, { cwd: dir });
    assertEquals(outside.code, 1);
    assert(outside.stderr.includes("outside the allowed paths"), outside.stderr);
  }));

Deno.test("archive_handler: zip and tar.gz round-trip, read by the system's tar; escapes and bombs refused", () =>
  withDir(async (dir) => {
    await Deno.mkdir(`${dir}/data/deep`, { recursive: true });
    await Deno.writeTextFile(`${dir}/data/a.txt`, "alpha\n");
    await Deno.writeFile(`${dir}/data/deep/b.bin`, new Uint8Array([0, 255, 1, 254]));

    for (const archive of ["out.zip", "out.tar.gz", "out.tar"]) {
      const made = await invoke("archive_handler", {
        operation: "create",
        path: archive,
        files: ["data"],
      }, { cwd: dir });
      assertEquals(made.code, 0, made.stderr);
      assertEquals(made.json.files, ["data/a.txt", "data/deep/b.bin"]);
      const listed = await invoke("archive_handler", { operation: "list", path: archive }, {
        cwd: dir,
      });
      assertEquals(
        listed.json.entries.filter((e: { type: string }) => e.type === "file").map((
          e: { name: string; size: number },
        ) => [e.name, e.size]),
        [["data/a.txt", 6], ["data/deep/b.bin", 4]],
      );
      const dest = `x_${archive.replaceAll(".", "_")}`;
      const out = await invoke("archive_handler", {
        operation: "extract",
        path: archive,
        destination: dest,
      }, { cwd: dir });
      assertEquals(out.code, 0, out.stderr);
      assertEquals(await Deno.readTextFile(`${dir}/${dest}/data/a.txt`), "alpha\n");
      assertEquals(
        [...await Deno.readFile(`${dir}/${dest}/data/deep/b.bin`)],
        [0, 255, 1, 254],
      );
    }
    // The system's tar reads what we wrote.
    const tar = await new Deno.Command("tar", { args: ["-tzf", `${dir}/out.tar.gz`] }).output();
    assertEquals(
      new TextDecoder().decode(tar.stdout).trim().split("\n").filter((l) => !l.endsWith("/")),
      ["data/a.txt", "data/deep/b.bin"],
    );

    // An entry that climbs out of the destination: refused, nothing written.
    await Deno.writeFile(
      `${dir}/evil.zip`,
      zipSync({ "ok.txt": strToU8("fine"), "../escaped.txt": strToU8("bad") }),
    );
    await Deno.mkdir(`${dir}/into`);
    const evil = await invoke("archive_handler", {
      operation: "extract",
      path: "evil.zip",
      destination: "into",
    }, { cwd: dir });
    assertEquals(evil.code, 1);
    assert(evil.stderr.includes("'../escaped.txt' would be written outside"), evil.stderr);
    assertEquals([...Deno.readDirSync(`${dir}/into`)].length, 0);

    // Over [tools.archive_handler] max_bytes: refused before writing.
    await Deno.writeTextFile(`${dir}/llmspell.toml`, "[tools.archive_handler]\nmax_bytes = 5\n");
    const big = await invoke("archive_handler", {
      operation: "extract",
      path: "out.zip",
      destination: "big",
    }, { cwd: dir });
    assertEquals(big.code, 1);
    assert(big.stderr.includes("over the limit of 5"), big.stderr);
    await Deno.remove(`${dir}/llmspell.toml`);

    const notArchive = await invoke("archive_handler", { operation: "list", path: "data/a.txt" }, {
      cwd: dir,
    });
    assertEquals(notArchive.code, 1);
    assert(notArchive.stderr.includes("cannot tell the format"), notArchive.stderr);
  }));

Deno.test("process_executor: refused in safe mode with a hint; runs with args and stdin; timeout kills", () =>
  withDir(async (dir) => {
    const safe = await invoke("process_executor", { command: "echo", args: ["hi"] }, { cwd: dir });
    assertEquals(safe.code, 1);
    assertEquals(
      safe.stderr,
      'error: process_executor: running programs needs security_level = "unrestricted"\n' +
        'hint: set security_level = "unrestricted" under [engines.lua] in the config, or LLMSPELL_ENGINES_LUA_SECURITY_LEVEL=unrestricted\n',
    );
    const echo = await invoke("process_executor", { command: "echo", args: ["a b", "c"] }, {
      cwd: dir,
      env: UNRESTRICTED,
    });
    assertEquals([echo.json.exit_code, echo.json.stdout], [0, "a b c\n"]);
    const cat = await invoke("process_executor", {
      command: "sh",
      args: ["-c", "tr a-z A-Z; echo oops >&2; exit 3"],
      stdin: "shout",
    }, { cwd: dir, env: UNRESTRICTED });
    assertEquals([cat.json.exit_code, cat.json.stdout, cat.json.stderr], [3, "SHOUT", "oops\n"]);
    const slow = await invoke("process_executor", {
      command: "sleep",
      args: ["30"],
      timeout_ms: 300,
    }, { cwd: dir, env: UNRESTRICTED });
    assertEquals([slow.json.timed_out, slow.json.signal], [true, "SIGTERM"]);
    assert(slow.json.duration_ms < 20_000, String(slow.json.duration_ms));
    const missing = await invoke("process_executor", { command: "no-such-program-xyz" }, {
      cwd: dir,
      env: UNRESTRICTED,
    });
    assertEquals(missing.code, 1);
    assert(missing.stderr.includes("no program named 'no-such-program-xyz'"), missing.stderr);
  }));

Deno.test("system_monitor: the machine's numbers agree with /proc", () =>
  withDir(async (dir) => {
    const r = await invoke("system_monitor", {}, { cwd: dir });
    assertEquals(r.code, 0, r.stderr);
    const memTotal = Number(
      /MemTotal:\s+(\d+) kB/.exec(await Deno.readTextFile("/proc/meminfo"))![1],
    ) * 1024;
    assertEquals(r.json.memory.total_bytes, memTotal);
    assertEquals(r.json.cpus, navigator.hardwareConcurrency);
    assertEquals(r.json.disk.path, dir);
    assert(r.json.disk.free_bytes > 0 && r.json.disk.free_bytes <= r.json.disk.total_bytes);
    assert(r.json.process.rss_bytes > 0);
    assertEquals(typeof r.json.load_average["1m"], "number");
  }));

Deno.test("database_connector: a real SQLite file from a script; query read-only; errors named", () =>
  withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/db.lua`,
      `local db = "notes.db"
print(Tool.database_connector{database = db, operation = "execute",
  sql = "CREATE TABLE notes(id INTEGER PRIMARY KEY, title TEXT, stars REAL)"}.changes)
local r = Tool.invoke("database_connector", {database = db, operation = "execute",
  sql = "INSERT INTO notes(title, stars) VALUES (?, ?)", params = {"héllo", 4.5}})
print(r.changes, r.last_insert_rowid)
Tool.invoke("database_connector", {database = db, operation = "execute",
  sql = "INSERT INTO notes(title, stars) VALUES (:t, :s)", params = {t = "two", s = 2}})
local q = Tool.invoke("database_connector", {database = db,
  sql = "SELECT id, title, stars FROM notes WHERE stars > ? ORDER BY id", params = {1}})
print(q.row_count, q.rows[1].title, q.rows[2].stars, table.concat(q.columns, ","))
print(Tool.database_connector{database = db, operation = "tables"}.tables[1].name)
print(Tool.database_connector{database = db, operation = "schema", table = "notes"}.columns[1].primary_key)
print(pcall(Tool.invoke, "database_connector", {database = db, sql = "DELETE FROM notes"}))
print(pcall(Tool.invoke, "database_connector", {database = db, operation = "execute",
  sql = "INSERT INTO notes(title) VALUES ('x'); INSERT INTO nope VALUES (1)"}))`,
    );
    const r = await cli(["run", "db.lua"], { cwd: dir });
    assertEquals(r.stderr, "");
    const lines = r.stdout.split("\n");
    assertEquals(lines.slice(0, 5), [
      "0",
      "1\t1",
      "2\théllo\t2\tid,title,stars",
      "notes",
      "true",
    ]);
    assert(lines[5].startsWith("false\t") && lines[5].includes("readonly"), lines[5]);
    assert(lines[6].startsWith("false\t") && lines[6].includes("no such table: nope"), lines[6]);
    // The file is a real SQLite database; the failed transaction left nothing behind.
    const db = new DatabaseSync(`${dir}/notes.db`);
    try {
      assertEquals(db.prepare("SELECT count(*) AS n FROM notes").get()!.n, 2);
      assertEquals(db.prepare("PRAGMA integrity_check").get()!.integrity_check, "ok");
    } finally {
      db.close();
    }
    const missing = await invoke("database_connector", { database: "nope.db", sql: "SELECT 1" }, {
      cwd: dir,
    });
    assertEquals(missing.code, 1);
    assert(missing.stderr.includes("no database at"), missing.stderr);
    assertEquals(await Deno.stat(`${dir}/nope.db`).catch(() => null), null);
  }));
