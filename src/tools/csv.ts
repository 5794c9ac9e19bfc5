/**
 * `csv_analyzer` on csv-parse (its synchronous ES module API): rows keyed by the header, and
 * per numeric column its min, max, mean and sum. Without a delimiter, the one of `, ; TAB |`
 * that the header line holds most of.
 *
 * @module
 */
import { parse } from "csv-parse/sync";
import { type Json, type JsonObject, type ToolContext, ToolError } from "./types.ts";

function guessDelimiter(text: string): string {
  const header = text.split(/\r?\n/, 1)[0];
  let best = ",";
  let most = 0;
  for (const d of [",", ";", "\t", "|"]) {
    const n = header.split(d).length - 1;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}

export async function run(params: JsonObject, ctx: ToolContext): Promise<JsonObject> {
  let text: string;
  if (typeof params.input === "string") text = params.input;
  else if (typeof params.path === "string") {
    text = await Deno.readTextFile(ctx.checkPath(params.path));
  } else throw new ToolError("csv_analyzer: give input or path");
  const delimiter = typeof params.delimiter === "string" ? params.delimiter : guessDelimiter(text);
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, delimiter });
  } catch (e) {
    throw new ToolError(`csv_analyzer: ${e instanceof Error ? e.message : e}`);
  }
  const columns = rows.length > 0 ? Object.keys(rows[0]) : [];
  const stats: JsonObject = {};
  for (const c of columns) {
    const cells = rows.map((r) => r[c]).filter((v) => v !== undefined && v !== "");
    const nums = cells.map(Number);
    if (nums.length === 0 || nums.some(Number.isNaN)) continue;
    const sum = nums.reduce((a, b) => a + b, 0);
    stats[c] = { min: Math.min(...nums), max: Math.max(...nums), mean: sum / nums.length, sum };
  }
  return { columns, row_count: rows.length, rows: rows as Json, stats };
}
