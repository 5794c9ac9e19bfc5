/**
 * What the command line asks for, read before any command module loads: main.ts starts the
 * engine worker from it, and program.ts loads only the modules of the command named.
 */

/** The global flags that take a value (see withGlobalOptions in command.ts). */
const VALUE_FLAGS = new Set(["-c", "--config", "--trace", "--output"]);

export interface CommandLine {
  /** The first word that is not a flag (or a flag's value): it names the command. */
  word?: string;
  /** The flags before it, without the values of those that take one. */
  flags: string[];
}

export function readCommandLine(argv: string[]): CommandLine {
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) return { word: a, flags };
    flags.push(a);
    if (VALUE_FLAGS.has(a)) i++;
  }
  return { flags };
}
