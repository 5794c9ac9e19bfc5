/**
 * The llmspell database.
 *
 * @module
 */

export * from "./store.ts";
export * from "./migrations.ts";
export * from "./state.ts";
export * from "./sessions.ts";
export * from "./artifacts.ts";
export * from "./history.ts";
export * from "./key_audit.ts";
export * from "./snapshot.ts";
export * from "./store_lock.ts";
export * from "./restore_swap.ts";
