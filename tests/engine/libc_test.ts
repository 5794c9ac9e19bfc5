/**
 * The C library's time functions, now served by engine/vm/libc_env.ts: os.date, os.time and
 * os.clock give what native Lua 5.4 gives, for every conversion Lua accepts.
 */
import { assertEquals } from "../helpers/assert.ts";
import { cli } from "../helpers/cli.ts";

const CONVERSIONS = "aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%".split("");
// Dates around year ends and ISO week edges, a leap day, before 1970, far ahead.
const TIMES = [
  0,
  951782400,
  1104537600,
  1230681600,
  1293753600,
  1609459199,
  -86400 * 400,
  4102444800,
];

const script = `
local out = {}
for _, t in ipairs({${TIMES.join(",")}}) do
  for _, c in ipairs({${CONVERSIONS.map((c) => `"${c}"`).join(",")}}) do
    out[#out + 1] = c .. "=" .. os.date("!%" .. c, t) .. "|" .. os.date("%" .. c, t)
  end
  local d = os.date("*t", t)
  out[#out + 1] = string.format("*t %d %d %d %d %d %d %d %d %s", d.year, d.month, d.day,
    d.hour, d.min, d.sec, d.wday, d.yday, tostring(d.isdst))
  out[#out + 1] = "time " .. os.time(d) .. " " .. os.time({year = d.year, month = d.month,
    day = d.day + 40, hour = 25})
end
out[#out + 1] = "clock " .. tostring(os.clock() >= 0) .. " difftime " .. os.difftime(10, 4)
print(table.concat(out, "\\n"))
`;

async function native(code: string, env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command("lua5.4", { args: ["-e", code], env, stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("os.date, os.time, os.clock: what native Lua 5.4 gives, every conversion (TZ=UTC)", async () => {
  const env = { TZ: "UTC" };
  const r = await cli(["exec", script], { env });
  assertEquals(r.stderr, "");
  assertEquals(r.stdout, await native(script, env));
});

Deno.test("os.date and os.time in a zone with daylight saving time agree with native Lua 5.4", async () => {
  const env = { TZ: "America/New_York" };
  const r = await cli(["exec", script], { env });
  assertEquals(r.stderr, "");
  assertEquals(r.stdout, await native(script, env));
});
