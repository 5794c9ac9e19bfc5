/**
 * Hit conditions of breakpoints (`N`, `>= N`, `== N`, `% N`, also `>`, `<`, `<=`, `=`)
 * and logpoint messages (`text {expr} text`).
 */

export type HitTest = (hits: number) => boolean;

/** Parses a hit condition; a bare number means "from the Nth hit on" (`>= N`). */
export function parseHitCondition(text: string): HitTest | string {
  const m = /^\s*(>=|<=|==|=|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) return `invalid hit condition '${text}' (use N, >= N, == N or % N)`;
  const n = Number(m[2]);
  switch (m[1] ?? ">=") {
    case ">=":
      return (h) => h >= n;
    case "<=":
      return (h) => h <= n;
    case "==":
    case "=":
      return (h) => h === n;
    case ">":
      return (h) => h > n;
    case "<":
      return (h) => h < n;
    default:
      if (n === 0) return "invalid hit condition '% 0'";
      return (h) => h % n === 0;
  }
}

/** Splits a log message into literal text and `{expression}` parts (`{{` is a brace). */
export function parseLogMessage(msg: string): { text: string[]; exprs: string[] } {
  const text: string[] = [];
  const exprs: string[] = [];
  let cur = "";
  let i = 0;
  while (i < msg.length) {
    const c = msg[i];
    if (c === "{" && msg[i + 1] === "{") {
      cur += "{";
      i += 2;
    } else if (c === "}" && msg[i + 1] === "}") {
      cur += "}";
      i += 2;
    } else if (c === "{") {
      let depth = 1;
      let j = i + 1;
      while (j < msg.length && depth > 0) {
        if (msg[j] === "{") depth++;
        else if (msg[j] === "}") depth--;
        if (depth > 0) j++;
      }
      text.push(cur);
      cur = "";
      exprs.push(msg.slice(i + 1, j));
      i = j + 1;
    } else {
      cur += c;
      i++;
    }
  }
  text.push(cur);
  return { text, exprs };
}
