/**
 * Table entries for JavaScript functions that Lua calls: C functions (host functions, the
 * message handler) and hooks. A wasm table holds only wasm functions; emscripten's
 * `addFunction` compiled a small module for each JS function, synchronously, at every engine
 * start (docs/decisions/0008-trampolines-ahead-of-time.md). Here one module of `BLOCK`
 * C-function and hook trampolines is compiled once, and instantiated for each block of
 * slots; each trampoline is an exported wasm function that calls one JS import with its
 * slot number. The module is built ahead of time (scripts/gen_trampolines.ts): building it
 * here cost the engine's worker start-up time, in code that runs once and cold.
 */
import { TRAMPOLINE_WASM } from "../wasm/trampoline_wasm.ts";

/** A lua_CFunction: (L) -> number of results. */
export type CFunction = (L: number) => number;
/** A lua_Hook: (L, ar). */
export type Hook = (L: number, ar: number) => void;

/** Trampolines of each kind per compiled module (scripts/gen_trampolines.ts builds it). */
export const BLOCK = 32;

/** The module's bytes, decoded once (V8 decodes base64 natively). */
function trampolineModule(): Uint8Array<ArrayBuffer> {
  return Uint8Array.fromBase64(TRAMPOLINE_WASM);
}

let compiled: WebAssembly.Module | undefined;

/**
 * Starts compiling the module off this thread. The engine worker calls it first thing: it
 * waits for glue.wasm's longer compile before it needs this one. Without it, the first
 * block compiles synchronously.
 */
export function precompileTrampolines(): void {
  WebAssembly.compile(trampolineModule()).then((m) => compiled ??= m, () => {});
}

type WasmFunction = (...args: number[]) => number | void;

export class Trampolines {
  readonly #addFunction: (fn: WasmFunction) => number;
  readonly #cfunctions: CFunction[] = [];
  readonly #hooks: Hook[] = [];
  readonly #blocks: WebAssembly.Exports[] = [];

  /** `addFunction` puts a wasm function into the table (lua_wasm.ts LuaModule). */
  constructor(addFunction: (fn: WasmFunction) => number) {
    this.#addFunction = addFunction;
  }

  /** A table index for `fn` as a lua_CFunction. */
  cfunction(fn: CFunction): number {
    this.#cfunctions.push(fn);
    return this.#add("c", this.#cfunctions.length - 1);
  }

  /** A table index for `fn` as a lua_Hook. */
  hook(fn: Hook): number {
    this.#hooks.push(fn);
    return this.#add("h", this.#hooks.length - 1);
  }

  #add(kind: "c" | "h", slot: number): number {
    const block = Math.floor(slot / BLOCK);
    while (this.#blocks.length <= block) this.#blocks.push(this.#compile(this.#blocks.length));
    return this.#addFunction(this.#blocks[block][`${kind}${slot % BLOCK}`] as WasmFunction);
  }

  #compile(block: number): WebAssembly.Exports {
    const cfunctions = this.#cfunctions;
    const hooks = this.#hooks;
    compiled ??= new WebAssembly.Module(trampolineModule());
    return new WebAssembly.Instance(compiled, {
      js: {
        c: (slot: number, L: number) => cfunctions[slot](L),
        h: (slot: number, L: number, ar: number) => hooks[slot](L, ar),
        base: block * BLOCK,
      },
    }).exports;
  }
}
