// Timestamps that appear in cloudflared output and its wrappers, read by hand (no Date.parse) so that
// impossible dates such as Feb 30 are rejected instead of rolled over, and so the hot path stays cheap.

/** Reads `count` ASCII digits at `at`; -1 if any is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Unix milliseconds for a calendar date and time, or undefined when a part is out of range. */
function utcMillis(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms;
}

/** Where the run of digits starting at `at` ends. */
function digitsEnd(text: string, at: number): number {
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

/** Milliseconds of a fraction of a second written as the digits text[from, to). */
function fractionMillis(text: string, from: number, to: number): number {
  let ms = 0;
  let scale = 100;
  for (let i = from; i < to && scale >= 1; i++, scale /= 10) ms += (text.charCodeAt(i) - 48) * scale;
  return ms;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** True when text[at] and text[at + 1] are digits. */
function isPair(text: string, at: number): boolean {
  return isDigit(text.charCodeAt(at)) && isDigit(text.charCodeAt(at + 1));
}

/** Length of `2026-08-20T10:00:00`, the part before fraction and zone. */
const DATE_TIME_LENGTH = 19;

/**
 * End index of an RFC 3339 date-time at `at` (`2026-08-20T10:00:00Z`, with optional fraction and a
 * `±hh:mm` or journald's `±hhmm` offset), or -1 when the text there is not shaped like one.
 */
export function rfc3339End(text: string, at: number): number {
  const t = text.charCodeAt(at + 10);
  if (
    text.charCodeAt(at + 4) !== 45 ||
    text.charCodeAt(at + 7) !== 45 ||
    (t !== 84 && t !== 116) ||
    text.charCodeAt(at + 13) !== 58 ||
    text.charCodeAt(at + 16) !== 58 ||
    !isPair(text, at) ||
    !isPair(text, at + 2) ||
    !isPair(text, at + 5) ||
    !isPair(text, at + 8) ||
    !isPair(text, at + 11) ||
    !isPair(text, at + 14) ||
    !isPair(text, at + 17)
  ) {
    return -1;
  }
  let i = at + DATE_TIME_LENGTH;
  const dot = text.charCodeAt(i);
  if (dot === 46 || dot === 44) {
    const end = digitsEnd(text, i + 1);
    if (end === i + 1) return -1;
    i = end;
  }
  const zone = text.charCodeAt(i);
  if (zone === 90 || zone === 122) return i + 1;
  if (zone !== 43 && zone !== 45) return -1;
  const colon = text.charCodeAt(i + 3) === 58 ? 1 : 0;
  if (!isPair(text, i + 1) || !isPair(text, i + 3 + colon)) return -1;
  return i + 5 + colon;
}

/** Two digits at `at` as a number, or -1 when either is not a digit. */
function digitPair(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  // Branch-free range check: a value outside 0..9 makes d or 9 - d negative.
  return (a | (9 - a) | b | (9 - b)) < 0 ? -1 : a * 10 + b;
}

// One pass over the digits: this runs once per JSON line.
/** Unix ms of the RFC 3339 date-time spanning exactly text[at, end); undefined if it is not one or is impossible. */
export function rfc3339Value(text: string, at: number, end: number): number | undefined {
  // The length check first keeps every read below inside the text (charCodeAt past the end is NaN).
  if (end - at < DATE_TIME_LENGTH + 1 || end > text.length) return undefined;
  const century = digitPair(text, at);
  const yy = digitPair(text, at + 2);
  const month = digitPair(text, at + 5);
  const day = digitPair(text, at + 8);
  const hour = digitPair(text, at + 11);
  const minute = digitPair(text, at + 14);
  const second = digitPair(text, at + 17);
  const t = text.charCodeAt(at + 10);
  if (
    (century | yy | month | day | hour | minute | second) < 0 ||
    text.charCodeAt(at + 4) !== 45 ||
    text.charCodeAt(at + 7) !== 45 ||
    (t !== 84 && t !== 116) ||
    text.charCodeAt(at + 13) !== 58 ||
    text.charCodeAt(at + 16) !== 58
  ) {
    return undefined;
  }
  let i = at + DATE_TIME_LENGTH;
  let ms = 0;
  const dot = text.charCodeAt(i);
  if (dot === 46 || dot === 44) {
    const fractionEnd = digitsEnd(text, i + 1);
    if (fractionEnd === i + 1) return undefined;
    ms = fractionMillis(text, i + 1, fractionEnd);
    i = fractionEnd;
  }
  let offsetMinutes = 0;
  const zone = text.charCodeAt(i);
  if (zone === 90 || zone === 122) {
    i++;
  } else if (zone === 43 || zone === 45) {
    const colon = text.charCodeAt(i + 3) === 58 ? 1 : 0;
    const oh = digitPair(text, i + 1);
    const om = digitPair(text, i + 3 + colon);
    if ((oh | om) < 0) return undefined;
    offsetMinutes = (zone === 45 ? -1 : 1) * (oh * 60 + om);
    i += 5 + colon;
  } else {
    return undefined;
  }
  if (i !== end) return undefined;
  const local = utcMillis(century * 100 + yy, month, day, hour, minute, second, ms);
  return local === undefined ? undefined : local - offsetMinutes * 60_000;
}

// zerolog writes whole seconds, so a flood's lines carry the same time string thousands of times in a row.
let lastText = '';
let lastValue: number | undefined;

/** Unix milliseconds of a whole RFC 3339 string, or undefined when it is not one. */
export function parseRfc3339(text: string): number | undefined {
  if (text !== lastText) {
    lastValue = rfc3339Value(text, 0, text.length);
    lastText = text;
  }
  return lastValue;
}

/** A Go standard library `log` prefix (`2022/10/05 11:29:35`, optionally `.123456`) at the start of a line. */
export interface GoLogTime {
  readonly time: string;
  readonly timestamp: number | undefined;
  /** Index just after the time. */
  readonly end: number;
}

/** Reads a Go `log` date/time prefix, read as UTC because the writer's zone is unknown. */
export function scanGoLogTime(text: string): GoLogTime | undefined {
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const s = digits(text, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return undefined;
  if (text[4] !== '/' || text[7] !== '/' || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':') return undefined;
  let end = 19;
  let ms = 0;
  if (text[end] === '.') {
    const fracEnd = digitsEnd(text, end + 1);
    if (fracEnd === end + 1) return undefined;
    ms = fractionMillis(text, end + 1, fracEnd);
    end = fracEnd;
  }
  if (end < text.length && text[end] !== ' ') return undefined;
  return { time: text.slice(0, end), timestamp: utcMillis(y, mo, d, h, mi, s, ms), end };
}

/** Unix milliseconds for a numeric zerolog time (seconds, ms, µs or ns since the epoch, told apart by size). */
export function unixToMillis(value: number): number | undefined {
  if (!Number.isFinite(value)) return undefined;
  const abs = Math.abs(value);
  const ms = abs < 1e11 ? value * 1000 : abs < 1e14 ? value : abs < 1e17 ? value / 1000 : value / 1e6;
  return Math.abs(ms) <= 8.64e15 ? ms : undefined;
}
