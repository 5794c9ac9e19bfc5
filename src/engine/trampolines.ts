/**
 * Table entries for JavaScript functions that Lua calls: C functions (host functions, the
 * message handler) and hooks. A wasm table holds only wasm functions; emscripten's
 * `addFunction` compiled a small module for each JS function, synchronously (~0.3 ms each,
 * ~6 ms of every engine start with the host table's twenty). Here one module of `BLOCK`
 * C-function and hook trampolines is compiled once, and instantiated for each block of
 * slots; each trampoline is an exported wasm function that calls one JS import with its
 * slot number.
 */
import { name, op, section, sleb, uleb } from "./wasm_encode.ts";

/** A lua_CFunction: (L) -> number of results. */
export type CFunction = (L: number) => number;
/** A lua_Hook: (L, ar). */
export type Hook = (L: number, ar: number) => void;

/** Trampolines of each kind per compiled module. */
const BLOCK = 32;
const I32 = 0x7f;

/**
 * The module: exports c0..c31 and h0..h31, which call js.c or js.h with the slot
 * `base + k`; each block of slots is one instance, with its own `base`.
 */
function trampolineModule(): Uint8Array<ArrayBuffer> {
  // deno-fmt-ignore
  const types = [
    4,
    0x60, 1, I32, 1, I32, // lua_CFunction (L) -> i32
    0x60, 2, I32, I32, 0, // lua_Hook (L, ar)
    0x60, 2, I32, I32, 1, I32, // js.c(slot, L) -> i32
    0x60, 3, I32, I32, I32, 0, // js.h(slot, L, ar)
  ];
  // deno-fmt-ignore
  const imports = [
    3,
    ...name("js"), ...name("c"), 0x00, 2,
    ...name("js"), ...name("h"), 0x00, 3,
    ...name("js"), ...name("base"), 0x03, I32, 0, // an immutable i32 global
  ];
  const funcs = [...uleb(2 * BLOCK)];
  const exports = [...uleb(2 * BLOCK)];
  const bodies = [...uleb(2 * BLOCK)];
  const slot = (k: number) => [op.const, ...sleb(k), op.globalGet, 0, op.add];
  for (let k = 0; k < BLOCK; k++) {
    // Function indices: the two imports are 0 and 1, then c0..c31, then h0..h31.
    funcs.push(0);
    exports.push(...name(`c${k}`), 0x00, ...uleb(2 + k));
    const c = [0, ...slot(k), op.get, 0, op.call, 0, op.end];
    bodies.push(...uleb(c.length), ...c);
  }
  for (let k = 0; k < BLOCK; k++) {
    funcs.push(1);
    exports.push(...name(`h${k}`), 0x00, ...uleb(2 + BLOCK + k));
    const h = [0, ...slot(k), op.get, 0, op.get, 1, op.call, 1, op.end];
    bodies.push(...uleb(h.length), ...h);
  }
  // deno-fmt-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, bodies),
  ]);
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
