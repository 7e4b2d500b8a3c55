// Writes one log event the way cloudflared (zerolog v1.20) does, in its three shapes:
// - console text (logger/create.go → zerolog ConsoleWriter, NoColor when stderr is not a TTY):
//   `<RFC3339 UTC> <LVL> <message> [error=<v>] k=v …`, fields sorted with `error` moved first, string
//   values Go-quoted (strconv.Quote) when they hold spaces, quotes, backslashes, control or non-ASCII bytes;
// - console JSON (`--output json`, logger/console.go): the event decoded into a map and re-encoded, so keys
//   are sorted, duplicates removed and `<>&` HTML-escaped;
// - file JSON (`--logfile`): zerolog's own encoder, keys in emission order, no HTML escaping.
// Pure; the emulated cloudflared and tests share it.
import type { FieldValue } from './event.js';
import { goQuote } from '../../go/index.js';

/** The levels cloudflared logs at. */
export type WriteLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** One event as zerolog would build it. */
export interface LogWriteEvent {
  readonly level: WriteLevel;
  /** Unix milliseconds; written with second precision in UTC. */
  readonly time: number;
  readonly message: string;
  /** Fields in zerolog emission order; an `error` entry is the `.Err()` value. Duplicate keys are allowed. */
  readonly fields: readonly (readonly [string, FieldValue])[];
}

const CONSOLE_LEVEL: Readonly<Record<WriteLevel, string>> = { debug: 'DBG', info: 'INF', warn: 'WRN', error: 'ERR', fatal: 'FTL' };

/** zerolog's `time.RFC3339` timestamp of a UTC time: `2026-08-20T10:00:00Z`. */
export function rfc3339Seconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Node writes lone surrogates as U+FFFD; do the same before any encoding so all shapes agree. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** zerolog ConsoleWriter's needsQuote: any byte < 0x20 or > 0x7e, a space, a backslash or a quote. */
export function consoleNeedsQuote(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x20 || c === 0x5c || c === 0x22) return true;
  }
  return false;
}

/** A JSON number as Go's encoders write one (integers plainly, others shortest round-trip). */
function numberText(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  return Object.is(value, -0) ? '0' : String(value);
}

function consoleValue(value: FieldValue): string {
  if (typeof value === 'string') {
    const text = wellFormed(value);
    return consoleNeedsQuote(text) ? goQuote(text) : text;
  }
  if (typeof value === 'number') return numberText(value);
  return value === null ? 'null' : String(value);
}

/** The map the console writers decode the event into: last value of a key wins, as in Go. */
function decodedMap(event: LogWriteEvent): Map<string, FieldValue> {
  const map = new Map<string, FieldValue>();
  for (const [key, value] of event.fields) {
    if (key === 'level' || key === 'time' || key === 'message') continue;
    map.set(key, value);
  }
  return map;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** zerolog's colorize: `\x1b[<c>m…\x1b[0m`. */
const paint = (text: string, code: number): string => `\x1b[${String(code)}m${text}\x1b[0m`;

/** ConsoleWriter's level colours (v1.20): WRN red, ERR/FTL bold red, INF green, DBG yellow. */
const LEVEL_PAINT: Readonly<Record<WriteLevel, (text: string) => string>> = {
  debug: (t) => paint(t, 33),
  info: (t) => paint(t, 32),
  warn: (t) => paint(t, 31),
  error: (t) => paint(paint(t, 31), 1),
  fatal: (t) => paint(paint(t, 31), 1),
};

/** The console line (no trailing newline); `color` is what ConsoleWriter does when stderr is a terminal. */
export function formatConsoleLine(event: LogWriteEvent, options: { readonly color?: boolean } = {}): string {
  const map = decodedMap(event);
  const keys = [...map.keys()].sort(byteOrder);
  const errorAt = keys.indexOf('error');
  if (errorAt > 0) {
    keys.splice(errorAt, 1);
    keys.unshift('error');
  }
  // Parts are time, level, (caller), message, each followed by a space except the last (message);
  // an empty message is skipped, which leaves the level's trailing space before the fields' space.
  const color = options.color === true;
  const time = rfc3339Seconds(event.time);
  const level = CONSOLE_LEVEL[event.level];
  let line = color ? `${paint(time, 90)} ${LEVEL_PAINT[event.level](level)} ` : `${time} ${level} `;
  line += wellFormed(event.message);
  if (keys.length > 0) line += ' ';
  line += keys
    .map((key) => {
      const value = consoleValue(map.get(key) ?? null);
      if (!color) return `${key}=${value}`;
      return key === 'error' ? `${paint('error=', 31)}${paint(value, 31)}` : `${paint(`${key}=`, 36)}${value}`;
    })
    .join(' ');
  return line;
}

const HEX = '0123456789abcdef';

/** A JSON string literal; `html` adds encoding/json's (and jsoniter's) escaping of `<>&` and U+2028/9. */
export function goJsonString(text: string, html: boolean): string {
  let out = '"';
  for (const ch of wellFormed(text)) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (!html && ch === '\b') out += '\\b';
    else if (!html && ch === '\f') out += '\\f';
    else if (c < 0x20 || (html && (ch === '<' || ch === '>' || ch === '&'))) out += `\\u00${HEX[c >> 4] ?? '0'}${HEX[c & 15] ?? '0'}`;
    else if (html && (c === 0x2028 || c === 0x2029)) out += `\\u${c.toString(16)}`;
    else out += ch;
  }
  return `${out}"`;
}

function jsonValue(value: FieldValue, html: boolean): string {
  if (typeof value === 'string') return goJsonString(value, html);
  if (typeof value === 'number') return numberText(value);
  return value === null ? 'null' : String(value);
}

/** The `--output json` console line: keys sorted, `message` absent when empty (no trailing newline). */
export function formatConsoleJson(event: LogWriteEvent): string {
  const map = decodedMap(event);
  map.set('level', event.level);
  map.set('time', rfc3339Seconds(event.time));
  if (event.message !== '') map.set('message', event.message);
  const keys = [...map.keys()].sort(byteOrder);
  return `{${keys.map((key) => `${goJsonString(key, true)}:${jsonValue(map.get(key) ?? null, true)}`).join(',')}}`;
}

/** The `--logfile` line: `level`, fields as emitted, `time`, then `message` when not empty. */
export function formatFileJson(event: LogWriteEvent): string {
  const parts = [`"level":${goJsonString(event.level, false)}`];
  for (const [key, value] of event.fields) parts.push(`${goJsonString(key, false)}:${jsonValue(value, false)}`);
  parts.push(`"time":${goJsonString(rfc3339Seconds(event.time), false)}`);
  if (event.message !== '') parts.push(`"message":${goJsonString(event.message, false)}`);
  return `{${parts.join(',')}}`;
}
