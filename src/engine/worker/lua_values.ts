/**
 * Worker side of the value encoding of src/engine/shared/host_values.ts: Lua values on the stack written
 * straight into encoded bytes, and encoded bytes pushed straight onto the stack, with no
 * JS objects in between. Strings are copied as bytes; integers and floats stay distinct.
 */
import type { CApi } from "../vm/capi.ts";
import { LuaTypeId } from "../vm/lua_h.ts";
import { MAX_DEPTH, Tag, ValueReader, type ValueWriter } from "../shared/host_values.ts";

/** A value that cannot leave Lua; the message names where it is (`value.a.b: ...`). */
export class UnstorableValue extends Error {}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const decoder = new TextDecoder("utf-8", { fatal: true });

/** How a table key extends a path: `.name`, `[1]`, `["a b"]`. */
function keyPath(api: CApi, L: number, idx: number): string {
  const lua = api.lua;
  const t = lua.lua_type(L, idx);
  if (t === LuaTypeId.string) {
    let s: string;
    try {
      s = decoder.decode(api.bytesView(L, idx));
    } catch {
      return "[<bytes>]";
    }
    return IDENTIFIER.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }
  if (t === LuaTypeId.number) {
    return lua.lua_isinteger(L, idx)
      ? `[${lua.lua_tointegerx(L, idx, null)}]`
      : `[${lua.lua_tonumberx(L, idx, null)}]`;
  }
  return `[${lua.lua_toboolean(L, idx) ? "true" : "false"}]`;
}

/**
 * Encodes the value at `idx` (an absolute index) into `w`. `path` names it in errors.
 *
 * @throws UnstorableValue for a function, userdata, thread, a cycle, a table key, or a
 *   table nested deeper than MAX_DEPTH
 */
export function writeLuaValue(
  api: CApi,
  L: number,
  idx: number,
  w: ValueWriter,
  path: string,
  open: Set<number> = new Set(),
): void {
  const lua = api.lua;
  const t = lua.lua_type(L, idx);
  switch (t) {
    case LuaTypeId.nil:
    case LuaTypeId.none:
      w.byte(Tag.nil);
      return;
    case LuaTypeId.boolean:
      w.byte(lua.lua_toboolean(L, idx) ? Tag.true : Tag.false);
      return;
    case LuaTypeId.number:
      if (lua.lua_isinteger(L, idx)) w.integer(lua.lua_tointegerx(L, idx, null));
      else w.float(lua.lua_tonumberx(L, idx, null));
      return;
    case LuaTypeId.string:
      w.string(api.bytesView(L, idx)!);
      return;
    case LuaTypeId.table:
      writeTable(api, L, idx, w, path, open);
      return;
  }
  const name = t === LuaTypeId.lightUserdata ? "userdata" : lua.lua_typename(L, t);
  throw new UnstorableValue(`${path}: cannot store a ${name}`);
}

function writeTable(
  api: CApi,
  L: number,
  idx: number,
  w: ValueWriter,
  path: string,
  open: Set<number>,
): void {
  const lua = api.lua;
  const ptr = lua.lua_topointer(L, idx);
  if (open.has(ptr)) {
    throw new UnstorableValue(`${path}: cannot store a cycle (the table contains itself)`);
  }
  if (open.size >= MAX_DEPTH) {
    throw new UnstorableValue(`${path}: cannot store tables nested more than ${MAX_DEPTH} deep`);
  }
  if (!lua.lua_checkstack(L, 4)) throw new UnstorableValue(`${path}: Lua stack overflow`);
  open.add(ptr);
  // One pass to tell an array (keys exactly 1..n) from a map.
  let count = 0;
  let array = true;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx) !== 0) {
    count++;
    if (array) {
      if (lua.lua_type(L, -2) === LuaTypeId.number && lua.lua_isinteger(L, -2)) {
        const k = lua.lua_tointegerx(L, -2, null);
        if (k >= 1n && k <= 0x7fffffffn) max = Math.max(max, Number(k));
        else array = false;
      } else array = false;
    }
    lua.lua_settop(L, -2);
  }
  // An empty table is a map: `{}` in JSON, the usual meaning of an empty Lua table.
  if (array && count > 0 && max === count) {
    w.byte(Tag.array);
    w.uleb(count);
    for (let i = 1; i <= count; i++) {
      lua.lua_rawgeti(L, idx, BigInt(i));
      writeLuaValue(api, L, lua.lua_gettop(L), w, `${path}[${i}]`, open);
      lua.lua_settop(L, -2);
    }
  } else {
    w.byte(Tag.map);
    w.uleb(count);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, idx) !== 0) {
      const top = lua.lua_gettop(L);
      const kt = lua.lua_type(L, top - 1);
      if (kt !== LuaTypeId.string && kt !== LuaTypeId.number && kt !== LuaTypeId.boolean) {
        const name = kt === LuaTypeId.lightUserdata ? "userdata" : lua.lua_typename(L, kt);
        throw new UnstorableValue(`${path}: cannot store a ${name} as a table key`);
      }
      writeLuaValue(api, L, top - 1, w, path, open);
      writeLuaValue(api, L, top, w, path + keyPath(api, L, top - 1), open);
      lua.lua_settop(L, -2);
    }
  }
  open.delete(ptr);
}

/** Pushes the value `r` is at onto L's stack. */
export function pushLuaValue(api: CApi, L: number, r: ValueReader, depth = 0): void {
  const lua = api.lua;
  if (depth > MAX_DEPTH) throw new Error(`value nested more than ${MAX_DEPTH} deep`);
  const tag = r.bytes[r.pos];
  switch (tag) {
    case Tag.string: {
      r.pos++;
      const n = r.uleb();
      api.pushBytes(L, r.bytes.subarray(r.pos, r.pos + n));
      r.pos += n;
      return;
    }
    case Tag.array: {
      r.pos++;
      const n = r.uleb();
      if (!lua.lua_checkstack(L, 3)) throw new Error("Lua stack overflow");
      lua.lua_createtable(L, n, 0);
      for (let i = 1; i <= n; i++) {
        pushLuaValue(api, L, r, depth + 1);
        lua.lua_rawseti(L, -2, BigInt(i));
      }
      return;
    }
    case Tag.map: {
      r.pos++;
      const n = r.uleb();
      if (!lua.lua_checkstack(L, 3)) throw new Error("Lua stack overflow");
      lua.lua_createtable(L, 0, n);
      for (let i = 0; i < n; i++) {
        pushLuaValue(api, L, r, depth + 1);
        pushLuaValue(api, L, r, depth + 1);
        // A nil key cannot be set (a map never holds one); the value is dropped.
        if (lua.lua_type(L, -2) === LuaTypeId.nil) lua.lua_settop(L, -3);
        else lua.lua_rawset(L, -3);
      }
      return;
    }
  }
  const v = r.value(depth);
  if (v === null) lua.lua_pushnil(L);
  else if (typeof v === "boolean") lua.lua_pushboolean(L, v ? 1 : 0);
  else if (typeof v === "bigint") lua.lua_pushinteger(L, v);
  else if (typeof v === "number") lua.lua_pushnumber(L, v);
}
