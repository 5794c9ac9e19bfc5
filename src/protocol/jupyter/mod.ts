/**
 * Jupyter messaging 5.3: wire format, signing, message builders.
 *
 * @module
 */

export * from "./wire.ts";
export * from "./sign.ts";
export * from "./messages.ts";
