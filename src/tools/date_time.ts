/**
 * `date_time_handler` on the platform's Date and Intl: now, parse, format, add, diff, in
 * local time or UTC. (dayjs, the first choice, ships its ES modules with extensionless
 * imports, which Deno cannot load, and its CommonJS build would put `createRequire` in
 * the bundle's start-up chunk; date-fns needs a second package for UTC.)
 *
 * Format tokens: YYYY, YY, MMMM, MMM, MM, M, DD, D, dddd, ddd, HH, H, hh, h, mm, m, ss, s,
 * SSS, A, a, Z; text in [brackets] is kept as it is.
 *
 * @module
 */
import { type JsonObject, ToolError } from "./types.ts";

const UNIT_MS: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

interface Parts {
  year: number;
  month: number; // 0-11
  day: number;
  weekday: number; // 0 = Sunday
  hour: number;
  minute: number;
  second: number;
  ms: number;
  offsetMin: number; // local time minus UTC
}

function parts(d: Date, utc: boolean): Parts {
  return utc
    ? {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth(),
      day: d.getUTCDate(),
      weekday: d.getUTCDay(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      ms: d.getUTCMilliseconds(),
      offsetMin: 0,
    }
    : {
      year: d.getFullYear(),
      month: d.getMonth(),
      day: d.getDate(),
      weekday: d.getDay(),
      hour: d.getHours(),
      minute: d.getMinutes(),
      second: d.getSeconds(),
      ms: d.getMilliseconds(),
      offsetMin: -d.getTimezoneOffset(),
    };
}

const name = (d: Date, utc: boolean, opts: Intl.DateTimeFormatOptions) =>
  new Intl.DateTimeFormat("en-US", { ...opts, timeZone: utc ? "UTC" : undefined }).format(d);

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");

export function format(d: Date, pattern: string, utc: boolean): string {
  const p = parts(d, utc);
  const off = `${p.offsetMin < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(p.offsetMin) / 60))}:${
    pad(Math.abs(p.offsetMin) % 60)
  }`;
  const h12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
  const tokens: Record<string, () => string> = {
    YYYY: () => pad(p.year, 4),
    YY: () => pad(p.year % 100),
    MMMM: () => name(d, utc, { month: "long" }),
    MMM: () => name(d, utc, { month: "short" }),
    MM: () => pad(p.month + 1),
    M: () => String(p.month + 1),
    DD: () => pad(p.day),
    D: () => String(p.day),
    dddd: () => name(d, utc, { weekday: "long" }),
    ddd: () => name(d, utc, { weekday: "short" }),
    HH: () => pad(p.hour),
    H: () => String(p.hour),
    hh: () => pad(h12),
    h: () => String(h12),
    mm: () => pad(p.minute),
    m: () => String(p.minute),
    ss: () => pad(p.second),
    s: () => String(p.second),
    SSS: () => pad(p.ms, 3),
    A: () => p.hour < 12 ? "AM" : "PM",
    a: () => p.hour < 12 ? "am" : "pm",
    Z: () => off,
  };
  return pattern.replace(
    /\[([^\]]*)]|YYYY|YY|MMMM|MMM|MM|M|DD|D|dddd|ddd|HH|H|hh|h|mm|m|ss|s|SSS|A|a|Z/g,
    (t, kept) => kept ?? tokens[t](),
  );
}

function at(text: unknown): Date {
  if (text === undefined) return new Date();
  const d = new Date(String(text));
  if (Number.isNaN(d.getTime())) throw new ToolError(`date_time_handler: '${text}' is not a date`);
  return d;
}

function addMonths(d: Date, months: number, utc: boolean): Date {
  const out = new Date(d);
  const day = utc ? d.getUTCDate() : d.getDate();
  if (utc) out.setUTCDate(1);
  else out.setDate(1);
  if (utc) out.setUTCMonth(out.getUTCMonth() + months);
  else out.setMonth(out.getMonth() + months);
  // The same day of the month, or the month's last (Jan 31 + 1 month = Feb 28/29).
  const last = utc
    ? new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate()
    : new Date(out.getFullYear(), out.getMonth() + 1, 0).getDate();
  if (utc) out.setUTCDate(Math.min(day, last));
  else out.setDate(Math.min(day, last));
  return out;
}

function add(d: Date, amount: number, unit: string, utc: boolean): Date {
  if (unit === "month") return addMonths(d, amount, utc);
  if (unit === "year") return addMonths(d, amount * 12, utc);
  if (unit === "day" && !utc) {
    // Calendar days: the same local time across a daylight-saving change.
    const out = new Date(d);
    out.setDate(out.getDate() + amount);
    return out;
  }
  return new Date(d.getTime() + amount * UNIT_MS[unit]);
}

function monthsBetween(a: Date, b: Date, utc: boolean): number {
  const pa = parts(a, utc);
  const pb = parts(b, utc);
  const whole = (pa.year - pb.year) * 12 + (pa.month - pb.month);
  const anchor = addMonths(b, whole, utc);
  const next = addMonths(b, whole + Math.sign(a.getTime() - anchor.getTime() || 1), utc);
  const span = next.getTime() - anchor.getTime();
  return whole + (span === 0 ? 0 : (a.getTime() - anchor.getTime()) / span);
}

function describe(d: Date, utc: boolean): JsonObject {
  return {
    iso: d.toISOString(),
    local: format(d, "YYYY-MM-DDTHH:mm:ssZ", utc),
    unix_ms: d.getTime(),
    weekday: name(d, utc, { weekday: "long" }),
  };
}

export function run(params: JsonObject): JsonObject {
  const utc = params.utc === true;
  const unit = String(params.unit ?? "day");
  switch (params.operation) {
    case "now":
      return describe(new Date(), utc);
    case "parse":
      return describe(at(params.date), utc);
    case "format":
      return {
        result: format(at(params.date), String(params.format ?? "YYYY-MM-DDTHH:mm:ssZ"), utc),
      };
    case "add":
      return describe(add(at(params.date), Number(params.amount ?? 0), unit, utc), utc);
    case "diff": {
      if (params.other === undefined) throw new ToolError("date_time_handler: diff needs 'other'");
      const a = at(params.date);
      const b = at(params.other);
      const result = unit === "month"
        ? monthsBetween(a, b, utc)
        : unit === "year"
        ? monthsBetween(a, b, utc) / 12
        : (a.getTime() - b.getTime()) / UNIT_MS[unit];
      return { result, unit };
    }
  }
  throw new ToolError(`date_time_handler: unknown operation '${params.operation}'`);
}
