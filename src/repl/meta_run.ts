/**
 * Running the REPL's meta-commands (meta.ts names them and parses a line): `.help`, `.history`,
 * `.save`, `.load`, `.run`, `.reload`, `.vars`, `.reset`, `.profile`, `.time`, `.info`, `.pwd`,
 * `.cd`, over what the REPL lends them (MetaHost).
 */
import * as path from "../path.ts";
import { paint, writeErr, writeOut } from "../frontend/output.ts";
import { parseScriptArgs } from "../frontend/script_args.ts";
import { ExitCode } from "../errors.ts";
import { decodeBytes } from "../byte_string.ts";
import { fileChunk } from "../engine/shared/file_chunk.ts";
import type { JsonObject } from "../protocol/jupyter/mod.ts";
import type { InputHistory } from "./input_history.ts";
import { META_COMMANDS, parseMeta } from "./meta.ts";
import { printVars } from "./globals.ts";
import type { ReplOptions } from "./session.ts";

/** What the REPL lends its meta-commands. */
export interface MetaHost {
  readonly options: ReplOptions;
  readonly history: InputHistory;
  /** The inputs that ran without error, for `.save`. */
  readonly inputs: string[];
  /** The globals before the first input, which `.vars` leaves out. */
  baseline(): Set<string> | undefined;
  /** Whether each input's time is shown (`.time`). */
  timing(): boolean;
  setTiming(on: boolean): void;
  /** `.profile` alone: the next input runs profiled. */
  profileNextInput(): void;
  runCell(code: string, extra: JsonObject, input: string): Promise<number>;
  runProfiled(code: string, command?: string): Promise<number>;
  /** After a reset: forgets the cells and their breakpoints; how many breakpoints went. */
  forgetCells(): Promise<number>;
}

/** Runs one meta-command line; true when the REPL should end. */
export async function runMeta(host: MetaHost, input: string): Promise<boolean> {
  const parsed = parseMeta(input);
  if ("error" in parsed) {
    writeErr(`${paint(host.options.ctx.colorErr, "red", "error:")} ${parsed.error}\n`);
    return false;
  }
  const { name, args } = parsed;
  const ctx = host.options.ctx;
  switch (name) {
    case ".help":
      writeOut(
        META_COMMANDS.map((m) => `${(m.name + " " + m.args).padEnd(24)} ${m.help}`).join("\n") +
          "\n",
      );
      writeOut(
        `${"db:COMMAND".padEnd(24)} the debugger (db:help lists its commands)\n`,
      );
      writeOut("Ctrl+R searches history, Tab completes, Ctrl+C interrupts a running cell.\n");
      return false;
    case ".exit":
    case ".quit":
      return true;
    case ".clear":
      writeOut("\x1b[H\x1b[2J");
      return false;
    case ".history": {
      const entries = host.history.entries;
      // Numbered from 1, oldest first, so a search names the same numbers as the list.
      const show = (e: string, i: number) =>
        writeOut(`${String(i + 1).padStart(5)}  ${e.replaceAll("\n", "\n       ")}\n`);
      if (args[0] === "search") {
        const text = args.slice(1).join(" ");
        entries.forEach((e, i) => e.includes(text) && show(e, i));
        return false;
      }
      const n = args[0] ? Number(args[0]) : 20;
      if (!Number.isInteger(n) || n < 0) {
        writeErr(`${paint(ctx.colorErr, "red", "error:")} usage: .history [N | search TEXT]\n`);
        return false;
      }
      entries.forEach((e, i) => i >= entries.length - n && show(e, i));
      return false;
    }
    case ".clear-history":
      host.history.clear();
      if (host.options.clearStoredHistory) {
        host.options.clearStoredHistory();
        writeErr("history cleared\n");
      } else {
        writeErr("history of this REPL cleared; the kernel keeps its own stored history\n");
      }
      return false;
    case ".save": {
      const file = path.resolve(ctx.cwd, args[0]);
      // An input that starts with `(` would call the line before it: `;` ends that one.
      const lines = host.inputs.map((s) => /^\s*\(/.test(s) ? ";" + s : s);
      await Deno.writeTextFile(file, lines.join("\n") + "\n");
      writeErr(`saved ${host.inputs.length} input(s) to ${file}\n`);
      return false;
    }
    case ".load":
    case ".run": {
      const file = path.resolve(ctx.cwd, args[0]);
      let code: string;
      try {
        code = decodeBytes(fileChunk(await Deno.readFile(file)));
      } catch (e) {
        writeErr(
          `${paint(ctx.colorErr, "red", "error:")} cannot read ${file}: ${
            e instanceof Error ? e.message : e
          }\n`,
        );
        return false;
      }
      const extra: JsonObject = { chunk_name: "@" + args[0], echo: "none" };
      if (name === ".run") extra.args = parseScriptArgs(args[0], args.slice(1));
      if (await host.runCell(code, extra, input) === ExitCode.ok && name === ".load") {
        host.inputs.push(code.replace(/\s+$/, ""));
      }
      return false;
    }
    case ".reload": {
      if (!/^[\w.-]+$/.test(args[0])) {
        writeErr(`${paint(ctx.colorErr, "red", "error:")} not a module name: ${args[0]}\n`);
        return false;
      }
      const code = `reload("${args[0]}")`;
      if (await host.runCell(code, { echo: "none" }, input) === ExitCode.ok) {
        writeErr(`reloaded ${args[0]}\n`);
      }
      return false;
    }
    case ".vars":
      await printVars(host.options.conn, host.baseline() ?? new Set());
      return false;
    case ".reset": {
      const r = await host.options.conn.request("control", "shutdown_request", { restart: true });
      if (r.content.status === "ok") {
        host.inputs.length = 0;
        writeErr("fresh Lua state\n");
        // Cells are numbered from 1 again: breakpoints in old cells would hit new ones.
        const gone = await host.forgetCells();
        if (gone > 0) writeErr(`deleted ${gone} breakpoint(s) in cells\n`);
      }
      return false;
    }
    case ".profile": {
      const code = input.slice(input.indexOf(".profile") + ".profile".length).trim();
      if (code === "") {
        host.profileNextInput();
        writeErr("the next input runs profiled\n");
      } else await host.runProfiled(code, input);
      return false;
    }
    case ".time":
      host.setTiming(args[0] !== "off");
      writeErr(`timing ${host.timing() ? "on" : "off"}\n`);
      return false;
    case ".info": {
      const r = await host.options.conn.request("shell", "kernel_info_request", {});
      const c = r.content as JsonObject;
      const lang = c.language_info as JsonObject;
      writeOut(
        `kernel: ${c.implementation} ${c.implementation_version} (${host.options.where})\n` +
          `language: ${lang?.name} ${lang?.version}\n` +
          `history: ${host.history.length} entries\ncwd: ${ctx.cwd}\n`,
      );
      return false;
    }
    case ".pwd":
      writeOut(ctx.cwd + "\n");
      return false;
    case ".cd": {
      const dir = path.resolve(ctx.cwd, args[0] ?? Deno.env.get("HOME") ?? ctx.cwd);
      try {
        if (!(await Deno.stat(dir)).isDirectory) throw new Error("not a directory");
        Deno.chdir(dir);
        ctx.cwd = dir;
        writeOut(dir + "\n");
      } catch (e) {
        writeErr(
          `${paint(ctx.colorErr, "red", "error:")} ${dir}: ${e instanceof Error ? e.message : e}\n`,
        );
      }
      return false;
    }
  }
  return false;
}
