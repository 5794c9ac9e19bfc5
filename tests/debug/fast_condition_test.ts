/**
 * fast_condition.ts over a synthetic frame laid out as Lua 5.4 stack slots: the forms it
 * takes, the values it decides, and the ones it leaves to Lua (undefined).
 */
import { compileFastCondition, type Heap } from "../../src/debug/worker/fast_condition.ts";
import { assertEquals } from "../helpers/assert.ts";

const buf = new ArrayBuffer(256);
const heap: Heap = {
  HEAPU8: new Uint8Array(buf),
  HEAP32: new Int32Array(buf),
  HEAPF64: new Float64Array(buf),
};
const BASE = 64;

function setInt(reg: number, v: bigint): void {
  new BigInt64Array(buf)[(BASE + reg * 16) >> 3] = v;
  heap.HEAPU8[BASE + reg * 16 + 8] = 0x03;
}
function setFloat(reg: number, v: number): void {
  heap.HEAPF64[(BASE + reg * 16) >> 3] = v;
  heap.HEAPU8[BASE + reg * 16 + 8] = 0x13;
}
function setString(reg: number): void {
  heap.HEAPU8[BASE + reg * 16 + 8] = 0x44;
}

Deno.test("fast conditions compare integer and float locals with numbers and each other", () => {
  const locals = ["t0", "s", "x", "i"];
  setInt(0, 5n);
  setInt(1, -3n);
  setFloat(2, 0.5);
  setInt(3, 7n);
  const cases: [string, boolean][] = [
    ["i == 7", true],
    ["i ~= 7", false],
    ["i < 0", false],
    ["s < 0", true],
    ["s <= -3", true],
    ["x > 0.25", true],
    ["x >= 1e0", false],
    ["7 == i", true],
    ["i > t0", true],
    ["s >= x", false],
  ];
  for (const [cond, want] of cases) {
    assertEquals(compileFastCondition(cond, locals)?.(heap, BASE), want, cond);
  }
});

Deno.test("fast conditions leave other forms and values to Lua", () => {
  const locals = ["a", "a", "big", "name"];
  setInt(0, 1n);
  setInt(1, 2n);
  setInt(2, 2n ** 60n);
  setString(3);
  // The innermost `a` (the last in register order) is the one in scope.
  assertEquals(compileFastCondition("a == 2", locals)?.(heap, BASE), true);
  // Not a number now, or an integer a double cannot hold: undefined (evaluate in Lua).
  assertEquals(compileFastCondition("name == 1", locals)?.(heap, BASE), undefined);
  assertEquals(compileFastCondition("big > 1", locals)?.(heap, BASE), undefined);
  for (const cond of ["a + 1 > 2", "up == 1", "1 == 2", "a == nil", "name == 'x'", "a < 0x10"]) {
    assertEquals(compileFastCondition(cond, locals), undefined, cond);
  }
});
