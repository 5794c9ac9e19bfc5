/**
 * `llmspell state list | get | set | delete | clear | export | import`: the State global's
 * values from the command line, in the same database as scripts and kernels (WAL: these
 * commands work while a kernel writes; a write waits for the kernel's, up to the busy
 * timeout). Values print as exact JSON (src/api/value_text.ts) or YAML (state_yaml.ts).
 */
import { Command, Option } from "commander";
import * as path from "../path.ts";
import { ExitCode, LlmspellError, usageError } from "../errors.ts";
import { keyProblem, resolveScope } from "../api/state.ts";
import { decodeValue, encodeValue, type LuaValue } from "../engine/shared/host_values.ts";
import { NotAValue, valueFromJson, valueToJson } from "../api/value_text.ts";
import type { CliContext } from "./context.ts";
import { writeErr, writeOut } from "../frontend/output.ts";
import { contextOf, example, setExit, withGlobalOptions } from "./command.ts";
import { configFor } from "./load_config.ts";
import { withStore } from "./session_store.ts";
import { parseYaml, toYamlDocument, valueFromYaml } from "./state_yaml.ts";

/** The format of an export file; what import reads. */
const FORMAT_KEY = "llmspell_state";
const FORMAT_VERSION = 1n;

const encoder = new TextEncoder();
const utf8 = new TextDecoder();

function scopeOption(): Option {
  return new Option(
    "--scope <scope>",
    "global (default), session:<id>, agent:<name>, workflow:<name>, tool:<name>, user:<id>, custom:<name>",
  );
}

function checkedScope(scope: string | undefined): string {
  const r = resolveScope(scope ?? "global");
  if ("problem" in r) throw usageError(r.problem);
  return r.scope;
}

function checkedKey(key: string): string {
  const problem = keyProblem(encoder.encode(key));
  if (problem) throw usageError(problem);
  return key;
}

/** A value as the chosen output shows it (text: a string as it is, others as JSON). */
function showValue(ctx: CliContext, v: LuaValue): void {
  if (ctx.output === "yaml") writeOut(toYamlDocument(v));
  else if (ctx.output === "text" && v instanceof Uint8Array) {
    writeOut(v);
    writeOut("\n");
  } else writeOut(valueToJson(v) + "\n");
}

/** A small result object (keys, counts) in the chosen output; `text` goes to stderr. */
function report(ctx: CliContext, data: Record<string, unknown>, text: string): void {
  if (ctx.output === "json") writeOut(JSON.stringify(data, null, 2) + "\n");
  else if (ctx.output === "yaml") writeOut(toYamlDocument(data));
  else if (text) writeErr(text + "\n");
}

function notFound(key: string, scope: string): LlmspellError {
  return new LlmspellError({
    code: "state_not_found",
    message: `no key '${key}' in scope ${scope}`,
    hint: `llmspell state list --scope ${scope} lists its keys`,
  });
}

async function maxValueBytes(ctx: CliContext): Promise<number> {
  return (await configFor(ctx)).config.state.max_value_bytes;
}

function checkSize(encoded: Uint8Array, max: number): void {
  if (encoded.length > max) {
    throw new LlmspellError({
      code: "state_value_too_large",
      message: `the value is ${encoded.length} bytes encoded, more than the limit of ${max}`,
      hint: "raise [state] max_value_bytes in the configuration",
    });
  }
}

/** Reads an export file (JSON, or YAML by its extension). */
function readDocument(file: string, text: string): LuaValue {
  try {
    return /\.ya?ml$/i.test(file) ? valueFromYaml(parseYaml(text)) : valueFromJson(text);
  } catch (e) {
    if (e instanceof NotAValue) throw usageError(`${file}: ${e.message}`);
    throw e;
  }
}

function field(m: LuaValue, name: string): LuaValue | undefined {
  if (!(m instanceof Map)) return undefined;
  for (const [k, v] of m) if (k instanceof Uint8Array && utf8.decode(k) === name) return v;
  return undefined;
}

/** scope → key → value from an export document. */
function scopesOf(file: string, doc: LuaValue): Map<string, Map<string, LuaValue>> {
  const bad = (why: string) =>
    usageError(
      `${file}: not a state export (${why})`,
      "write one with llmspell state export FILE",
    );
  if (field(doc, FORMAT_KEY) !== FORMAT_VERSION) throw bad(`"${FORMAT_KEY}": 1 missing`);
  const scopes = field(doc, "scopes");
  const out = new Map<string, Map<string, LuaValue>>();
  if (scopes === undefined || (!(scopes instanceof Map) && !Array.isArray(scopes))) {
    throw bad('"scopes" missing');
  }
  if (Array.isArray(scopes)) {
    if (scopes.length > 0) throw bad('"scopes" is a list');
    return out;
  }
  for (const [s, entries] of scopes) {
    if (!(s instanceof Uint8Array)) throw bad("a scope name is not a string");
    const scope = checkedScope(utf8.decode(s));
    const m = new Map<string, LuaValue>();
    if (entries instanceof Map) {
      for (const [k, v] of entries) {
        if (!(k instanceof Uint8Array)) throw bad(`a key of ${scope} is not a string`);
        m.set(checkedKey(utf8.decode(k)), v);
      }
    } else if (!(Array.isArray(entries) && entries.length === 0)) {
      throw bad(`${scope} is not a table of keys`);
    }
    out.set(scope, m);
  }
  return out;
}

function exportText(file: string, scopes: Map<string, [string, Uint8Array][]>): string {
  if (/\.ya?ml$/i.test(file)) {
    const top: Record<string, unknown> = {};
    for (const [scope, entries] of scopes) {
      const m = new Map<LuaValue, LuaValue>();
      for (const [k, v] of entries) m.set(encoder.encode(k), decodeValue(v));
      top[scope] = m;
    }
    return toYamlDocument({ [FORMAT_KEY]: FORMAT_VERSION, scopes: top } as never);
  }
  const parts = [...scopes].map(([scope, entries]) => {
    const items = entries.map(([k, v]) =>
      `      ${JSON.stringify(k)}: ${valueToJson(decodeValue(v), "      ")}`
    );
    return items.length === 0
      ? `    ${JSON.stringify(scope)}: {}`
      : `    ${JSON.stringify(scope)}: {\n${items.join(",\n")}\n    }`;
  });
  const body = parts.length === 0 ? "{}" : `{\n${parts.join(",\n")}\n  }`;
  return `{\n  "${FORMAT_KEY}": ${FORMAT_VERSION},\n  "scopes": ${body}\n}\n`;
}

export function registerStateCommands(program: Command): void {
  const state = withGlobalOptions(
    new Command("state").description(
      "read and change the State global's values (the same database scripts and kernels use)",
    ),
  );
  example(
    state,
    "llmspell state list",
    "llmspell state get counter --output json",
    `llmspell state set config '{"model": "gpt-4o", "retries": 3}'`,
  );

  const list = withGlobalOptions(
    new Command("list")
      .description("list the keys of a scope, sorted (those starting with PREFIX)")
      .argument("[prefix]", "only keys starting with this")
      .addOption(scopeOption()),
  );
  example(list, "llmspell state list", "llmspell state list --scope agent:planner step_");
  list.action((prefix: string | undefined, opts: { scope?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const scope = checkedScope(opts.scope);
    const keys = withStore(ctx, (s) => s.state.keys(scope, prefix ?? ""));
    if (ctx.output === "json") writeOut(JSON.stringify(keys, null, 2) + "\n");
    else if (ctx.output === "yaml") writeOut(toYamlDocument(keys.map((k) => encoder.encode(k))));
    else if (keys.length > 0) writeOut(keys.join("\n") + "\n");
  });
  state.addCommand(list);

  const get = withGlobalOptions(
    new Command("get")
      .description("print a value (a string as it is; --output json: exact JSON of any value)")
      .argument("<key>", "the key")
      .addOption(scopeOption()),
  );
  example(get, "llmspell state get greeting", "llmspell state get config --output json");
  get.action((key: string, opts: { scope?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const scope = checkedScope(opts.scope);
    const value = withStore(ctx, (s) => s.state.get(scope, checkedKey(key)));
    if (value === undefined) throw notFound(key, scope);
    showValue(ctx, decodeValue(value));
  });
  state.addCommand(get);

  const set = withGlobalOptions(
    new Command("set")
      .description(
        'store a value given as JSON (2 is an integer, 2.0 a float, {"$bytes": "<base64>"} any bytes)',
      )
      .argument("<key>", "the key")
      .argument("<json>", "the value, as JSON")
      .addOption(scopeOption()),
  );
  example(
    set,
    `llmspell state set greeting '"hello"'`,
    `llmspell state set limits '{"max": 10, "ratio": 0.5}' --scope agent:planner`,
  );
  set.action(async (key: string, json: string, opts: { scope?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const scope = checkedScope(opts.scope);
    checkedKey(key);
    let value: LuaValue;
    try {
      value = valueFromJson(json);
    } catch (e) {
      throw usageError(
        e instanceof Error ? e.message : String(e),
        `a string value is quoted JSON: llmspell state set ${key} '"text"'`,
      );
    }
    const encoded = encodeValue(value);
    checkSize(encoded, await maxValueBytes(ctx));
    withStore(ctx, (s) => s.state.set(scope, key, value === null ? null : encoded));
    report(ctx, { scope, key }, "");
  });
  state.addCommand(set);

  const del = withGlobalOptions(
    new Command("delete")
      .description("delete a key")
      .argument("<key>", "the key")
      .addOption(scopeOption()),
  );
  example(del, "llmspell state delete greeting", "llmspell state delete plan --scope agent:bob");
  del.action((key: string, opts: { scope?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const scope = checkedScope(opts.scope);
    if (!withStore(ctx, (s) => s.state.delete(scope, checkedKey(key)))) throw notFound(key, scope);
    report(ctx, { scope, key, deleted: true }, "");
  });
  state.addCommand(del);

  const clear = withGlobalOptions(
    new Command("clear")
      .description("delete every key of a scope (asks first on a terminal)")
      .addOption(scopeOption().makeOptionMandatory())
      .option("-y, --yes", "do not ask"),
  );
  example(
    clear,
    "llmspell state clear --scope custom:scratch",
    "llmspell state clear --scope global --yes",
  );
  clear.action((opts: { scope: string; yes?: boolean }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const scope = checkedScope(opts.scope);
    withStore(ctx, (s) => {
      const n = s.state.keys(scope).length;
      if (!opts.yes) {
        if (!Deno.stdin.isTerminal()) {
          throw usageError(
            `refusing to clear scope ${scope} without --yes (stdin is not a terminal)`,
          );
        }
        if (!confirm(`delete the ${n} key${n === 1 ? "" : "s"} of scope ${scope}?`)) {
          writeErr("nothing deleted\n");
          setExit(ExitCode.failure);
          return;
        }
      }
      const deleted = s.state.clear(scope);
      report(
        ctx,
        { scope, deleted },
        `deleted ${deleted} key${deleted === 1 ? "" : "s"} of ${scope}`,
      );
    });
  });
  state.addCommand(clear);

  const exp = withGlobalOptions(
    new Command("export")
      .description("write every scope (or --scope's) to a file: JSON, or YAML for .yaml/.yml")
      .argument("<file>", "where to write it")
      .addOption(scopeOption()),
  );
  example(
    exp,
    "llmspell state export state.json",
    "llmspell state export agents.yaml --scope agent:bob",
  );
  exp.action(async (file: string, opts: { scope?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const only = opts.scope === undefined ? undefined : checkedScope(opts.scope);
    const scopes = withStore(ctx, (s) =>
      s.state.transaction(() => {
        const out = new Map<string, [string, Uint8Array][]>();
        for (const scope of only ? [only] : s.state.scopes()) {
          out.set(scope, s.state.entries(scope).map((e) => [e.key, e.value]));
        }
        return out;
      }));
    const target = path.resolve(ctx.cwd, file);
    await Deno.writeTextFile(target, exportText(file, scopes));
    const keys = [...scopes.values()].reduce((n, e) => n + e.length, 0);
    report(
      ctx,
      { file: target, scopes: scopes.size, keys },
      `exported ${keys} key${keys === 1 ? "" : "s"} of ${scopes.size} scope${
        scopes.size === 1 ? "" : "s"
      } to ${target}`,
    );
  });
  state.addCommand(exp);

  const imp = withGlobalOptions(
    new Command("import")
      .description(
        "read a file written by export: each scope in it is replaced, or with --merge updated",
      )
      .argument("<file>", "a JSON or YAML export")
      .option("--merge", "keep the keys the file does not have")
      .addOption(scopeOption()),
  );
  example(imp, "llmspell state import state.json", "llmspell state import state.yaml --merge");
  imp.action(async (file: string, opts: { scope?: string; merge?: boolean }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const source = path.resolve(ctx.cwd, file);
    let text: string;
    try {
      text = await Deno.readTextFile(source);
    } catch (e) {
      throw new LlmspellError({
        code: "state_import_unreadable",
        message: `cannot read ${source}: ${e instanceof Error ? e.message : e}`,
      });
    }
    let scopes = scopesOf(file, readDocument(file, text));
    if (opts.scope !== undefined) {
      const only = checkedScope(opts.scope);
      scopes = new Map([[only, scopes.get(only) ?? new Map()]]);
    }
    const max = await maxValueBytes(ctx);
    const encoded = new Map<string, [string, Uint8Array | null][]>();
    for (const [scope, entries] of scopes) {
      encoded.set(
        scope,
        [...entries].map(([k, v]) => {
          const e = encodeValue(v);
          checkSize(e, max);
          return [k, v === null ? null : e];
        }),
      );
    }
    let keys = 0;
    withStore(ctx, (s) =>
      s.state.transaction(() => {
        for (const [scope, entries] of encoded) {
          if (!opts.merge) s.state.clear(scope);
          for (const [k, v] of entries) {
            s.state.set(scope, k, v);
            keys++;
          }
        }
      }));
    report(
      ctx,
      { file: source, scopes: encoded.size, keys, merged: opts.merge === true },
      `imported ${keys} key${keys === 1 ? "" : "s"} into ${encoded.size} scope${
        encoded.size === 1 ? "" : "s"
      }`,
    );
  });
  state.addCommand(imp);

  program.addCommand(state);
}
