// Turns whatever a reader handed us into one clean line of text: decoded, without line ending,
// byte-order mark or terminal colour codes.

// Not fatal: invalid UTF-8 becomes U+FFFD instead of throwing. decode() without {stream} keeps no state.
const utf8 = new TextDecoder('utf-8');

/** Decodes bytes as UTF-8 with replacement characters; strings pass through. */
export function toText(line: string | Uint8Array): string {
  return typeof line === 'string' ? line : utf8.decode(line);
}

const ESC = 0x1b;

function inRange(c: number, lo: number, hi: number): boolean {
  return c >= lo && c <= hi;
}

/** Removes ANSI escapes (CSI such as zerolog's colours, OSC, two-byte), including a truncated one at the end. */
export function stripAnsi(text: string): string {
  let i = text.indexOf('\x1b');
  if (i === -1) return text;
  const n = text.length;
  let out = '';
  let from = 0;
  while (i !== -1) {
    out += text.slice(from, i);
    const kind = text.charCodeAt(i + 1);
    let j = i + 2;
    if (kind === 0x5b) {
      while (j < n && inRange(text.charCodeAt(j), 0x30, 0x3f)) j++;
      while (j < n && inRange(text.charCodeAt(j), 0x20, 0x2f)) j++;
      if (j < n && inRange(text.charCodeAt(j), 0x40, 0x7e)) j++;
    } else if (kind === 0x5d) {
      while (j < n) {
        const c = text.charCodeAt(j++);
        if (c === 0x07) break;
        if (c === ESC && text.charCodeAt(j) === 0x5c) {
          j++;
          break;
        }
      }
    } else if (!inRange(kind, 0x20, 0x7e)) {
      j = i + 1;
    }
    from = j;
    i = text.indexOf('\x1b', from);
  }
  return out + text.slice(from);
}

/** The line without its `\n`/`\r\n` ending or a leading byte-order mark. */
export function stripLineEnd(text: string): string {
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== 10 && c !== 13) break;
    end--;
  }
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}
