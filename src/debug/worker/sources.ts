/**
 * Chunks and the files they come from: a chunk's key (the real path of a file, or the chunk
 * name), its DAP source, the lines of a file that carry code (for breakpoints), and the
 * `loadedSource` event of each chunk loaded.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import * as path from "../../posix_path.ts";
import { LuaStatus } from "../../engine/vm/lua_h.ts";
import { Control } from "../../engine/shared/protocol.ts";
import * as Lua from "../../engine/vm/lua_layout.ts";
import { lastLineAsReturn } from "../../engine/worker/echo.ts";
import { codeLines } from "./bytecode.ts";
import { INTERNAL_PREFIX, type WorkerContext } from "./context.ts";

const { AR_SOURCE } = Lua;

/** Lua's LUA_IDSIZE less `[string "`, `..."]` and the NUL (ldebug.c luaO_chunkid). */
const STRING_CHUNK_ID_CHARS = 45;

/** Lua's own name of a chunk loaded from a string (`[string "..."]`, as in its messages). */
export function stringChunkName(source: string): string {
  const nl = source.indexOf("\n");
  if (nl < 0 && source.length < STRING_CHUNK_ID_CHARS) return `[string "${source}"]`;
  const line = nl < 0 ? source : source.slice(0, nl);
  return `[string "${line.slice(0, STRING_CHUNK_ID_CHARS)}..."]`;
}

const decoder = new TextDecoder();

export class Sources {
  readonly #ctx: WorkerContext;
  /** Chunk source → key, computed once per source. */
  readonly #keys = new Map<string, string>();
  /** Code lines of a file, or why they cannot be known (until its breakpoints change). */
  readonly #codeLines = new Map<string, Set<number> | string>();
  /** The chunks announced (loadedSource), by key or, for a string, by its name. */
  readonly #announced = new Set<string>();

  constructor(ctx: WorkerContext) {
    this.#ctx = ctx;
  }

  /** The key of a chunk source: `@file` → the file's real path; any other, the source. */
  keyOf(source: string): string {
    let k = this.#keys.get(source);
    if (k === undefined) {
      k = source.startsWith("@") ? this.normPath(source.slice(1)) : source;
      this.#keys.set(source, k);
    }
    return k;
  }

  /** An absolute, real path (as far as the file exists). */
  normPath(p: string): string {
    const abs = path.resolve(this.#ctx.host.cwd, p);
    try {
      return Deno.realPathSync(abs);
    } catch {
      return abs;
    }
  }

  /** Forgets a file's code lines (it may have changed). */
  forget(key: string): void {
    this.#codeLines.delete(key);
  }

  /** Code lines of a file on disk, or an error message. */
  codeLinesOf(key: string, L: number): Set<number> | string {
    const cached = this.#codeLines.get(key);
    if (cached !== undefined) return cached;
    let result: Set<number> | string;
    let src: string;
    try {
      src = Deno.readTextFileSync(key);
    } catch (e) {
      result = e instanceof Deno.errors.NotFound ? "file not found" : String(e);
      return result;
    }
    const api = this.#ctx.api;
    const lua = api.lua;
    const top = lua.lua_gettop(L);
    try {
      let status = api.load(L, src.replace(/^#![^\n]*/, ""), "@" + key);
      const last = status !== LuaStatus.ok ? lastLineAsReturn(src) : undefined;
      if (last !== undefined) {
        // A kernel cell's dumped file that ends in an expression: compiled as the kernel
        // runs it (the last line returned), whose code lines are the same.
        const asRun = api.load(L, last.chunk, "@" + key);
        if (asRun === LuaStatus.ok) {
          lua.lua_rotate(L, -2, 1);
          lua.lua_settop(L, -2);
          status = asRun;
        } else lua.lua_settop(L, -2);
      }
      if (status !== LuaStatus.ok) {
        result = `syntax error: ${api.str(L, -1)}`;
      } else {
        lua.lua_getglobal(L, "string");
        lua.lua_getfield(L, -1, "dump");
        lua.lua_pushvalue(L, -3);
        if (lua.lua_pcallk(L, 1, 1, 0, 0, null) !== LuaStatus.ok) {
          result = `cannot read code lines: ${api.str(L, -1)}`;
        } else result = codeLines(api.bytes(L, -1) ?? new Uint8Array());
      }
    } finally {
      lua.lua_settop(L, top);
    }
    this.#codeLines.set(key, result);
    return result;
  }

  /** The DAP source of the function running at `ar`. */
  sourceAt(L: number, ar: number): DP.Source | undefined {
    const ctx = this.#ctx;
    ctx.wasm._lua_getinfo(L, ctx.cString("S"), ar);
    return this.dapSource(ctx.readCString(ctx.wasm.HEAP32[(ar + AR_SOURCE) >> 2]));
  }

  dapSource(source: string): DP.Source {
    if (source.startsWith("@")) {
      const p = this.keyOf(source);
      return { name: path.basename(p), path: p };
    }
    return { name: source.startsWith("=") ? source.slice(1) : stringChunkName(source) };
  }

  /**
   * A chunk was loaded (the function at `idx` of `L`'s stack): a `loadedSource` event the
   * first time its source is seen. The engine's own chunks are not the user's.
   */
  loaded(L: number, idx: number): void {
    const ctx = this.#ctx;
    // Nobody listens yet: a client that comes later asks for what it needs.
    if (Atomics.load(ctx.host.control, Control.debugListening) === 0) return;
    const m = ctx.wasm;
    ctx.api.lua.lua_pushvalue(L, idx);
    m._lua_getinfo(L, ctx.cString(">S"), ctx.scratchAr);
    // A string chunk's source is its whole text: only its first line names it.
    const source = this.#sourcePrefix(m.HEAP32[(ctx.scratchAr + AR_SOURCE) >> 2]);
    if (source.startsWith(INTERNAL_PREFIX)) return;
    const dap = this.dapSource(source);
    const key = dap.path ?? dap.name ?? source;
    if (this.#announced.has(key)) return;
    this.#announced.add(key);
    ctx.postWithOutput({
      type: "event",
      event: "loadedSource",
      body: { reason: "new", source: dap },
    });
  }

  /** A chunk's source from wasm memory: whole for a file or a name, a string's first line. */
  #sourcePrefix(p: number): string {
    const u8 = this.#ctx.wasm.HEAPU8;
    if (u8[p] === 0x40 || u8[p] === 0x3d) return this.#ctx.readCString(p);
    let end = p;
    while (u8[end] !== 0 && u8[end] !== 0x0a && end - p <= STRING_CHUNK_ID_CHARS) end++;
    return decoder.decode(u8.subarray(p, end)) + (u8[end] === 0 ? "" : "\n");
  }

  /** A chunk's short name: a file's base name, `=name`'s name, or "string". */
  shortSource(source: string): string {
    if (source.startsWith("@")) return path.basename(source.slice(1));
    if (source.startsWith("=")) return source.slice(1);
    return "string";
  }
}
