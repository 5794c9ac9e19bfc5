/**
 * complete_request, inspect_request and is_complete_request: the name at the cursor is
 * found here (code.ts), the engine is asked what it is, and the reply is made from its
 * answer and the standard library's docs (lua_docs.ts).
 */
import type { EngineQuery, QueryAnswer } from "../engine/shared/protocol.ts";
import type { JsonObject } from "../protocol/jupyter/wire.ts";
import { codePoints, codeUnitIndex, nameAt, nameBefore, nextIndent } from "./code.ts";

/** Asks the kernel's engine (EngineSlot.query). */
export type AskEngine = (q: EngineQuery) => Promise<QueryAnswer>;

/** complete_reply's content; `cursorPos` counts code points (-1: the end). */
export async function complete(
  ask: AskEngine,
  code: string,
  cursorPos: number,
): Promise<JsonObject> {
  const end = cursorPos < 0 ? code.length : codeUnitIndex(code, cursorPos);
  const n = nameBefore(code, end);
  const cursorEnd = codePoints(code.slice(0, end));
  const cursorStart = codePoints(code.slice(0, n.start));
  let matches: string[] = [];
  // A number like `1.` or a position inside a string is not a name to complete.
  if (!/[0-9]$/.test(code.slice(0, n.start)) || n.sep !== "") {
    const a = await ask({ kind: "complete", path: n.path, sep: n.sep, prefix: n.prefix });
    if (a.kind === "complete") matches = a.matches;
  }
  return {
    status: "ok",
    matches,
    cursor_start: cursorStart,
    cursor_end: cursorEnd,
    metadata: {},
  };
}

/** inspect_reply's content: the docs and the value of the name at the cursor. */
export async function inspect(
  ask: AskEngine,
  code: string,
  cursorPos: number,
  detail: number,
): Promise<JsonObject> {
  const cursor = cursorPos < 0 ? code.length : codeUnitIndex(code, cursorPos);
  const path = nameAt(code, cursor);
  const none = { status: "ok", found: false, data: {}, metadata: {} };
  if (!path) return none;
  const a = await ask({ kind: "inspect", path });
  // Loaded at the first inspection: evaluating its tables cost every `exec` ~4%.
  const { LUA_DOCS } = await import("./lua_docs.ts");
  const name = path.join(".");
  const doc = LUA_DOCS[name];
  if (a.kind !== "inspect" || !a.found) {
    // Keywords and names not (yet) defined still have docs if they are standard ones.
    if (!doc) return none;
    return { status: "ok", found: true, data: docBundle(name, doc, undefined), metadata: {} };
  }
  const stdDoc = a.stdlib ? LUA_DOCS[a.stdlib] : doc;
  const lines: string[] = [];
  if (a.stdlib && a.stdlib !== name) lines.push(`${name} is ${a.stdlib}`);
  lines.push(`type: ${a.type}`);
  if (a.length !== undefined) lines.push(`length: ${a.length}`);
  if (a.fields && a.fields.length > 0) lines.push(`fields: ${a.fields.join(", ")}`);
  if (a.hasMetatable) lines.push("has a metatable");
  if (!(a.stdlib && stdDoc)) {
    lines.push(`value: ${detail > 0 ? a.repr : a.repr.slice(0, 500)}`);
  }
  return {
    status: "ok",
    found: true,
    data: docBundle(a.stdlib ?? name, stdDoc, lines.join("\n")),
    metadata: {},
  };
}

/** is_complete_reply's content, with the next line's indent when incomplete. */
export async function isComplete(ask: AskEngine, code: string): Promise<JsonObject> {
  if (code.trim() === "") return { status: "complete" };
  const a = await ask({ kind: "is_complete", code });
  if (a.kind !== "is_complete") return { status: "unknown" };
  if (a.status === "incomplete") return { status: "incomplete", indent: nextIndent(code) };
  return { status: a.status };
}

function docBundle(
  name: string,
  doc: [string, string] | undefined,
  details: string | undefined,
): JsonObject {
  const plain: string[] = [];
  const md: string[] = [];
  if (doc) {
    plain.push(doc[0], "", doc[1]);
    md.push("```lua\n" + doc[0] + "\n```", "", doc[1]);
  } else {
    plain.push(name);
    md.push("`" + name + "`");
  }
  if (details) {
    plain.push("", details);
    md.push("", "```\n" + details + "\n```");
  }
  return { "text/plain": plain.join("\n"), "text/markdown": md.join("\n") };
}
