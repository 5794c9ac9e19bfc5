/** The Lua globals of the session, read through user_expressions: for `.vars`. */
import type { KernelConnection } from "../client/in_process.ts";
import type { JsonObject } from "../protocol/jupyter/mod.ts";
import { writeOut } from "../frontend/output.ts";

/** Global names now, through user_expressions (no output, no history). */
export async function globalNames(conn: KernelConnection): Promise<string[]> {
  const r = await conn.execute({
    code: "",
    silent: true,
    store_history: false,
    user_expressions: {
      names:
        "(function() local t = {} for k in pairs(_G) do t[#t + 1] = tostring(k) end return table.concat(t, ' ') end)()",
    },
  });
  const data = ((r.content.user_expressions as JsonObject)?.names as JsonObject)
    ?.data as JsonObject;
  return String(data?.["text/plain"] ?? "").split(" ").filter((s) => s !== "");
}

/** `.vars`: the globals made since the REPL started (not in `baseline`), with type and value. */
export async function printVars(conn: KernelConnection, baseline: Set<string>): Promise<void> {
  const names = (await globalNames(conn)).filter((n) => !baseline.has(n)).sort();
  if (names.length === 0) {
    writeOut("(no user globals)\n");
    return;
  }
  const list = names.map((n) => JSON.stringify(n)).join(", ");
  const expr = `(function() local out = {} for _, k in ipairs({${list}}) do ` +
    `local v = _G[k] local s = type(v) == 'string' and string.format('%q', v) or tostring(v) ` +
    `if #s > 60 then s = s:sub(1, 57) .. '...' end ` +
    `out[#out + 1] = k .. '\\t' .. type(v) .. '\\t' .. s:gsub('\\n', ' ') end return table.concat(out, '\\n') end)()`;
  const r = await conn.execute({
    code: "",
    silent: true,
    store_history: false,
    user_expressions: { vars: expr },
  });
  const data = ((r.content.user_expressions as JsonObject)?.vars as JsonObject)
    ?.data as JsonObject;
  const rows = String(data?.["text/plain"] ?? "").split("\n").map((l) => l.split("\t"));
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => (r[1] ?? "").length));
  for (const [k, t, v] of rows) {
    writeOut(`${k.padEnd(w0)}  ${(t ?? "").padEnd(w1)}  ${v ?? ""}\n`);
  }
}
