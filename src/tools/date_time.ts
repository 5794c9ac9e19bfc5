/**
 * `date_time_handler` on dayjs (with its utc plugin): now, parse, format, add, diff.
 *
 * @module
 */
import dayjs from "dayjs";
import utc from "dayjs/plugin/utc.js";
import { type JsonObject, ToolError } from "./types.ts";

dayjs.extend(utc);

type Unit = "millisecond" | "second" | "minute" | "hour" | "day" | "week" | "month" | "year";

function at(text: unknown, isUtc: boolean) {
  const d = text === undefined ? dayjs() : isUtc ? dayjs.utc(String(text)) : dayjs(String(text));
  if (!d.isValid()) throw new ToolError(`date_time_handler: '${text}' is not a date`);
  return isUtc ? d.utc() : d;
}

function describe(d: dayjs.Dayjs) {
  return {
    iso: d.toISOString(),
    local: d.format(),
    unix_ms: d.valueOf(),
    weekday: d.format("dddd"),
  };
}

export function run(params: JsonObject): JsonObject {
  const isUtc = params.utc === true;
  const unit = (params.unit ?? "day") as Unit;
  switch (params.operation) {
    case "now":
      return describe(isUtc ? dayjs.utc() : dayjs());
    case "parse":
      return describe(at(params.date, isUtc));
    case "format":
      return {
        result: at(params.date, isUtc).format(String(params.format ?? "YYYY-MM-DDTHH:mm:ssZ")),
      };
    case "add":
      return describe(at(params.date, isUtc).add(Number(params.amount ?? 0), unit));
    case "diff": {
      if (params.other === undefined) throw new ToolError("date_time_handler: diff needs 'other'");
      return { result: at(params.date, isUtc).diff(at(params.other, isUtc), unit, true), unit };
    }
  }
  throw new ToolError(`date_time_handler: unknown operation '${params.operation}'`);
}
