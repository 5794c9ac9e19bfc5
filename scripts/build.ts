/**
 * Builds dist/: llmspell as JavaScript bundles, which the launcher that install.sh writes
 * runs. Deno loads ~90 TypeScript modules for a command from the sources, each looked up in
 * its transpile and code caches; from the bundle it loads a few JavaScript files
 * (docs/decisions/0014-bundle-launcher.md).
 *
 *   dist/cli/main.js      the program (main.ts), code-split so a command loads only its part,
 *                         its small chunks merged (mergeChunks)
 *   dist/engine/worker.js the engine worker (src/engine/worker/worker.ts), its own bundle, with
 *                         worker_debugger.js, the debugger it loads when debugging
 *                         (src/debug/worker/worker_debugger.ts, named by src/debug/provide.ts)
 *   dist/glue.wasm        Lua (wasmoon's), found by src/engine/host/assets.ts
 *
 *   deno run -A scripts/build.ts [--out DIR]   (default: dist beside this repository's main.ts)
 */
import { rollup } from "rollup";
import { GLUE_WASM_PATH } from "../src/engine/host/assets.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function outDir(args: string[]): string {
  const i = args.indexOf("--out");
  return i >= 0 && args[i + 1] ? args[i + 1] : `${ROOT}dist`;
}

/**
 * The engine bundle's entries, as modules of one temporary directory: deno bundle names each
 * output by its entry's path below the entries' common directory, and the worker and its
 * debugger must come out as dist/engine/worker.js and dist/engine/worker_debugger.js
 * (engine/host/assets.ts, debug/provide.ts).
 */
async function workerEntries(): Promise<{ dir: string; files: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "llmspell-build-" });
  const worker = `${dir}/worker.ts`;
  const debug = `${dir}/worker_debugger.ts`;
  await Deno.writeTextFile(worker, `import "${ROOT}src/engine/worker/worker.ts";\n`);
  await Deno.writeTextFile(
    debug,
    `export { createWorkerDebugger } from "${ROOT}src/debug/worker/worker_debugger.ts";\n`,
  );
  return { dir, files: [worker, debug] };
}

/** Bundles `entries` (absolute paths) into `outdir`, code-split. */
async function bundle(entries: string[], outdir: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "--code-splitting",
      "--config",
      `${ROOT}deno.json`,
      "--outdir",
      outdir,
      ...entries,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `deno bundle ${entries.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

/**
 * Deno loads, before a program's first line, every module that its dynamic imports name with
 * a string literal, and theirs: for the CLI bundle that is every command's chunks (45 modules)
 * when main.js itself imports 6. A specifier it cannot read statically is loaded when the import
 * runs, so the bundle's own dynamic imports name their chunk through `String(...)`.
 * See docs/decisions/0015-deferred-dynamic-imports.md.
 */
export function deferDynamicImports(js: string): string {
  return js.replaceAll(/\bimport\((["'])(\.\/[\w.-]+\.js)\1\)/g, 'import(String("$2"))');
}

/**
 * A chunk smaller than this is merged into another where that runs no code that would not
 * have run (rollup's experimentalMinChunkSize). `deno bundle` (esbuild) makes a chunk for each
 * set of dynamic imports that reach a module: `exec` loaded 38 chunks of the CLI bundle, most
 * under 3 KB, and Deno takes a fixed time per module; merged, 9.
 * See docs/decisions/0032-merged-bundle-chunks.md.
 */
const MIN_CHUNK_BYTES = 8000;

/** Rewrites the code-split bundle in `raw` (its `entries`, file names) into `outdir`, merged. */
async function mergeChunks(raw: string, entries: string[], outdir: string): Promise<void> {
  const build = await rollup({
    input: entries.map((e) => `${raw}/${e}`),
    // Deno's own and npm modules stay imports, as deno bundle left them.
    external: (id) => /^(node|npm|jsr|ext):/.test(id),
    onLog: (level, log) => {
      if (level === "warn") throw new Error(`rollup: ${log.message}`);
    },
  });
  try {
    await build.write({
      dir: outdir,
      format: "es",
      experimentalMinChunkSize: MIN_CHUNK_BYTES,
      entryFileNames: "[name].js",
      chunkFileNames: "chunk-[hash].js",
    });
  } finally {
    await build.close();
  }
}

async function deferAll(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".js")) continue;
    const file = `${dir}/${entry.name}`;
    await Deno.writeTextFile(file, deferDynamicImports(await Deno.readTextFile(file)));
  }
}

export async function build(dir: string): Promise<void> {
  // A fresh tree each time: stale chunks of an earlier build would stay unused but present.
  const tmp = `${dir}.tmp-${Deno.pid}`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  const entries = await workerEntries();
  const raw = `${tmp}/raw`;
  try {
    await Promise.all([
      bundle([`${ROOT}main.ts`], `${raw}/cli`),
      // One bundle, so that the two share the engine's modules.
      bundle(entries.files, `${raw}/engine`),
    ]);
  } finally {
    await Deno.remove(entries.dir, { recursive: true });
  }
  await mergeChunks(`${raw}/cli`, ["main.js"], `${tmp}/cli`);
  await mergeChunks(`${raw}/engine`, ["worker.js", "worker_debugger.js"], `${tmp}/engine`);
  await Deno.remove(raw, { recursive: true });
  await Promise.all([deferAll(`${tmp}/cli`), deferAll(`${tmp}/engine`)]);
  await Deno.copyFile(GLUE_WASM_PATH, `${tmp}/glue.wasm`);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, dir);
}

if (import.meta.main) {
  const dir = outDir(Deno.args);
  await build(dir);
  console.error(`built ${dir}`);
}
