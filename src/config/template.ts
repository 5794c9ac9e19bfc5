/**
 * The file `llmspell config init` writes, generated from the schema.
 *
 * Every key appears with its description and default, commented out (`# key = value`):
 * the file documents the defaults without pinning them, so a later release's better
 * defaults still apply to keys the user never touched. Section headers are active, so
 * uncommenting a key is the only edit needed. Uncommenting every `# key = value` line
 * yields a valid file equal to the defaults (a unit test checks this).
 *
 * @module
 */

import { stringify } from "smol-toml";
import { dirname } from "../path.ts";
import { LlmspellError } from "../errors.ts";
import { FieldSpec, FieldValue, MapSpec, SCHEMA, SectionSpec } from "./schema.ts";

const WIDTH = 92;

/** The commented TOML template. */
export function renderInitTemplate(): string {
  const out: string[] = [
    "# llmspell configuration",
    "#",
    ...wrap(
      "Keys are commented out at their defaults: uncomment and edit the ones you want to change. " +
        "`llmspell config validate` checks this file; `llmspell config show` prints the configuration in effect. " +
        "Environment variables beat this file: LLMSPELL_<SECTION>_<KEY>, e.g. " +
        "LLMSPELL_ENGINES_LUA_MAX_MEMORY_BYTES=1073741824, and LLMSPELL_PROVIDERS_<NAME>_<KEY> " +
        "for providers, e.g. LLMSPELL_PROVIDERS_OPENAI_API_KEY.",
    ),
  ];
  renderSection(SCHEMA, [], out);
  return out.join("\n").replace(/\n{3,}/g, "\n\n") + "\n";
}

function wrap(text: string, prefix = "# "): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && prefix.length + line.length + 1 + word.length > WIDTH) {
      lines.push(prefix + line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(prefix + line);
  return lines;
}

/** `key = value` in TOML syntax (smol-toml quotes keys and strings correctly). */
function assignment(key: string, value: FieldValue): string {
  return stringify({ [key]: value }).trim();
}

function fieldLines(key: string, spec: FieldSpec): string[] {
  const lines = wrap(spec.description);
  const notes: string[] = [];
  if (spec.enum !== undefined && spec.type === "string") {
    notes.push(`One of: ${spec.enum.map((e) => JSON.stringify(e)).join(", ")}.`);
  }
  if (spec.enum !== undefined && spec.type === "string[]") {
    notes.push(`Items from: ${spec.enum.join(", ")}.`);
  }
  if (spec.default === undefined) notes.push("Unset by default.");
  if (notes.length > 0) lines.push(...wrap(notes.join(" ")));
  const value = spec.default ?? spec.example;
  if (value !== undefined) lines.push("# " + assignment(key, value));
  return lines;
}

function renderSection(spec: SectionSpec, path: string[], out: string[]): void {
  const fields = Object.entries(spec.fields).filter(([, s]) => s.kind === "field");
  if (path.length > 0 && (fields.length > 0 || spec.extraTables !== undefined)) {
    out.push("", "", ...wrap(spec.description), `[${path.join(".")}]`);
  }
  for (const [key, child] of fields) {
    out.push("", ...fieldLines(key, child as FieldSpec));
  }
  if (spec.extraTables !== undefined) out.push("", ...wrap(spec.extraTables));
  for (const [key, child] of Object.entries(spec.fields)) {
    if (child.kind === "section") renderSection(child, [...path, key], out);
    else if (child.kind === "map") renderMap(child, [...path, key], out);
  }
}

/** A map has no fixed tables: show one example entry, entirely commented out. */
function renderMap(spec: MapSpec, path: string[], out: string[]): void {
  out.push("", "", ...wrap(spec.description), "#", `# [${[...path, spec.example.name].join(".")}]`);
  for (const [key, child] of Object.entries(spec.entry.fields)) {
    if (child.kind !== "field") continue;
    const value = spec.example.values[key] ?? child.default;
    if (value === undefined) {
      out.push(...wrap(`${key}: ${child.description}`, "#   "));
      continue;
    }
    out.push(...wrap(child.description, "#   "), "# " + assignment(key, value));
  }
}

/**
 * Writes the template to `path`, creating parent directories, and returns `path`.
 *
 * @throws LlmspellError `exists` when the file exists and `force` is not set
 */
export async function initConfigFile(
  path: string,
  opts: { force?: boolean } = {},
): Promise<string> {
  await Deno.mkdir(dirname(path), { recursive: true });
  try {
    // createNew makes "check, then write" one step: no race with another writer.
    await Deno.writeTextFile(path, renderInitTemplate(), {
      createNew: !opts.force,
      mode: 0o600,
    });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new LlmspellError({
        code: "exists",
        message: `config file already exists: ${path}`,
        hint: "use --force to overwrite it",
      });
    }
    throw e;
  }
  return path;
}
