// Go string literals as written by strconv.Quote: zerolog's console writer quotes field values with it, and Go
// error texts quote values with it. Reading them back (unquoteGo) and writing them (goQuote) live together.

const REPLACEMENT = '\uFFFD';

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/** Index of the `"` closing the literal that opens at `open`, or -1 when it is never closed. */
export function findClosingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  return -1;
}

function hexValue(text: string, at: number, count: number, limit: number): number {
  if (at + count > limit) return -1;
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = parseInt(text.charAt(i), 16);
    if (Number.isNaN(digit)) return -1;
    value = value * 16 + digit;
  }
  return value;
}

function octalValue(text: string, at: number, limit: number): number {
  if (at + 3 > limit) return -1;
  let value = 0;
  for (let i = at; i < at + 3; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 7) return -1;
    value = value * 8 + c;
  }
  return value > 255 ? -1 : value;
}

/** A `\x`/octal byte: Go only writes bytes ≥ 0x80 this way when they are not valid UTF-8. */
function fromByte(value: number): string {
  return value < 0x80 ? String.fromCharCode(value) : REPLACEMENT;
}

function fromCodePoint(value: number): string {
  return value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff) ? REPLACEMENT : String.fromCodePoint(value);
}

/** Decodes the escape at text[at] === '\\' (reading before `limit`); returns its text and length. */
function decodeEscape(text: string, at: number, limit: number): [string, number] {
  const kind = at + 1 < limit ? text.charAt(at + 1) : '';
  const simple = SIMPLE_ESCAPES[kind];
  if (simple !== undefined) return [simple, 2];
  let value = -1;
  let length = 0;
  if (kind === 'x') [value, length] = [hexValue(text, at + 2, 2, limit), 4];
  else if (kind === 'u') [value, length] = [hexValue(text, at + 2, 4, limit), 6];
  else if (kind === 'U') [value, length] = [hexValue(text, at + 2, 8, limit), 10];
  else if (kind >= '0' && kind <= '7') [value, length] = [octalValue(text, at + 1, limit), 4];
  if (value < 0) return ['\\', 1];
  return [kind === 'u' || kind === 'U' ? fromCodePoint(value) : fromByte(value), length];
}

/** The value of the Go string literal text[open..close] (quotes included); a malformed escape is kept as written. */
export function unquoteGo(text: string, open: number, close: number): string {
  // Work on the literal's body alone: every search stays inside it, keeping the caller's pass linear.
  const body = text.slice(open + 1, close);
  let backslash = body.indexOf('\\');
  if (backslash === -1) return body;
  let out = '';
  let from = 0;
  while (backslash !== -1) {
    out += body.slice(from, backslash);
    const [decoded, used] = decodeEscape(body, backslash, body.length);
    out += decoded;
    from = backslash + used;
    backslash = body.indexOf('\\', from);
  }
  return out + body.slice(from);
}

const QUOTE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** Go's strconv.Quote: a double-quoted Go string literal. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const esc = QUOTE_ESCAPES[ch];
    if (esc !== undefined) out += esc;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (ch !== ' ' && /[\p{C}\p{Z}]/u.test(ch)) {
      out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}
