/**
 * Lua strings are bytes, on a kernel: Jupyter messages are JSON text, so output that is not
 * UTF-8 is shown with `\xNN` escapes (Python's backslashreplace, README) and its exact bytes
 * ride along as buffers[0]; `exec --connect` prints those bytes as lua5.4 would. The inputs
 * and the CLI side are tests/cli/bytes_test.ts.
 */
import { assertEquals } from "../helpers/assert.ts";
import { asciiLit, bytes as latin1, INPUTS, rawLit } from "../helpers/byte_inputs.ts";
import { backslashReplace, hex, llmspell, lua54 } from "../helpers/raw_process.ts";
import { concat } from "../../src/bytes.ts";
import { killKernels, startKernel } from "./helpers.ts";

const DRIVER = new URL("./bytes_driver.py", import.meta.url).pathname;
const encoder = new TextEncoder();

interface Cell {
  streams: { name: string; text: string; buffers: string[] }[];
  result: { text: string; buffers: string[] } | null;
  error: { evalue: string; traceback: string[]; buffers: string[] } | null;
}

async function runCells(connectionFile: string, cells: string[]): Promise<Cell[]> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [DRIVER, connectionFile, JSON.stringify(cells)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assertEquals(out.code, 0, dec.decode(out.stderr));
  return JSON.parse(dec.decode(out.stdout));
}

/** What a client that takes buffers[0] when there is one would write for these messages. */
function exactBytes(msgs: { text: string; buffers: string[] }[]): string {
  return hex(
    concat(
      msgs.map((m) => m.buffers[0] !== undefined ? unhex(m.buffers[0]) : encoder.encode(m.text)),
    ),
  );
}

function unhex(h: string): Uint8Array {
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}

function isUtf8(b: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

const ascii = (b: Uint8Array) => new TextDecoder().decode(asciiLit(b));

Deno.test("kernel: stream, execute_result and error show bytes that are not UTF-8 as \\xNN, with the exact bytes as buffers[0]; exec --connect and repl --connect print lua5.4's bytes", async () => {
  const k = await startKernel();
  try {
    const escaped = await backslashReplace(INPUTS.map((i) => i.bytes));
    const cells = INPUTS.flatMap(({ bytes }) => {
      const lit = ascii(bytes);
      return [`io.write(${lit}) io.stderr:write(${lit}) print(${lit})`, lit, `error(${lit}, 0)`];
    });
    const got = await runCells(k.connectionFile, cells);
    for (const [i, { name, bytes }] of INPUTS.entries()) {
      const lit = ascii(bytes);
      const want = escaped[i];
      const lua = await lua54(["-e", `io.write(${lit}) io.stderr:write(${lit}) print(${lit})`]);
      const [writes, echo, error] = got.slice(i * 3, i * 3 + 3);
      const stdout = writes.streams.filter((s) => s.name === "stdout");
      const stderr = writes.streams.filter((s) => s.name === "stderr");
      assertEquals(stdout.map((s) => s.text).join(""), want + want + "\n", `${name}: stdout text`);
      assertEquals(stderr.map((s) => s.text).join(""), want, `${name}: stderr text`);
      assertEquals(exactBytes(stdout), hex(lua.stdout), `${name}: stdout bytes`);
      assertEquals(exactBytes(stderr), hex(lua.stderr), `${name}: stderr bytes`);
      // Valid UTF-8 needs no buffer.
      const utf8 = isUtf8(bytes);
      assertEquals(echo.result?.text, want, `${name}: execute_result`);
      assertEquals(echo.result?.buffers, utf8 ? [] : [hex(bytes)], `${name}: execute_result bytes`);
      assertEquals(error.error?.evalue, want, `${name}: evalue`);
      assertEquals(error.error?.traceback[0], want, `${name}: traceback`);
      assertEquals(error.error?.buffers, utf8 ? [] : [hex(bytes)], `${name}: error bytes`);

      const code = `io.write(${lit}) io.stderr:write(${lit}) print(${lit}) return ${lit}, #${lit}`;
      const ours = await llmspell(["exec", "--connect", k.connectionFile, code], k.home);
      const native = await lua54(["-e", code.replace(/return (.*)$/, "print($1)")]);
      assertEquals(hex(ours.stdout), hex(native.stdout), `${name}: exec --connect stdout`);
      assertEquals(hex(ours.stderr), hex(native.stderr), `${name}: exec --connect stderr`);

      const failed = await llmspell(
        ["exec", "--connect", k.connectionFile, `error(${lit}, 0)`],
        k.home,
      );
      assertEquals(
        hex(failed.stderr.subarray(0, 8 + bytes.length)),
        hex(concat([encoder.encode("error: "), bytes, encoder.encode("\n")])),
        `${name}: exec --connect error message`,
      );

      // A script file with the input in its source, and the input as its argument.
      const file = `${k.home}/script_${i}.lua`;
      await Deno.writeFile(
        file,
        concat([
          latin1("\xef\xbb\xbf#!/usr/bin/env lua\nio.write("),
          rawLit(bytes),
          latin1(', "|", #arg[1], "|", arg[1], "|", ARGS and ARGS[1] or arg[1])'),
        ]),
      );
      const arg = bytes.filter((x) => x !== 0);
      const script = await llmspell(["run", "--connect", k.connectionFile, file, arg], k.home);
      const nativeRun = await lua54([file, arg]);
      assertEquals(nativeRun.code, 0, `${name}: lua5.4 ran the script`);
      assertEquals(hex(script.stdout), hex(nativeRun.stdout), `${name}: run --connect`);

      // io.read on a kernel asks the client (input_request), which answers with its stdin.
      const line = bytes.filter((x) => x !== 10);
      const read = await llmspell(
        ["exec", "--connect", k.connectionFile, "local l = io.read() io.write(#l, '|', l)"],
        k.home,
        { stdin: concat([line, encoder.encode("\n")]) },
      );
      assertEquals(
        hex(read.stdout),
        hex(concat([encoder.encode(`${line.length}|`), line])),
        `${name}: io.read through input_request`,
      );

      const repl = await llmspell(["repl", "--connect", k.connectionFile], k.home, {
        stdin: encoder.encode(`s = ${lit}\ns\n#s\n`),
      });
      const lines = await lua54(["-e", `s = ${lit} print(s) print(#s)`]);
      assertEquals(hex(repl.stdout), hex(lines.stdout), `${name}: repl --connect`);
    }
  } finally {
    await k.stop();
    await killKernels(k.home);
    await Deno.remove(k.home, { recursive: true });
  }
});
