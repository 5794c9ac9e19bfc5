/**
 * HMAC signing of Jupyter messages with the connection key (`signature_scheme`
 * "hmac-sha256"). An empty key disables signing, as the protocol specifies.
 *
 * hmac-sha256, the scheme of every connection file Jupyter and llmspell write, is signed in
 * TypeScript (hmac_sha256.ts), not with node:crypto: docs/decisions/0017-hmac-in-typescript.md.
 * The other schemes the protocol allows load node:crypto when a connection file asks for one.
 *
 * @module
 */

import { LlmspellError } from "../../errors.ts";
import { HmacSha256, toHex } from "./hmac_sha256.ts";

const encoder = new TextEncoder();

/** The hex MAC of the parts, one after the other. */
type Mac = (parts: readonly Uint8Array[]) => string;

/** Signs and verifies the four JSON frames of a message. */
export class Signer {
  readonly #mac: Mac | undefined;

  /** An hmac-sha256 signer; see `forScheme` for the others. */
  constructor(key: string | Uint8Array, mac?: (key: Uint8Array) => Mac) {
    const k = typeof key === "string" ? encoder.encode(key) : key;
    if (k.length === 0) return;
    if (mac) this.#mac = mac(k);
    else {
      const h = new HmacSha256(k);
      this.#mac = (parts) => toHex(h.mac(parts));
    }
  }

  /** A signer for a connection file's `signature_scheme`. */
  static async forScheme(key: string | Uint8Array, scheme = "hmac-sha256"): Promise<Signer> {
    const m = /^hmac-(sha256|sha384|sha512|sha1|md5)$/.exec(scheme);
    if (!m) {
      throw new LlmspellError({
        code: "jupyter_signature_scheme",
        message: `unsupported signature scheme ${JSON.stringify(scheme)}`,
        hint: 'use "hmac-sha256" in the connection file',
      });
    }
    const algorithm = m[1];
    if (algorithm === "sha256") return new Signer(key);
    const { createHmac } = await import("node:crypto");
    return new Signer(key, (k) => (parts) => {
      const h = createHmac(algorithm, k);
      for (const p of parts) h.update(p);
      return h.digest("hex");
    });
  }

  /** False when the key is empty: messages go unsigned and are not checked. */
  get enabled(): boolean {
    return this.#mac !== undefined;
  }

  /** The hex signature of the parts ("" without a key). */
  sign(parts: readonly Uint8Array[]): string {
    return this.#mac ? this.#mac(parts) : "";
  }

  /** Checks `signature` against the parts in constant time. */
  verify(signature: string, parts: readonly Uint8Array[]): boolean {
    if (!this.#mac) return true;
    const expected = this.#mac(parts);
    if (signature.length !== expected.length) return false;
    let diff = 0;
    for (let i = 0; i < expected.length; i++) {
      diff |= signature.charCodeAt(i) ^ expected.charCodeAt(i);
    }
    return diff === 0;
  }
}

/** A new random key: 256 bits, hex. */
export function newKey(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}
