/**
 * The engine worker is started before the command line is parsed, so that the wasm compile
 * and worker start-up overlap with argument parsing and config loading. Commands that run
 * Lua take it from here (or start one if none was started).
 */
import { Engine } from "./handle.ts";

let prestarted: Engine | undefined;

export function prestartEngine(): void {
  prestarted ??= new Engine();
}

export function takeEngine(): Engine {
  const e = prestarted ?? new Engine();
  prestarted = undefined;
  return e;
}
