import assert from "node:assert/strict";
import { toYaml } from "../src/yaml.ts";

Deno.test("toYaml: nested mappings and sequences in block style", () => {
  const doc = { a: 1, b: "x", c: [1, "two", { d: null, e: [] }, [3, [4]]], f: {}, g: { h: true } };
  assert.equal(
    toYaml(doc),
    [
      "a: 1",
      "b: x",
      "c:",
      "  - 1",
      "  - two",
      "  - d: null",
      "    e: []",
      "  - - 3",
      "    - - 4",
      "f: {}",
      "g:",
      "  h: true",
      "",
    ].join("\n"),
  );
});

Deno.test("toYaml: empty containers and scalars at top level", () => {
  assert.equal(toYaml({}), "{}\n");
  assert.equal(toYaml([]), "[]\n");
  assert.equal(toYaml(null), "null\n");
  assert.equal(toYaml(42), "42\n");
  assert.equal(toYaml("plain"), "plain\n");
  assert.equal(toYaml([{}, []]), "- {}\n- []\n");
});

Deno.test("toYaml: strings that would read as other types are quoted", () => {
  const tricky = ["true", "yes", "No", "off", "null", "~", "", "1.0", "0x1F", "012", "1:20"];
  const more = ["2024-01-01", ".inf", "-.NaN", "+1", "<<", "=", "..."];
  assert.equal(
    toYaml([...tricky, ...more]),
    [...tricky, ...more].map((s) => `- "${s}"\n`).join(""),
  );
});

Deno.test("toYaml: indicators, comments and surrounding spaces force quotes", () => {
  const cases: [string, string][] = [
    ["a: b", '"a: b"'],
    ["key:", '"key:"'],
    ["a #b", '"a #b"'],
    ["a#b", "a#b"], // '#' inside a word is not a comment
    ["a:b", "a:b"],
    [" lead", '" lead"'],
    ["trail ", '"trail "'],
    ["-x", '"-x"'],
    ["- x", '"- x"'],
    ["[x]", '"[x]"'],
    ["{y}", '"{y}"'],
    ["*alias", '"*alias"'],
    ["&anchor", '"&anchor"'],
    ["!tag", '"!tag"'],
    ["%dir", '"%dir"'],
    ["@at", '"@at"'],
    ["'single'", `"'single'"`],
    ['"double"', '"\\"double\\""'],
    ["back\\slash", "back\\slash"],
    ["tab\there", '"tab\\there"'],
    ["bell\x07", '"bell\\a"'],
    ["nul\0", '"nul\\0"'],
    ["line\u2028sep", '"line\\Lsep"'],
    ["\ufeffbom", '"\\ufeffbom"'],
    ["é ünï 😀", "é ünï 😀"],
  ];
  for (const [input, want] of cases) assert.equal(toYaml({ k: input }), `k: ${want}\n`, input);
});

Deno.test("toYaml: multi-line strings become literal blocks with the right chomping", () => {
  assert.equal(toYaml({ k: "a\nb" }), "k: |-\n  a\n  b\n");
  assert.equal(toYaml({ k: "a\nb\n" }), "k: |\n  a\n  b\n");
  assert.equal(toYaml({ k: "a\nb\n\n", next: 1 }), "k: |+\n  a\n  b\n\nnext: 1\n");
  assert.equal(toYaml({ k: "a\n\nb" }), "k: |-\n  a\n\n  b\n");
  assert.equal(toYaml(["x\ny"]), "- |-\n  x\n  y\n");
  assert.equal(toYaml([{ a: "x\ny", b: 1 }]), "- a: |-\n    x\n    y\n  b: 1\n");
  assert.equal(toYaml("top\nlevel\n"), "|\n  top\n  level\n");
});

Deno.test("toYaml: multi-line strings a literal block cannot hold are double-quoted", () => {
  // Leading space or newline would need an indentation indicator; CR is not kept.
  assert.equal(toYaml({ k: " x\ny" }), 'k: " x\\ny"\n');
  assert.equal(toYaml({ k: "\nlead" }), 'k: "\\nlead"\n');
  assert.equal(toYaml({ k: "cr\r\nlf" }), 'k: "cr\\r\\nlf"\n');
});

Deno.test("toYaml: keys are quoted by the same rules", () => {
  assert.equal(
    toYaml({ "key: colon": 1, "": 2, "123": 3, "true": 4, "a\nb": 5, plain: 6 }),
    '"123": 3\n"key: colon": 1\n"": 2\n"true": 4\n"a\\nb": 5\nplain: 6\n',
  );
});

Deno.test("toYaml: numbers, bigints and non-finite values", () => {
  assert.equal(
    toYaml([1.5, -2, 1e21, 12345678901234567890n, Infinity, -Infinity, NaN]),
    "- 1.5\n- -2\n- 1.0e+21\n- 12345678901234567890\n- .inf\n- -.inf\n- .nan\n",
  );
});

Deno.test("toYaml: follows JSON.stringify for dates, undefined and functions", () => {
  assert.equal(
    toYaml({ d: new Date(0), u: undefined, f: () => 1, arr: [undefined] }),
    'd: "1970-01-01T00:00:00.000Z"\narr:\n  - null\n',
  );
});

Deno.test("toYaml: circular structures throw", () => {
  const a: Record<string, unknown> = {};
  a.self = a;
  assert.throws(() => toYaml(a), TypeError);
  // Shared (non-circular) references are fine.
  const shared = { x: 1 };
  assert.equal(toYaml({ a: shared, b: shared }), "a:\n  x: 1\nb:\n  x: 1\n");
});
