/**
 * docs/architecture.md matches the tree: every folder it names exists, and every folder under
 * src/ and at the top of the repository is in its Layout table. Every decision record that the
 * code names exists.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ARCHITECTURE_MD, ROOT } from "./boundaries.ts";

const doc = await Deno.readTextFile(ARCHITECTURE_MD);

/** The folders of the Layout table (between `<!-- layout:begin -->` and `:end -->`). */
function layoutFolders(): string[] {
  const m = doc.match(/<!-- layout:begin -->([\s\S]*?)<!-- layout:end -->/);
  assert(m, "docs/architecture.md has a layout table");
  return [...m[1].matchAll(/^\|\s*`([^`]+\/)`/gm)].map((r) => r[1]);
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(new URL(path, ROOT))).isDirectory;
  } catch {
    return false;
  }
}

/** Folders under `dir`, recursively, as `dir/sub/`. */
async function foldersUnder(dir: string): Promise<string[]> {
  const out = [dir];
  for await (const e of Deno.readDir(new URL(dir, ROOT))) {
    if (e.isDirectory) out.push(...await foldersUnder(`${dir}${e.name}/`));
  }
  return out;
}

/** The directory patterns of .gitignore (`name/`), as regular expressions. */
async function ignoredDirs(): Promise<RegExp[]> {
  const lines = (await Deno.readTextFile(new URL(".gitignore", ROOT))).split("\n");
  return lines.filter((l) => l.endsWith("/")).map((l) =>
    new RegExp(`^${l.slice(0, -1).replaceAll(".", "\\.").replaceAll("*", ".*")}$`)
  );
}

Deno.test("every folder docs/architecture.md names exists", async () => {
  const named = [...new Set([...doc.matchAll(/`([\w.][\w./-]*\/)`/g)].map((m) => m[1]))];
  assert(named.length > 20, "the page names its folders");
  const missing: string[] = [];
  for (const f of named) if (!await isDir(f)) missing.push(f);
  assertEquals(missing, []);
});

Deno.test("every folder under src/ and at the top of the repository is in the Layout table", async () => {
  const listed = new Set(layoutFolders());
  const ignored = await ignoredDirs();
  const top: string[] = [];
  for await (const e of Deno.readDir(ROOT)) {
    if (e.isDirectory && e.name !== ".git" && !ignored.some((r) => r.test(e.name))) {
      top.push(`${e.name}/`);
    }
  }
  const folders = [...top, ...await foldersUnder("src/")];
  assertEquals(folders.filter((f) => !listed.has(f)).sort(), []);
});

Deno.test("every decision record named in the repository exists, and the index lists each", async () => {
  const records = new Set<string>();
  for await (const e of Deno.readDir(new URL("docs/decisions/", ROOT))) {
    if (/^\d{4}-.*\.md$/.test(e.name)) records.add(e.name);
  }
  assert(records.size > 10, "the records were found");
  const index = await Deno.readTextFile(new URL("docs/decisions/README.md", ROOT));
  assertEquals([...records].filter((r) => !index.includes(`(${r})`)), []);
  const named = new Set<string>();
  for (const dir of ["src/", "scripts/", "tests/", "bench/", "docs/"]) {
    for (const folder of await foldersUnder(dir)) {
      for await (const e of Deno.readDir(new URL(folder, ROOT))) {
        if (!e.isFile || !/\.(ts|md|py)$/.test(e.name)) continue;
        const text = await Deno.readTextFile(new URL(`${folder}${e.name}`, ROOT));
        for (const m of text.matchAll(/decisions\/(\d{4}-[\w-]+\.md)/g)) named.add(m[1]);
      }
    }
  }
  assertEquals([...named].filter((r) => !records.has(r)), []);
});
