import { InputHistory } from "../../src/repl/input_history.ts";
import { KeyDecoder } from "../../src/repl/keys.ts";
import {
  type Completer,
  formatColumns,
  LineEditor,
  type ReadResult,
  type Terminal,
} from "../../src/repl/line_editor.ts";
import { stringWidth, stripAnsi } from "../../src/repl/width.ts";
import { highlightLua } from "../../src/repl/highlight.ts";
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";

const enc = new TextEncoder();

/** A terminal fed from a list of input chunks; records everything written. */
function term(chunks: string[], columns = 80): Terminal & { output: string } {
  const queue = chunks.map((c) => enc.encode(c));
  const t = {
    output: "",
    read: () => Promise.resolve(queue.shift() ?? null),
    write: (s: string) => {
      t.output += s;
    },
    columns: () => columns,
  };
  return t;
}

async function edit(chunks: string[], history = new InputHistory(), completer?: Completer) {
  const t = term(chunks);
  const ed = new LineEditor(t, history, { color: false, completer });
  return { result: await ed.readLine("> "), output: t.output };
}

const line = (text: string): ReadResult => ({ kind: "line", text });

Deno.test("keys: text, control keys, arrows with modifiers, Alt, split sequences", () => {
  const d = new KeyDecoder();
  assertEquals(d.feed(enc.encode("ab\x01\x1b[D\x1b[1;5C\x1bb")), [
    { kind: "text", text: "ab" },
    { kind: "ctrl", key: "a" },
    { kind: "key", name: "left" },
    { kind: "key", name: "right", ctrl: true },
    { kind: "alt", key: "b" },
  ]);
  assertEquals(d.feed(enc.encode("\x1b[")), []);
  assertEquals(d.feed(enc.encode("3~")), [{ kind: "key", name: "delete" }]);
  assertEquals(d.feed(enc.encode("\x1b")), []);
  assertEquals(d.flush(), [{ kind: "key", name: "escape" }]);
});

Deno.test("keys: UTF-8 split across chunks and a bracketed paste split across chunks", () => {
  const d = new KeyDecoder();
  const bytes = enc.encode("é");
  assertEquals(d.feed(bytes.subarray(0, 1)), []);
  assertEquals(d.feed(bytes.subarray(1)), [{ kind: "text", text: "é" }]);
  assertEquals(d.feed(enc.encode("\x1b[200~a = 1\rb")), []);
  assertEquals(d.feed(enc.encode(" = 2\x1b[20")), []);
  assertEquals(d.feed(enc.encode("1~x")), [
    { kind: "paste", text: "a = 1\nb = 2" },
    { kind: "text", text: "x" },
  ]);
});

Deno.test("keys: a burst decodes whole: unknown sequences consumed, CR LF one Enter, a Tab in text", () => {
  const d = new KeyDecoder();
  assertEquals(d.feed(enc.encode("\x1b[<0;3;4Ma\x1b[?1;2c\x1b[15~b\x1b[Zc\x1bOPd")), [
    { kind: "unknown", sequence: "\x1b[<0;3;4M" },
    { kind: "text", text: "a" },
    { kind: "unknown", sequence: "\x1b[?1;2c" },
    { kind: "unknown", sequence: "\x1b[15~" },
    { kind: "text", text: "b" },
    { kind: "unknown", sequence: "\x1b[Z" },
    { kind: "text", text: "c" },
    { kind: "unknown", sequence: "\x1bOP" },
    { kind: "text", text: "d" },
  ]);
  // An unfinished private sequence waits for the rest.
  assertEquals(d.feed(enc.encode("\x1b[?1")), []);
  assertEquals(d.feed(enc.encode(";2cx")), [
    { kind: "unknown", sequence: "\x1b[?1;2c" },
    { kind: "text", text: "x" },
  ]);
  assertEquals(d.feed(enc.encode("a\r\nb\n\r")), [
    { kind: "text", text: "a" },
    { kind: "key", name: "enter" },
    { kind: "text", text: "b" },
    { kind: "key", name: "enter" },
    { kind: "key", name: "enter" },
  ]);
  assertEquals(d.feed(enc.encode("a\tb\t")), [
    { kind: "text", text: "a\tb" },
    { kind: "key", name: "tab" },
  ]);
  assertEquals(d.feed(enc.encode("x\x1b\r")), [
    { kind: "text", text: "x" },
    { kind: "alt", key: "enter" },
  ]);
});

Deno.test("a burst with keys after escape sequences edits as typed; unknown ones do nothing", async () => {
  const r = await edit(["print('ac')\x1b[D\x1b[D\x1b[Db\x1b[I\x1b[F!\r"]);
  assertEquals(r.result, line("print('abc')!"));
  // An unknown sequence keeps a search going; Alt+Enter submits.
  const h = new InputHistory(["print(alpha)"]);
  assertEquals((await edit(["\x12alp\x1b[O\x1b\r"], h)).result, line("print(alpha)"));
  // A Tab inside a burst is text, drawn as two spaces.
  const tab = await edit(["x = 'a\tb'\r"]);
  assertEquals(tab.result, line("x = 'a\tb'"));
  assertStringIncludes(tab.output, "x = 'a  b'");
});

Deno.test("editing: cursor motions, Emacs kills and yank", async () => {
  // type "hello world", Ctrl+A, Alt+F (after "hello"), Ctrl+K (kill " world"), Ctrl+E, Ctrl+Y
  const r = await edit(["hello world", "\x01", "\x1bf", "\x0b", "!", "\x05", "\x19", "\r"]);
  assertEquals(r.result, line("hello! world"));
  const w = await edit(["local x = foo", "\x17", "bar", "\r"]); // Ctrl+W
  assertEquals(w.result, line("local x = bar"));
  const u = await edit(["abc def", "\x1b[D\x1b[D", "\x15", "\r"]); // Ctrl+U kills to start
  assertEquals(u.result, line("ef"));
  const alt = await edit(["one two three", "\x1b[H", "\x1bd", "\r"]); // Home, Alt+D
  assertEquals(alt.result, line(" two three"));
  const back = await edit(["héllo", "\x7f\x7f", "\r"]);
  assertEquals(back.result, line("hél"));
});

Deno.test("Ctrl+C cancels, Ctrl+D on an empty line is end of input", async () => {
  assertEquals((await edit(["abc", "\x03"])).result, { kind: "cancel" });
  assertEquals((await edit(["\x04"])).result, { kind: "eof" });
  assertEquals((await edit(["ab", "\x1b[D", "\x04", "\r"])).result, line("a"));
});

Deno.test("a pasted multi-line block is one input", async () => {
  const r = await edit(["\x1b[200~function f()\r  return 1\rend\x1b[201~", "\r"]);
  assertEquals(r.result, line("function f()\n  return 1\nend"));
  assertStringIncludes(r.output, "function f()\r\n... " + "  return 1");
});

Deno.test("history: Up/Down filtered by the typed prefix, restoring the typed text", async () => {
  const h = new InputHistory(["print(1)", "x = 1", "print(2)", "y = 2"]);
  assertEquals((await edit(["pr", "\x1b[A", "\r"], h)).result, line("print(2)"));
  assertEquals((await edit(["pr", "\x1b[A\x1b[A", "\r"], h)).result, line("print(1)"));
  assertEquals((await edit(["pr", "\x1b[A\x1b[A\x1b[B\x1b[B", "\r"], h)).result, line("pr"));
  assertEquals((await edit(["\x1b[A", "\r"], h)).result, line("y = 2"));
});

Deno.test("history: duplicates collapse, size is bounded, blanks are not kept", () => {
  const h = new InputHistory([], 3);
  for (const e of ["a", "b", "a", " ", "c", "d"]) h.add(e);
  assertEquals([...h.entries], ["a", "c", "d"]);
});

Deno.test("Ctrl+R finds older matches, Ctrl+R again goes further back, Enter runs it", async () => {
  const h = new InputHistory(["local alpha = 1", "print(alpha)", "local beta = 2", "print(beta)"]);
  const first = await edit(["\x12", "print", "\r"], h);
  assertEquals(first.result, line("print(beta)"));
  assertStringIncludes(first.output, "(reverse-i-search)'print': print(beta)");
  const older = await edit(["\x12", "print", "\x12", "\r"], h);
  assertEquals(older.result, line("print(alpha)"));
  const forward = await edit(["\x12", "local", "\x12", "\x13", "\r"], h);
  assertEquals(forward.result, line("local beta = 2"));
});

Deno.test("Ctrl+R: Esc and Ctrl+G abort and restore the input; other keys accept for editing", async () => {
  const h = new InputHistory(["print(alpha)"]);
  assertEquals((await edit(["typed", "\x12", "alp", "\x07", "\r"], h)).result, line("typed"));
  // Esc as the last input: nothing follows it, so it is a lone Esc, not Alt+key.
  assertEquals((await edit(["typed", "\x12", "alp", "\x1b"], h)).result, line("typed"));
  assertEquals((await edit(["\x12", "alp", "\x05", "!", "\r"], h)).result, line("print(alpha)!"));
  const failing = await edit(["\x12", "zzz", "\x07", "\r"], h);
  assertStringIncludes(failing.output, "(failing reverse-i-search)'zzz'");
});

Deno.test("Tab: one candidate completes inline; several insert the common prefix, then list", async () => {
  const completer: Completer = (text, cursor) => {
    const word = /[\w.]*$/.exec(text.slice(0, cursor))?.[0] ?? "";
    const all = ["string.format", "string.find", "string.rep", "print"];
    return Promise.resolve({
      matches: all.filter((c) => c.startsWith(word)),
      start: cursor - word.length,
      end: cursor,
    });
  };
  assertEquals(
    (await edit(["string.fo", "\t", "\r"], undefined, completer)).result,
    line("string.format"),
  );
  assertEquals((await edit(["str", "\t", "\r"], undefined, completer)).result, line("string."));
  const listed = await edit(["string.", "\t", "\r"], undefined, completer);
  assertStringIncludes(listed.output, "string.format  string.find    string.rep");
  assertEquals(listed.result, line("string."));
  assertEquals((await edit(["  ", "\t", "x", "\r"], undefined, completer)).result, line("    x"));
});

Deno.test("long candidate lists ask before showing all", async () => {
  const many = Array.from({ length: 150 }, (_, i) => `name${i}`);
  const completer: Completer = (t, c) => {
    const word = /\w*$/.exec(t.slice(0, c))?.[0] ?? "";
    return Promise.resolve({ matches: many, start: c - word.length, end: c });
  };
  const r = await edit(["name", "\t", "n", "\r"], undefined, completer);
  assertStringIncludes(r.output, "show all 150 candidates? (y or n)");
  assertEquals(r.output.includes("name149"), false);
});

Deno.test("width: wide characters take two columns; wrapping keeps the cursor in place", async () => {
  assertEquals(stringWidth("日本語"), 6);
  assertEquals(stringWidth("e\u0301"), 1);
  const t = term(["x".repeat(25), "\r"], 10);
  const ed = new LineEditor(t, new InputHistory(), { color: false });
  assertEquals(await ed.readLine("> "), line("x".repeat(25)));
  // 27 columns on a 10-column terminal: the redraw climbs back 2 rows.
  assertStringIncludes(t.output, "\x1b[2A");
});

Deno.test("highlighting colours keywords, strings, numbers and comments only", () => {
  const h = highlightLua("local s = 'a' .. 42 -- note");
  assertEquals(stripAnsi(h), "local s = 'a' .. 42 -- note");
  assertStringIncludes(h, "\x1b[35mlocal\x1b[0m");
  assertStringIncludes(h, "\x1b[32m'a'\x1b[0m");
  assertStringIncludes(h, "\x1b[36m42\x1b[0m");
  assertStringIncludes(h, "\x1b[2m-- note\x1b[0m");
});

Deno.test("formatColumns fills columns top to bottom", () => {
  assertEquals(formatColumns(["a", "b", "c", "d", "e"], 9), "a  c  e\r\nb  d\r\n");
});
