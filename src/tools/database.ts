/**
 * `database_connector`: SQL on a SQLite database file through node:sqlite (the driver the
 * store uses). `query` opens the file read-only; `execute` runs one or more statements in a
 * transaction; `tables` and `schema` describe it. Bounded by the sandbox's allowed paths.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { Buffer } from "node:buffer";
import { type Json, type JsonObject, type ToolContext, ToolError } from "./types.ts";

const MAX_ROWS = 10_000;

function bind(params: Json | undefined): SQLInputValue[] | Record<string, SQLInputValue> {
  if (params === undefined || params === null) return [];
  const value = (v: Json): SQLInputValue => {
    if (v === null || typeof v === "number" || typeof v === "string") return v;
    if (typeof v === "boolean") return v ? 1 : 0;
    return JSON.stringify(v);
  };
  if (Array.isArray(params)) return params.map(value);
  if (typeof params === "object") {
    return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, value(v)]));
  }
  throw new ToolError("database_connector: params must be a list or an object");
}

/** SQLite values as JSON: integers past 2^53 as text, blobs as base64. */
function row(r: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === "bigint") out[k] = v.toString();
    else if (v instanceof Uint8Array) out[k] = Buffer.from(v).toString("base64");
    else out[k] = v as Json;
  }
  return out;
}

function open(path: string, readOnly: boolean, mustExist: boolean): DatabaseSync {
  if (mustExist) {
    try {
      Deno.statSync(path);
    } catch {
      throw new ToolError(`database_connector: no database at ${path}`);
    }
  }
  try {
    const db = new DatabaseSync(path, { readOnly });
    db.exec("PRAGMA busy_timeout = 5000");
    return db;
  } catch (e) {
    throw new ToolError(`database_connector: cannot open ${path}: ${(e as Error).message}`);
  }
}

export function run(params: JsonObject, ctx: ToolContext): JsonObject {
  const path = ctx.checkPath(String(params.database));
  const operation = String(params.operation ?? "query");
  const db = open(path, operation !== "execute", operation !== "execute");
  try {
    switch (operation) {
      case "query": {
        if (typeof params.sql !== "string") {
          throw new ToolError("database_connector: query needs sql");
        }
        const stmt = db.prepare(params.sql);
        const bound = bind(params.params);
        // all(), not iterate(): Deno's iterate() ends silently on an error such as a write to
        // the read-only handle.
        const all = Array.isArray(bound) ? stmt.all(...bound) : stmt.all(bound);
        const truncated = all.length > MAX_ROWS;
        const rows = all.slice(0, MAX_ROWS).map((r) => row(r as Record<string, unknown>));
        const columns = stmt.columns().map((c) => c.name);
        return { columns, rows, row_count: rows.length, truncated };
      }
      case "execute": {
        if (typeof params.sql !== "string") {
          throw new ToolError("database_connector: execute needs sql");
        }
        db.exec("BEGIN IMMEDIATE");
        try {
          let result: JsonObject;
          if (params.params === undefined) {
            db.exec(params.sql);
            result = { changes: Number(db.prepare("SELECT changes() AS n").get()!.n) };
          } else {
            const stmt = db.prepare(params.sql);
            const bound = bind(params.params);
            const r = Array.isArray(bound) ? stmt.run(...bound) : stmt.run(bound);
            result = { changes: Number(r.changes), last_insert_rowid: Number(r.lastInsertRowid) };
          }
          db.exec("COMMIT");
          return result;
        } catch (e) {
          db.exec("ROLLBACK");
          throw e;
        }
      }
      case "tables": {
        const rows = db.prepare(
          "SELECT name, type FROM sqlite_schema WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ).all();
        return { tables: rows.map((r) => row(r as Record<string, unknown>)) };
      }
      case "schema": {
        if (typeof params.table !== "string") {
          throw new ToolError("database_connector: schema needs table");
        }
        const cols = db.prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(?)')
          .all(params.table);
        if (cols.length === 0) {
          throw new ToolError(`database_connector: no table named '${params.table}'`);
        }
        return {
          table: params.table,
          columns: cols.map((c) => {
            const r = c as { name: string; type: string; notnull: number; pk: number };
            return { name: r.name, type: r.type, not_null: r.notnull === 1, primary_key: r.pk > 0 };
          }),
        };
      }
    }
    throw new ToolError(`database_connector: unknown operation '${operation}'`);
  } catch (e) {
    if (e instanceof ToolError) throw e;
    throw new ToolError(`database_connector: ${operation}: ${(e as Error).message}`);
  } finally {
    db.close();
  }
}
