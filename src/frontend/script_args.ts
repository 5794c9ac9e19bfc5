import type { ScriptArgs } from "../engine/shared/protocol.ts";

/**
 * Script arguments → ARGS: `--key value` and `--key=value` → ARGS.key, a bare `--flag`
 * (followed by another flag or nothing) → "true", anything else → ARGS[1..]; after a bare
 * `--` everything is positional. `raw` keeps the arguments as given, for Lua's `arg`.
 */
export function parseScriptArgs(script: string, raw: string[]): ScriptArgs {
  const named: Record<string, string> = {};
  const positional: string[] = [];
  let onlyPositional = false;
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i];
    if (onlyPositional || !a.startsWith("--") || a === "--") {
      if (a === "--" && !onlyPositional) onlyPositional = true;
      else positional.push(a);
      continue;
    }
    const body = a.slice(2);
    const eq = body.indexOf("=");
    if (eq >= 0) {
      named[body.slice(0, eq)] = body.slice(eq + 1);
    } else if (i + 1 < raw.length && !raw[i + 1].startsWith("--")) {
      named[body] = raw[++i];
    } else {
      named[body] = "true";
    }
  }
  return { script, raw, named, positional };
}
