/**
 * `llmspell keys set | list | get | remove | path | log | providers`: the API keys of LLM providers,
 * stored in `<data dir>/keys.json` (mode 0600, src/store/key_file.ts) with a row in the keys'
 * audit of the database per change (src/store/key_audit.ts). A key is read from the terminal
 * without echo, or from stdin when piped, never from an argument: it would stay in the shell's
 * history. Providers find a stored key by their name (src/providers/resolve.ts).
 */
import { Command } from "commander";
import { resolvePaths } from "../config/mod.ts";
import type { ProviderConfig } from "../config/mod.ts";
import { PROVIDER_TYPES } from "../provider_config.ts";
import { usageError } from "../errors.ts";
import { concat } from "../bytes.ts";
import {
  changeKeys,
  keyNameProblem,
  keyNotStored,
  keysFilePath,
  keyValueProblem,
  readKeys,
  type StoredKey,
} from "../store/key_file.ts";
import { readSecret } from "../frontend/secret_input.ts";
import { writeErr } from "../frontend/output.ts";
import { printData } from "../frontend/print.ts";
import type { CliContext } from "./context.ts";
import { contextOf, example, withGlobalOptions } from "./command.ts";
import { configFor } from "./load_config.ts";
import { withStore } from "./session_store.ts";
import { argumentValuesFrom } from "./arg_values.ts";

/** More than any API key; a larger stdin is not one. */
const MAX_KEY_BYTES = 16 * 1024;

/** The built-in providers a name alone makes (openai, anthropic, ollama); `local` needs a table. */
const BUILT_IN: readonly string[] = PROVIDER_TYPES.filter((t) => t !== "local");

function checkedName(name: string): string {
  const problem = keyNameProblem(name);
  if (problem) throw usageError(problem, "name a provider: llmspell keys set openai");
  return name;
}

function dataDir(ctx: CliContext): string {
  return resolvePaths(ctx.env, ctx.cwd).dataDir;
}

/** The providers of the configuration and the built-in ones, by name. */
async function providersOf(ctx: CliContext): Promise<Record<string, ProviderConfig | null>> {
  const configured = (await configFor(ctx)).config.providers;
  const all: Record<string, ProviderConfig | null> = {};
  for (const name of BUILT_IN) all[name] = null;
  return Object.assign(all, configured);
}

/** The names of the providers that take a key, sorted. */
function keyedNames(providers: Record<string, ProviderConfig | null>): string[] {
  return Object.entries(providers)
    .filter(([, p]) => p?.provider_type !== "local").map(([n]) => n).sort();
}

/** Refuses a name no provider has, or one of a provider that takes no key. */
function checkProvider(name: string, providers: Record<string, ProviderConfig | null>): void {
  const names = keyedNames(providers);
  if (!Object.hasOwn(providers, name)) {
    throw usageError(
      `no provider named '${name}': use one of ${names.join(", ")}`,
      `or add [providers.${name}] to the configuration first`,
    );
  }
  if (providers[name]?.provider_type === "local") {
    throw usageError(`provider '${name}' is a local model, which takes no API key`);
  }
}

/** What the configuration uses instead of the stored key for `name`, if anything. */
function overriddenBy(ctx: CliContext, p: ProviderConfig | null): string | null {
  if (p?.api_key) return "api_key in the configuration";
  if (p?.api_key_env && ctx.env[p.api_key_env]) return `the variable ${p.api_key_env}`;
  return null;
}

/** The key, typed (hidden) on a terminal or piped in. */
async function readKey(name: string): Promise<string> {
  if (Deno.stdin.isTerminal()) return await readSecret(`API key for ${name} (hidden): `);
  const bytes = await readStdin();
  // One trailing newline (echo, a file) is not part of the key.
  return new TextDecoder().decode(bytes).replace(/\r?\n$/, "");
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of Deno.stdin.readable) {
    size += c.length;
    if (size > MAX_KEY_BYTES) {
      throw usageError(`stdin has more than ${MAX_KEY_BYTES} bytes, which is no API key`);
    }
    chunks.push(c);
  }
  return concat(chunks);
}

/** A result that has no data to print: JSON or YAML on stdout, a text message on stderr. */
function report(ctx: CliContext, data: Record<string, unknown>, text: string): void {
  if (ctx.output === "text") writeErr(text + "\n");
  else printData(ctx, data, () => "");
}

interface KeyRow {
  name: string;
  set_at: string;
  /** The provider that uses the key: the one of the same name; null when there is none. */
  provider: string | null;
  /** What that provider uses instead, when its configuration gives a key itself. */
  overridden_by: string | null;
}

function rows(
  ctx: CliContext,
  keys: Map<string, StoredKey>,
  providers: Record<string, ProviderConfig | null>,
): KeyRow[] {
  return [...keys].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([name, k]) => {
    const known = Object.hasOwn(providers, name) && providers[name]?.provider_type !== "local";
    return {
      name,
      set_at: k.setAt,
      provider: known ? name : null,
      overridden_by: known ? overriddenBy(ctx, providers[name]) : null,
    };
  });
}

function rowsText(list: KeyRow[]): string {
  if (list.length === 0) return "";
  const w = Math.max(4, ...list.map((r) => r.name.length));
  const used = (r: KeyRow) =>
    r.provider === null
      ? "(no provider of this name)"
      : r.overridden_by
      ? `${r.provider} (not used: ${r.overridden_by} comes first)`
      : r.provider;
  return [
    `${"NAME".padEnd(w)}  ${"SET AT".padEnd(24)}  USED BY`,
    ...list.map((r) => `${r.name.padEnd(w)}  ${r.set_at.padEnd(24)}  ${used(r)}`),
  ].join("\n");
}

/** What the shell completions run for the provider of `keys set` and the others. */
const PROVIDERS_WORDS = ["keys", "providers", "--output", "text"];

export function registerKeysCommands(program: Command): void {
  const keys = withGlobalOptions(
    new Command("keys").description(
      "store the API keys of LLM providers (a file only you can read, in the data directory)",
    ),
  );
  example(
    keys,
    "llmspell keys set openai",
    'printf %s "$KEY" | llmspell keys set anthropic',
    "llmspell keys list",
  );

  const set = withGlobalOptions(
    new Command("set")
      .description(
        "store the key of provider NAME: typed without echo on a terminal, else read from stdin",
      )
      .argument("<name>", "the provider: openai, anthropic, or a [providers.NAME] of the config"),
  );
  example(
    set,
    "llmspell keys set openai",
    "pass show openai | llmspell keys set openai",
  );
  set.action(async (name: string, _opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    checkProvider(checkedName(name), await providersOf(ctx));
    const value = await readKey(name);
    const problem = keyValueProblem(value);
    if (problem) {
      throw usageError(
        `${problem}: nothing stored`,
        `type it when asked, or pipe it in: printf %s "$KEY" | llmspell keys set ${name}`,
      );
    }
    const dir = dataDir(ctx);
    const setAt = new Date().toISOString();
    // The audit row and the file change together: a file that cannot be written rolls
    // the row back.
    withStore(ctx, (store) =>
      store.transaction(() => {
        store.keyAudit.record(name, "set", new Date(setAt));
        changeKeys(dir, (all) => {
          all.set(name, { value, setAt });
          return { write: true, result: undefined };
        });
      }));
    const path = keysFilePath(dir);
    report(ctx, { name, set_at: setAt, path }, `stored the key for ${name} in ${path}`);
  });
  keys.addCommand(argumentValuesFrom(set, PROVIDERS_WORDS));

  const list = withGlobalOptions(
    new Command("list").description(
      "list the stored keys: name, when set, which provider uses it (never the keys)",
    ),
  );
  example(list, "llmspell keys list", "llmspell keys list --output json");
  list.action(async (_opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    const stored = readKeys(keysFilePath(dataDir(ctx)));
    const all = rows(ctx, stored, await providersOf(ctx));
    printData(ctx, all, () => rowsText(all));
  });
  keys.addCommand(list);

  const get = withGlobalOptions(
    new Command("get")
      .description("print the key stored for NAME (for scripts)")
      .argument("<name>", "the provider"),
  );
  example(get, 'OPENAI_API_KEY="$(llmspell keys get openai)" some-tool');
  get.action((name: string, _opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    const k = readKeys(keysFilePath(dataDir(ctx))).get(checkedName(name));
    if (!k) throw keyNotStored(name);
    printData(ctx, { name, value: k.value, set_at: k.setAt }, () => k.value);
  });
  keys.addCommand(argumentValuesFrom(get, PROVIDERS_WORDS));

  const remove = withGlobalOptions(
    new Command("remove")
      .description("delete the key stored for NAME")
      .argument("<name>", "the provider"),
  );
  example(remove, "llmspell keys remove openai");
  remove.action((name: string, _opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    checkedName(name);
    const dir = dataDir(ctx);
    const removed = withStore(ctx, (store) =>
      store.transaction(() =>
        changeKeys(dir, (all) => {
          const had = all.delete(name);
          // Before the file is written: a row that cannot be added leaves the file as it is.
          if (had) store.keyAudit.record(name, "remove");
          return { write: had, result: had };
        })
      ));
    if (!removed) throw keyNotStored(name);
    report(ctx, { name, removed: true }, `removed the key for ${name}`);
  });
  keys.addCommand(argumentValuesFrom(remove, PROVIDERS_WORDS));

  const path = withGlobalOptions(
    new Command("path").description("print where the keys are stored"),
  );
  example(path, "llmspell keys path");
  path.action((_opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    const file = keysFilePath(dataDir(ctx));
    printData(ctx, { path: file }, () => file);
  });
  keys.addCommand(path);

  const log = withGlobalOptions(
    new Command("log")
      .description("list the changes to the stored keys, oldest first (names and times only)")
      .argument("[name]", "only this provider's"),
  );
  example(log, "llmspell keys log", "llmspell keys log openai --output json");
  log.action((name: string | undefined, _opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    if (name !== undefined) checkedName(name);
    const entries = withStore(ctx, (store) => store.keyAudit.list(name));
    printData(
      ctx,
      entries,
      () => entries.map((e) => `${e.at}  ${e.action.padEnd(6)}  ${e.name}`).join("\n"),
    );
  });
  keys.addCommand(argumentValuesFrom(log, PROVIDERS_WORDS));

  const providers = withGlobalOptions(
    new Command("providers").description(
      "list the providers a key can be stored for: the built-in ones and the configuration's",
    ),
  );
  example(providers, "llmspell keys providers");
  providers.action(async (_opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    const names = keyedNames(await providersOf(ctx));
    printData(ctx, names, () => names.join("\n"));
  });
  keys.addCommand(providers);

  program.addCommand(keys);
}
