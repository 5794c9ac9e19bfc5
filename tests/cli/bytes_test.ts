/**
 * Lua strings are bytes: a table of inputs (bytes that are not UTF-8, NUL, a BOM, CRLF,
 * every byte 0-255) through each way into and out of Lua, compared byte for byte with
 * native lua5.4 on the same input. The kernel's side is tests/kernel/bytes_test.ts.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { withHome } from "../helpers/cli.ts";
import { backslashReplace, hex, llmspell, lua54, type RawResult } from "../helpers/raw_process.ts";
import { concat } from "../../src/bytes.ts";
import { asciiLit, bytes, INPUTS, literal, rawLit } from "../helpers/byte_inputs.ts";

/** For a command-line argument: no NUL either. */
const argLit = (b: Uint8Array) =>
  literal(b, (x) => x === 0 || x === 0x22 || x === 0x5c || x === 0x0a || x === 0x0d);
const src = (...parts: (string | Uint8Array)[]) =>
  concat(parts.map((p) => typeof p === "string" ? bytes(p) : p));

/** The script every input goes through: its length, print, io.write and io.stderr:write. */
const program = (lit: Uint8Array) =>
  src(
    "local s = ",
    lit,
    '\nio.write(#s, "|", s, "|\\n")\nprint(s, #s)\nio.stderr:write(s, "|\\n")\n',
  );

function assertSame(ours: RawResult, lua: RawResult, what: string): void {
  assertEquals(hex(ours.stdout), hex(lua.stdout), `${what}: stdout`);
  assertEquals(hex(ours.stderr), hex(lua.stderr), `${what}: stderr`);
  assertEquals(ours.code, lua.code, `${what}: exit code`);
}

/** Runs `f` for each input, a few at a time (each runs processes). */
async function eachInput(
  f: (input: typeof INPUTS[number]) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < INPUTS.length; i += 4) await Promise.all(INPUTS.slice(i, i + 4).map(f));
}

Deno.test("run FILE: each input's bytes in the source reach print, io.write and io.stderr:write as lua5.4's do", () =>
  withHome(async (_run, home) => {
    await eachInput(async ({ name, bytes }) => {
      const file = `${home}/${hex(bytes).slice(0, 16)}.lua`;
      await Deno.writeFile(file, program(rawLit(bytes)));
      assertSame(await llmspell(["run", file], home), await lua54([file]), name);
    });
  }));

Deno.test("run -: each input's bytes in a script on stdin come out as lua5.4's do", () =>
  withHome(async (_run, home) => {
    await eachInput(async ({ name, bytes }) => {
      const stdin = program(rawLit(bytes));
      assertSame(
        await llmspell(["run", "-"], home, { stdin }),
        await lua54(["-"], { stdin }),
        name,
      );
    });
  }));

Deno.test("exec: each input's bytes in the code argument reach Lua as lua5.4 -e's do", () =>
  withHome(async (_run, home) => {
    await eachInput(async ({ name, bytes }) => {
      const code = src(
        "local s = ",
        argLit(bytes),
        ' io.write(#s, "|", s, "|\\n") print(s, #s) io.stderr:write(s)',
      );
      assertSame(await llmspell(["exec", code], home), await lua54(["-e", code]), name);
    });
  }));

Deno.test("run: ARGS, arg and ... hold each argument's bytes, as lua5.4's arg does", () =>
  withHome(async (_run, home) => {
    const file = `${home}/args.lua`;
    // Under lua5.4 ARGS is nil: the same script prints arg's values in its place.
    await Deno.writeTextFile(
      file,
      'io.write(#arg[1], "|", arg[1], "|", (...), "|", ARGS and ARGS[1] or arg[1], "|",\n' +
        '  ARGS and ARGS.k or arg[2]:sub(5), "|", select("#", ...), "\\n")\n',
    );
    await eachInput(async ({ name, bytes }) => {
      const arg = bytes.filter((x) => x !== 0); // argv cannot hold NUL
      const argv = [file, arg, src("--k=", arg)];
      assertSame(await llmspell(["run", ...argv], home), await lua54(argv), name);
    });
  }));

Deno.test("echo: an expression's values are written as their bytes, as print writes them", () =>
  withHome(async (_run, home) => {
    await eachInput(async ({ name, bytes }) => {
      const lit = asciiLit(bytes);
      const ours = await llmspell(["exec", src("return ", lit, ", #", lit)], home);
      assertSame(ours, await lua54(["-e", src("print(", lit, ", #", lit, ")")]), name);
    });
  }));

Deno.test("source forms: a BOM, a #! line and CRLF line ends load as lua5.4 loads them (file and stdin)", () =>
  withHome(async (_run, home) => {
    const lines = [
      "local s = [[a",
      "b]] print(#s, s)",
      'print("line", debug and debug.getinfo and 3 or 3)',
      'error("on line 4")',
    ];
    const forms: Record<string, string> = {
      "LF": lines.join("\n"),
      "CRLF": lines.join("\r\n"),
      "BOM": "\xef\xbb\xbf" + lines.join("\n"),
      "BOM and #!": "\xef\xbb\xbf#!/usr/bin/env lua\n" + lines.slice(1).join("\n"),
      "#! and CRLF": "#!/usr/bin/env lua\r\n" + lines.slice(1).join("\r\n"),
    };
    for (const [name, text] of Object.entries(forms)) {
      const code = bytes(text);
      const file = `${home}/form.lua`;
      await Deno.writeFile(file, code);
      for (
        const [how, ours, lua] of [
          ["file", await llmspell(["run", file], home), await lua54([file])],
          [
            "stdin",
            await llmspell(["run", "-"], home, { stdin: code }),
            await lua54(["-"], {
              stdin: code,
            }),
          ],
        ] as const
      ) {
        assertEquals(hex(ours.stdout), hex(lua.stdout), `${name} (${how}): stdout`);
        // The error line, past each program's own prefix ("error: " and "lua5.4: ").
        const first = (r: RawResult, prefix: string) => {
          const text = new TextDecoder().decode(r.stderr);
          assert(text.startsWith(prefix), `${name} (${how}): ${text}`);
          return text.slice(prefix.length, text.indexOf("\n"));
        };
        assertEquals(first(ours, "error: "), first(lua, "lua5.4: "), `${name} (${how})`);
      }
    }
  }));

Deno.test("errors: a message that is not UTF-8 is written as its bytes; a syntax error names the byte lua5.4 names", () =>
  withHome(async (_run, home) => {
    await eachInput(async ({ name, bytes }) => {
      const ours = await llmspell(["exec", src("error(", asciiLit(bytes), ", 0)")], home);
      const lua = await lua54(["-e", src("error(", asciiLit(bytes), ", 0)")]);
      const line = (r: RawResult, prefix: string) => {
        const p = bytes.length + prefix.length;
        assertEquals(hex(r.stderr.subarray(0, prefix.length)), hex(src(prefix)), name);
        return hex(r.stderr.subarray(prefix.length, p + 1));
      };
      // The message and its newline. lua5.4 prints it with "%s", which ends at a NUL.
      assertEquals(line(ours, "error: "), hex(src(bytes, "\n")), name);
      if (!bytes.includes(0)) assertEquals(line(lua, "lua5.4: "), hex(src(bytes, "\n")), name);
      assertEquals(ours.code, 1);
    });
    for (const bad of ["x = 1 \xff\n", "x = \x80\n", "local \xc3\xa9 = 1\n", 'x = "\xe9\n']) {
      const file = `${home}/syntax.lua`;
      await Deno.writeFile(file, bytes(bad));
      const ours = await llmspell(["run", file], home);
      const lua = await lua54([file]);
      const skip = (r: RawResult, n: number) => r.stderr.subarray(n, r.stderr.indexOf(10));
      assertEquals(hex(skip(ours, 7)), hex(skip(lua, 8)), JSON.stringify(bad));
    }
  }));

Deno.test("REPL in a pipe: input lines and echoed values keep their bytes (LF and CRLF line ends)", () =>
  withHome(async (_run, home) => {
    await eachInput(async ({ name, bytes }) => {
      const lua = await lua54(["-e", src("s = ", argLit(bytes), " print(s) print(#s)")]);
      for (const eol of ["\n", "\r\n"]) {
        const stdin = src("s = ", rawLit(bytes), eol, "s", eol, "#s", eol);
        const ours = await llmspell(["repl"], home, { stdin });
        assertSame(ours, lua, `${name} (${JSON.stringify(eol)})`);
      }
    });
  }));

Deno.test("--output json shows output that is not UTF-8 with \\xNN escapes (Python's backslashreplace)", () =>
  withHome(async (_run, home) => {
    const escaped = await backslashReplace(INPUTS.map((i) => i.bytes));
    await eachInput(async ({ name, bytes }) => {
      const want = escaped[INPUTS.findIndex((i) => i.name === name)];
      const lit = asciiLit(bytes);
      const code = src("io.write(", lit, ") io.stderr:write(", lit, ") return ", lit);
      const lua = await lua54(["-e", src("io.write(", lit, ")")]);
      assertEquals(hex(lua.stdout), hex(bytes), `${name}: lua5.4 wrote the input`);
      const r = await llmspell(["exec", "--output", "json", code], home);
      const doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(r.stdout));
      assertEquals(
        [doc.stdout, doc.stderr, doc.display, doc.result],
        [want, want, want, [want]],
        name,
      );
      assertEquals(r.code, 0);
    });
  }));

Deno.test("require, dofile and loadfile load a module's bytes (a BOM, a #! line) as lua5.4 does", () =>
  withHome(async (_run, home) => {
    await eachInput(async ({ name, bytes }) => {
      const dir = await Deno.makeTempDir({ dir: home });
      await Deno.writeFile(
        `${dir}/mod.lua`,
        src("\xef\xbb\xbf#!/usr/bin/env lua\nreturn ", rawLit(bytes)),
      );
      await Deno.writeFile(`${dir}/data.lua`, src("return ", rawLit(bytes)));
      await Deno.writeFile(
        `${dir}/main.lua`,
        src(
          'local m = require("mod") io.write(#m, "|", m, "|", dofile("data.lua"), "|")\n',
          'io.write(loadfile("mod.lua")(), "\\n")\n',
        ),
      );
      const ours = await llmspell(["run", "main.lua"], home, { cwd: dir });
      assertSame(ours, await lua54(["main.lua"], { cwd: dir }), name);
    });
  }));

Deno.test("io.read reads each input's bytes from stdin, as lua5.4's do", () =>
  withHome(async (_run, home) => {
    const file = `${home}/read.lua`;
    await Deno.writeTextFile(
      file,
      'local l = io.read("L") local rest = io.read("a")\n' +
        'io.write(#(l or ""), "|", l or "", "|", #rest, "|", rest, "\\n")\n',
    );
    await eachInput(async ({ name, bytes }) => {
      const stdin = src(bytes, "\n", bytes);
      assertSame(
        await llmspell(["run", file], home, { stdin }),
        await lua54([file], { stdin }),
        name,
      );
    });
  }));

Deno.test("display: a string's text/plain is written as its bytes", () =>
  withHome(async (_run, home) => {
    await eachInput(async ({ name, bytes }) => {
      const r = await llmspell(["exec", src("display(", asciiLit(bytes), ")")], home);
      assertEquals(hex(r.stdout), hex(src(bytes, "\n")), name);
      assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
    });
  }));
