/**
 * The engine worker is started before the command line is parsed, so that the wasm compile
 * and worker start-up overlap with argument parsing and config loading. Commands that run
 * Lua take it from here (or start one if none was started, or if it is of the other kind).
 */
import { Engine, type EngineStart } from "./handle.ts";

let prestarted: { engine: Engine; interruptible: boolean } | undefined;

export function prestartEngine(start: EngineStart = {}): void {
  prestarted ??= { engine: new Engine(start), interruptible: start.interruptible ?? true };
}

export function takeEngine(start: EngineStart = {}): Engine {
  const p = prestarted;
  prestarted = undefined;
  if (p && p.interruptible === (start.interruptible ?? true)) return p.engine;
  p?.engine.close();
  return new Engine(start);
}
