/**
 * `csv_analyzer` on Papa Parse: rows keyed by the header, and per numeric column its min,
 * max, mean and sum.
 *
 * @module
 */
import Papa from "papaparse";
import { type Json, type JsonObject, type ToolContext, ToolError } from "./types.ts";

export async function run(params: JsonObject, ctx: ToolContext): Promise<JsonObject> {
  let text: string;
  if (typeof params.input === "string") text = params.input;
  else if (typeof params.path === "string") {
    text = await Deno.readTextFile(ctx.checkPath(params.path));
  } else throw new ToolError("csv_analyzer: give input or path");
  const parsed = Papa.parse<Record<string, string>>(text.trim(), {
    header: true,
    skipEmptyLines: true,
    delimiter: typeof params.delimiter === "string" ? params.delimiter : "",
  });
  const columns: string[] = parsed.meta.fields ?? [];
  const rows = parsed.data as Record<string, string>[];
  const stats: JsonObject = {};
  for (const c of columns) {
    const nums = rows.map((r) => r[c]).filter((v: string | undefined) =>
      v !== undefined && v.trim() !== ""
    ).map(
      Number,
    );
    if (nums.length === 0 || nums.some(Number.isNaN)) continue;
    const sum = nums.reduce((a: number, b: number) => a + b, 0);
    stats[c] = { min: Math.min(...nums), max: Math.max(...nums), mean: sum / nums.length, sum };
  }
  return { columns, row_count: rows.length, rows: rows as Json, stats };
}
