/**
 * Configuration: schema, loading, validation, the init template and `config show`.
 *
 * @module
 */

export * from "./schema.ts";
export * from "./paths.ts";
export * from "./diagnostics.ts";
export * from "./load.ts";
export { expectedText, formatKeyPath } from "./check.ts";
export { envOverrideNames } from "./env.ts";
export * from "./template.ts";
export * from "./show.ts";
export { KeyLocator } from "./locate.ts";
export type { KeyPath, Position } from "./locate.ts";
