/**
 * src/validate/catalog.ts against the runtime: every global a script sees, in both sandbox
 * levels, and every key of each global table, is in the catalog (the standard library's or
 * llmspell's). A global added to the runtime without its catalog entry fails here.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { API_GLOBALS } from "../../src/api/globals.ts";
import {
  API_TABLES,
  KNOWN_GLOBALS,
  STD_FUNCTIONS,
  STD_TABLES,
  UNRESTRICTED_ONLY,
} from "../../src/validate/catalog.ts";

/** `name` for each global, `name.key` for each key of a global table, one a line. */
const LIST_GLOBALS = (names: string[]) => `
local seen, out = {}, {}
local function add(name, value)
  if seen[name] then return end
  seen[name] = true
  out[#out + 1] = name
  if type(value) == "table" and name ~= "_G" and name ~= "debug" then
    for k in pairs(value) do out[#out + 1] = name .. "." .. tostring(k) end
  end
end
-- Globals made at first use are empty tables before it: those of the catalog first.
for _, k in ipairs({ ${names.map((n) => JSON.stringify(n)).join(", ")} }) do
  local v = _G[k]
  -- Such a table fills at its first indexing.
  if type(v) == "table" then local _ = v.probe_for_the_catalog_test end
  if v ~= nil then add(k, v) end
end
for k, v in pairs(_G) do add(k, v) end
table.sort(out)
print(table.concat(out, "\\n"))`;

async function runtimeNames(level: "safe" | "unrestricted"): Promise<string[]> {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/llmspell.toml`, `[engines.lua]\nsecurity_level = "${level}"\n`);
  const names = [...new Set([...API_GLOBALS, ...Object.keys(API_TABLES)])];
  const r = await cli(["exec", LIST_GLOBALS(names)], { cwd: dir });
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l !== "");
}

function known(entry: string): boolean {
  const dot = entry.indexOf(".");
  if (dot < 0) return KNOWN_GLOBALS.includes(entry);
  const [name, key] = [entry.slice(0, dot), entry.slice(dot + 1)];
  const table = API_TABLES[name] ?? STD_TABLES[name];
  return table !== undefined && (key in table.functions || table.fields.includes(key));
}

Deno.test("catalog: every global of src/api/ is in it", () => {
  assertEquals(API_GLOBALS.filter((g) => !(g in API_TABLES)), []);
});

for (const level of ["safe", "unrestricted"] as const) {
  Deno.test(`catalog: every global and global table key of a ${level} engine is in it`, async () => {
    const names = await runtimeNames(level);
    assert(names.includes("print") && names.includes("string.format"), names.join(" "));
    assertEquals(names.filter((n) => !known(n)), []);
  });
}

Deno.test("catalog: each standard entry it lists is in an unrestricted engine; a safe one lacks UNRESTRICTED_ONLY", async () => {
  const listed = [
    ...Object.keys(STD_FUNCTIONS),
    ...Object.entries(STD_TABLES).flatMap(([t, v]) =>
      [...Object.keys(v.functions), ...v.fields].map((k) => `${t}.${k}`)
    ),
    "debug",
  ];
  const unrestricted = new Set(await runtimeNames("unrestricted"));
  assertEquals(listed.filter((n) => !unrestricted.has(n)), []);
  const safe = new Set(await runtimeNames("safe"));
  assertEquals(listed.filter((n) => !safe.has(n)).sort(), [...UNRESTRICTED_ONLY].sort());
});
