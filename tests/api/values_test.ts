/**
 * The host-call value encoding and its JSON text: every kind of value round-trips, the
 * globals main.ts hands the engine are the registry's.
 */
import { strict as nodeAssert } from "node:assert";
import { assertEquals } from "../helpers/assert.ts";
import {
  decodeValue,
  EncodedValues,
  encodeValue,
  encodeValues,
  type LuaValue,
} from "../../src/engine/shared/host_values.ts";
import { NotAValue, valueFromJson, valueToJson } from "../../src/api/value_text.ts";
import { API_GLOBALS } from "../../src/api/globals.ts";
import { API_MODULES } from "../../src/api/registry.ts";

const s = (t: string) => new TextEncoder().encode(t);
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

const SAMPLE: LuaValue = new Map<LuaValue, LuaValue>([
  [s("int"), 9223372036854775807n],
  [s("neg"), -9223372036854775808n],
  [s("float"), 2.0],
  [s("tiny"), 5e-324],
  [s("inf"), -Infinity],
  [s("bytes"), ALL_BYTES],
  [s("text"), s("héllo")],
  [s("list"), [true, false, null, [s("x")]]],
  [1n, s("integer key")],
  [1.5, s("float key")],
  [true, new Map()],
]);

Deno.test("values: the binary encoding round-trips every kind of value", () => {
  assertEquals(decodeValue(encodeValue(SAMPLE)), SAMPLE);
  const args = new EncodedValues(encodeValues([s("k"), SAMPLE, null]));
  assertEquals([args.length, args.value(0), args.value(1), args.value(2), args.value(7)], [
    3,
    s("k"),
    SAMPLE,
    null,
    null,
  ]);
  assertEquals(decodeValue(args.raw(1)), SAMPLE);
});

Deno.test("values: JSON text keeps integers, floats and bytes exact", () => {
  const text = valueToJson(SAMPLE);
  assertEquals(valueFromJson(text), SAMPLE);
  assertEquals(valueToJson(2.0), "2.0");
  assertEquals(valueToJson(2n), "2");
  assertEquals(valueToJson(NaN), '{ "$float": "nan" }');
  assertEquals(valueFromJson("[1, 1.0, 1e3, -0.5]"), [1n, 1.0, 1000, -0.5]);
  assertEquals(valueFromJson('{"$bytes": "AP8="}'), new Uint8Array([0, 255]));
  // An object whose only key starts with $ is written as a $map, so it reads back as itself.
  const dollar = new Map<LuaValue, LuaValue>([[s("$bytes"), s("AP8=")]]);
  assertEquals(valueFromJson(valueToJson(dollar)), dollar);
  nodeAssert.throws(() => valueFromJson("99999999999999999999"), NotAValue);
  nodeAssert.throws(() => valueFromJson("{"), NotAValue);
});

Deno.test("values: main.ts hands the engine exactly the registry's globals", () => {
  assertEquals([...API_GLOBALS], API_MODULES.map((m) => m.global));
});
