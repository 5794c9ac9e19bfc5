/** A cell's stream output (stdout, stderr) as IOPub stream messages. */
import { concat } from "../bytes.ts";
import { StreamDecoder } from "../byte_string.ts";

/**
 * Stream output to messages: decoded per stream, bytes that are not UTF-8 kept
 * (src/byte_string.ts); with coalescing, consecutive chunks of one stream become one
 * message, sent at the latest after 2 ms.
 */
export class StreamOut {
  readonly #emit: (name: "stdout" | "stderr", text: string, bytes: Uint8Array) => void;
  readonly #coalesce: boolean;
  readonly #decoders = { stdout: new StreamDecoder(), stderr: new StreamDecoder() };
  #name: "stdout" | "stderr" | undefined;
  #chunks: Uint8Array[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    emit: (name: "stdout" | "stderr", text: string, bytes: Uint8Array) => void,
    coalesce: boolean,
  ) {
    this.#emit = emit;
    this.#coalesce = coalesce;
  }

  write(name: "stdout" | "stderr", data: Uint8Array): void {
    if (!this.#coalesce) {
      this.#emit(name, this.#decoders[name].decode(data), data);
      return;
    }
    if (this.#name !== undefined && this.#name !== name) this.flush();
    this.#name = name;
    this.#chunks.push(data);
    this.#timer ??= setTimeout(() => this.flush(), 2);
  }

  /** Flushes, and sends what is left of a UTF-8 sequence the output cut short. */
  end(): void {
    this.flush();
    for (const name of ["stdout", "stderr"] as const) {
      const rest = this.#decoders[name].end();
      // Its bytes went out with the chunks that held them.
      if (rest !== "") this.#emit(name, rest, new Uint8Array());
    }
  }

  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const name = this.#name;
    if (name === undefined || this.#chunks.length === 0) return;
    const bytes = this.#chunks.length === 1 ? this.#chunks[0] : concat(this.#chunks);
    this.#chunks = [];
    this.#name = undefined;
    this.#emit(name, this.#decoders[name].decode(bytes), bytes);
  }
}
