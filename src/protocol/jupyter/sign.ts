/**
 * HMAC signing of Jupyter messages with the connection key (`signature_scheme`
 * "hmac-sha256"). An empty key disables signing, as the protocol specifies.
 *
 * @module
 */

import { createHmac, timingSafeEqual } from "node:crypto";
import { LlmspellError } from "../../errors.ts";

const encoder = new TextEncoder();

/** Signs and verifies the four JSON frames of a message. */
export class Signer {
  readonly #key: Uint8Array;
  readonly #algorithm: string;

  /** `scheme` is the connection file's `signature_scheme` (hmac-sha256 by default). */
  constructor(key: string | Uint8Array, scheme = "hmac-sha256") {
    this.#key = typeof key === "string" ? encoder.encode(key) : key;
    const m = /^hmac-(sha256|sha384|sha512|sha1|md5)$/.exec(scheme);
    if (!m) {
      throw new LlmspellError({
        code: "jupyter_signature_scheme",
        message: `unsupported signature scheme ${JSON.stringify(scheme)}`,
        hint: 'use "hmac-sha256" in the connection file',
      });
    }
    this.#algorithm = m[1];
  }

  /** False when the key is empty: messages go unsigned and are not checked. */
  get enabled(): boolean {
    return this.#key.length > 0;
  }

  /** The hex signature of the parts ("" without a key). */
  sign(parts: readonly Uint8Array[]): string {
    if (!this.enabled) return "";
    const h = createHmac(this.#algorithm, this.#key);
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }

  /** Checks `signature` against the parts in constant time. */
  verify(signature: string, parts: readonly Uint8Array[]): boolean {
    if (!this.enabled) return true;
    const expected = encoder.encode(this.sign(parts));
    const given = encoder.encode(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** A new random key: 256 bits, hex. */
export function newKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
