/**
 * Decodes raw terminal input (Deno.stdin in raw mode) into key events: printable text,
 * control keys, Alt+key, the CSI/SS3 sequences of arrows, Home/End, Delete, and bracketed
 * paste (`ESC [200~ … ESC [201~`, delivered as one `paste` event so a pasted block is never
 * executed line by line).
 *
 * Every byte of a chunk is decoded, whatever arrives in one read (a paste in a terminal
 * without bracketed paste, a fast typist, a program driving the terminal): an escape
 * sequence this editor has no key for is consumed whole (ECMA-48's CSI grammar), so the
 * text after it is neither lost nor polluted with its tail. Two readings are specific to
 * such bursts: CR LF is one Enter (not an Enter and an empty line), and a Tab with more
 * input behind it in the same chunk is text (a pasted Tab), where a Tab typed alone
 * completes.
 */
import { StreamDecoder } from "../byte_string.ts";

export type KeyName =
  | "enter"
  | "tab"
  | "backspace"
  | "delete"
  | "escape"
  | "up"
  | "down"
  | "left"
  | "right"
  | "home"
  | "end"
  | "pageup"
  | "pagedown";

export type KeyEvent =
  | { kind: "text"; text: string }
  | { kind: "key"; name: KeyName; ctrl?: boolean; alt?: boolean }
  /** Ctrl+letter, lower case: "a" for Ctrl+A. */
  | { kind: "ctrl"; key: string }
  /** Alt+character (ESC followed by the character). */
  | { kind: "alt"; key: string }
  | { kind: "paste"; text: string }
  /** An escape sequence that names no key here (F5, a mouse report): it does nothing. */
  | { kind: "unknown"; sequence: string };

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

const CSI_FINAL: Record<string, KeyName> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
};

const CSI_TILDE: Record<string, KeyName> = {
  "1": "home",
  "7": "home",
  "4": "end",
  "8": "end",
  "3": "delete",
  "5": "pageup",
  "6": "pagedown",
};

/**
 * Stateful decoder: feed it chunks as they arrive; an incomplete escape sequence or UTF-8
 * character at the end of a chunk waits for the next one.
 */
export class KeyDecoder {
  #pending = "";
  #paste: string | undefined;
  /** Bytes that are not UTF-8 (a pasted Latin-1 string) are kept (src/byte_string.ts). */
  readonly #utf8 = new StreamDecoder();

  /** Decodes a chunk into the events it completes. */
  feed(bytes: Uint8Array): KeyEvent[] {
    this.#pending += this.#utf8.decode(bytes);
    return this.#drain(false);
  }

  /**
   * Takes a lone ESC (or an unfinished sequence) as typed: called when no more input came
   * soon after it, so Esc alone works as a key.
   */
  flush(): KeyEvent[] {
    return this.#drain(true);
  }

  get hasPending(): boolean {
    return this.#pending.length > 0;
  }

  #drain(final: boolean): KeyEvent[] {
    const out: KeyEvent[] = [];
    let s = this.#pending;
    let text = "";
    const flushText = () => {
      if (text) out.push({ kind: "text", text });
      text = "";
    };
    while (s.length > 0) {
      if (this.#paste !== undefined) {
        const end = s.indexOf(PASTE_END);
        if (end < 0) {
          // Keep a possible partial end marker for the next chunk.
          const keep = partialSuffix(s, PASTE_END);
          this.#paste += s.slice(0, s.length - keep);
          s = s.slice(s.length - keep);
          break;
        }
        this.#paste += s.slice(0, end);
        out.push({ kind: "paste", text: this.#paste.replace(/\r\n?/g, "\n") });
        this.#paste = undefined;
        s = s.slice(end + PASTE_END.length);
        continue;
      }
      const c = s[0];
      if (c === "\x1b") {
        flushText();
        if (s.startsWith(PASTE_START)) {
          this.#paste = "";
          s = s.slice(PASTE_START.length);
          continue;
        }
        const parsed = parseEscape(s);
        if (parsed === undefined) {
          if (!final) break;
          out.push({ kind: "key", name: "escape" });
          s = s.slice(1);
          continue;
        }
        out.push(parsed.event);
        s = s.slice(parsed.length);
        continue;
      }
      const code = c.charCodeAt(0);
      if (code === 13 || code === 10) {
        flushText();
        out.push({ kind: "key", name: "enter" });
        if (code === 13 && s[1] === "\n") s = s.slice(1);
      } else if (code === 9 && s.length > 1) {
        text += c;
      } else if (code === 9) {
        flushText();
        out.push({ kind: "key", name: "tab" });
      } else if (code === 127 || code === 8) {
        flushText();
        out.push({ kind: "key", name: "backspace" });
      } else if (code < 32) {
        flushText();
        out.push({ kind: "ctrl", key: String.fromCharCode(code + 96) });
      } else {
        text += c;
      }
      s = s.slice(1);
    }
    flushText();
    this.#pending = s;
    return out;
  }
}

/** Length of the longest suffix of `s` that is a prefix of `marker`. */
function partialSuffix(s: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, s.length); n > 0; n--) {
    if (marker.startsWith(s.slice(s.length - n))) return n;
  }
  return 0;
}

/**
 * CSI (ECMA-48): ESC [, parameter bytes 0x30-0x3F, intermediate bytes 0x20-0x2F, one final
 * byte 0x40-0x7E. Mouse reports (`ESC [<0;3;4M`), focus events and replies to queries
 * (`ESC [?1;2c`) have this form too.
 */
// deno-lint-ignore no-control-regex
const CSI = /^\x1b\[([\x30-\x3f]*)([\x20-\x2f]*)([\x40-\x7e])/;
// deno-lint-ignore no-control-regex
const CSI_PREFIX = /^\x1b\[[\x30-\x3f]*[\x20-\x2f]*$/;
/** SS3: ESC O, then (xterm) modifier digits, then one final letter. */
// deno-lint-ignore no-control-regex
const SS3 = /^\x1bO([0-9;]*)([A-Za-z])/;
// deno-lint-ignore no-control-regex
const SS3_PREFIX = /^\x1bO[0-9;]*$/;

/** Parses one escape sequence at the start of `s`; undefined when it is still incomplete. */
function parseEscape(s: string): { event: KeyEvent; length: number } | undefined {
  if (s.length < 2) return undefined;
  const second = s[1];
  if (second === "[" || second === "O") {
    const csi = second === "[";
    const m = (csi ? CSI : SS3).exec(s);
    if (!m) {
      if ((csi ? CSI_PREFIX : SS3_PREFIX).test(s)) return undefined;
      // Not a sequence after all: a lone Esc, then the rest as typed.
      return { event: { kind: "key", name: "escape" }, length: 1 };
    }
    const all = m[0];
    const params = m[1];
    const final = csi ? m[3] : m[2];
    const unknown: KeyEvent = { kind: "unknown", sequence: all };
    // Private parameters (`?`, `<`) or intermediates: a report or reply, not a key.
    if (csi && (m[2] !== "" || !/^[0-9;]*$/.test(params))) {
      return { event: unknown, length: all.length };
    }
    const parts = params.split(";");
    const mod = parts.length > 1 ? Number(parts[1]) - 1 : 0;
    const flags = { ctrl: (mod & 4) !== 0 || undefined, alt: (mod & 2) !== 0 || undefined };
    let name: KeyName | undefined;
    if (final === "~") name = CSI_TILDE[parts[0]];
    else name = CSI_FINAL[final];
    if (!name) return { event: unknown, length: all.length };
    return { event: { kind: "key", name, ...clean(flags) }, length: all.length };
  }
  if (second === "\x7f" || second === "\b") {
    return { event: { kind: "alt", key: "backspace" }, length: 2 };
  }
  if (second === "\r") return { event: { kind: "alt", key: "enter" }, length: 2 };
  if (second === "\x1b") return { event: { kind: "key", name: "escape" }, length: 1 };
  return { event: { kind: "alt", key: second }, length: 2 };
}

function clean(flags: { ctrl?: boolean; alt?: boolean }): { ctrl?: boolean; alt?: boolean } {
  const out: { ctrl?: boolean; alt?: boolean } = {};
  if (flags.ctrl) out.ctrl = true;
  if (flags.alt) out.alt = true;
  return out;
}
