/**
 * Where the engine's files are. From the sources (`deno run main.ts`, `deno compile`), the
 * worker is worker.ts beside this file and glue.wasm is wasmoon's. From the bundle that
 * install.sh builds (scripts/build.ts), this code sits in a chunk of dist/cli or dist/engine,
 * and both files are at fixed places in dist/.
 */
const bundled = !import.meta.url.endsWith(".ts");

/** The engine worker's entry module. */
export const WORKER_URL: URL = bundled
  ? new URL("../engine/worker.js", import.meta.url)
  : new URL("../worker/worker.ts", import.meta.url);

/** wasmoon's glue.wasm (Lua 5.4 compiled by emscripten), a local file. */
export const GLUE_WASM_PATH: string = bundled
  ? new URL("../glue.wasm", import.meta.url).pathname
  : new URL(import.meta.resolve("wasmoon/dist/glue.wasm")).pathname;
