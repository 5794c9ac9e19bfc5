/**
 * Lines of stdin, each byte kept (src/byte_string.ts: bytes that are not UTF-8 become lone
 * surrogates, so Lua code and io.read lines keep them). The one line reader of the REPL in a
 * pipe, the terminal debugger's commands and the io.read lines a kernel asks `--connect` for.
 */
import { decodeBytes } from "../byte_string.ts";

/** What lines are read from: stdin, or a test's bytes. */
export interface ByteSource {
  read(p: Uint8Array): Promise<number | null>;
}

export interface LineReaderOptions {
  /**
   * Drop a CR before the newline (input typed or pasted as CRLF). Off for io.read lines,
   * which Lua returns with the CR, as an embedded engine does.
   */
  stripCr: boolean;
}

export class LineReader {
  readonly #source: ByteSource;
  readonly #stripCr: boolean;
  /** Bytes read and not yet returned are `#buf[#start, #end)`; no newline before `#scan`. */
  #buf = new Uint8Array(4096);
  #start = 0;
  #end = 0;
  #scan = 0;
  #eof = false;

  constructor(options: LineReaderOptions, source: ByteSource = Deno.stdin) {
    this.#stripCr = options.stripCr;
    this.#source = source;
  }

  /** The next line without its newline (the last one also without any); null at the end. */
  async read(): Promise<string | null> {
    for (;;) {
      const nl = this.#buf.subarray(0, this.#end).indexOf(10, this.#scan);
      if (nl >= 0) {
        const cr = this.#stripCr && nl > this.#start && this.#buf[nl - 1] === 13;
        return this.#take(cr ? nl - 1 : nl, nl + 1);
      }
      this.#scan = this.#end;
      if (this.#eof) return this.#start < this.#end ? this.#take(this.#end, this.#end) : null;
      await this.#fill();
    }
  }

  /** The bytes from the start to `end` as a line; the next line starts at `next`. */
  #take(end: number, next: number): string {
    const line = decodeBytes(this.#buf.subarray(this.#start, end));
    this.#start = this.#scan = next;
    return line;
  }

  /** Reads more: moves what is left to the front, grows the buffer when it is full. */
  async #fill(): Promise<void> {
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#scan -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buf.length) {
      const bigger = new Uint8Array(this.#buf.length * 2);
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    const n = await this.#source.read(this.#buf.subarray(this.#end));
    if (n === null) this.#eof = true;
    else this.#end += n;
  }
}
