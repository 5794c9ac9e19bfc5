/**
 * How `session show` prints the records of LLM and tool calls (the rest of the timeline is
 * session_cmd.ts): a model call as its provider/model, time, tokens and cost, then what was
 * new in the request (the user's message, the tools' results) and the answer (its text or
 * the tools it called); a tool call as its name, inputs and output.
 *
 * @module
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

/** The longest piece of a text a line shows. */
const MAX_TEXT = 300;
const INDENT = "          ";

const isObj = (v: Json | undefined): v is Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v);

const shortText = (s: string) => s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) + "…" : s;

/** Keys in order: Lua's order of a table's keys changes from run to run. */
const sortKeys = (_k: string, v: Json) =>
  isObj(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a < b ? -1 : 1)) : v;

/** A value as one line of JSON, its keys sorted (an empty table, written `{}`, stays `{}`). */
const inline = (v: Json | undefined) => shortText(JSON.stringify(v ?? null, sortKeys));

/** A message's text, on indented lines under its label. */
function labelled(label: string, text: string): string {
  const lines = shortText(text).replace(/\n$/, "").split("\n");
  return [`${INDENT}${label}: ${lines[0]}`, ...lines.slice(1).map((l) => `${INDENT}  ${l}`)]
    .join("\n");
}

const list = (v: Json | undefined): Json[] => Array.isArray(v) ? v : [];

function calls(tcs: Json | undefined): string {
  return list(tcs).map((c) => isObj(c) ? `${c.name}(${inline(c.arguments)})` : inline(c))
    .join(", ");
}

/** The messages of this turn: those after the request's last assistant message. */
function newMessages(req: Obj): string[] {
  const messages = list(req.messages).filter(isObj);
  let from = 0;
  messages.forEach((m, i) => {
    if (m.role === "assistant") from = i + 1;
  });
  const out = from === 0 && typeof req.system === "string" ? [labelled("system", req.system)] : [];
  for (const m of messages.slice(from)) {
    const text = typeof m.content === "string" ? m.content : inline(m.content);
    out.push(labelled(m.role === "tool" ? `tool ${m.name ?? ""}`.trimEnd() : String(m.role), text));
  }
  return out;
}

function usageText(answer: Obj): string {
  const u = isObj(answer.usage) ? answer.usage : {};
  const parts = [
    typeof answer.started_ms === "number" && typeof answer.ended_ms === "number"
      ? `${Math.round(answer.ended_ms - answer.started_ms)} ms`
      : "",
    `${u.input_tokens ?? 0} + ${u.output_tokens ?? 0} tokens`,
    typeof answer.cost_usd === "number" ? `$${answer.cost_usd.toFixed(6)}` : "",
  ];
  return parts.filter((p) => p).join(", ");
}

/** The answer's lines: its outcome (done, an error, closed early) and its text or calls. */
function answerLines(kind: string, answer: Json | undefined, message: Json | undefined) {
  if (kind === "closed") return { head: "closed by the script", body: [] };
  // Recorded at its start, written at its end: an interrupt (or a crash) came in between.
  if (kind === "unended") return { head: "did not end: interrupted", body: [] };
  if (kind !== "done" || !isObj(answer)) {
    return { head: `failed: ${answer}: ${message ?? ""}`.trimEnd(), body: [] };
  }
  const body: string[] = [];
  if (typeof answer.text === "string" && answer.text !== "") {
    body.push(labelled("assistant", answer.text));
  }
  if (list(answer.tool_calls).length) body.push(`${INDENT}calls: ${calls(answer.tool_calls)}`);
  return { head: usageText(answer), body };
}

/**
 * The lines of a record of an LLM or a tool call (`head` is the record's first line, its
 * step and time), or undefined for another host call.
 */
export function llmEntry(head: string, d: Obj): string | undefined {
  const args = list(d.args);
  const res = list(d.results);
  const failed = typeof d.error === "string" ? `failed: ${d.error}` : undefined;
  switch (d.method) {
    case "llm.chat":
    case "llm.stream": {
      const req = isObj(args[0]) ? args[0] : {};
      // llm.chat: (true, answer) or (false, code, message); llm.stream: (pieces, kind, ...).
      const streamed = d.method === "llm.stream";
      const [kind, answer, message] = streamed
        ? [res.length > 1 ? String(res[1]) : "unended", res[2], res[3]]
        : [res[0] === true ? "done" : "error", res[1], res[2]];
      const a = answerLines(kind, answer, message);
      const model = isObj(answer) && answer.provider && answer.model
        ? `${answer.provider}/${answer.model}`
        : String(req.model ?? req.provider ?? "the default model");
      const pieces = !streamed
        ? ""
        : res.length
        ? `, streamed in ${list(res[0]).length} pieces`
        : ", streamed";
      return [`${head}llm ${model} (${a.head}${pieces})`, ...newMessages(req), ...a.body]
        .join("\n");
    }
    case "tool.invoke":
    case "tool.called": {
      const out = failed ?? `-> ${inline(res[0] ?? args[2])}`;
      const name = typeof args[0] === "string" ? args[0] : inline(args[0]);
      const lua = d.method === "tool.called" ? " (Lua)" : "";
      return `${head}tool ${name}${lua} ${inline(args[1])} ${out}`;
    }
  }
  return undefined;
}
