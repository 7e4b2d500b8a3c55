// The lexical pieces of Go's regexp/syntax parser (parseEscape, parseUnicodeClass, parseClass): they
// consume one escape or bracket expression and fail with Go's exact error text.
import { type ClassItem, perlClass, posixClass, unicodeClass } from './regexp-classes.js';

/** The Perl flags Go's parser tracks: (?i), (?m), (?s), (?U). */
export interface Flags {
  readonly fold: boolean;
  readonly multiLine: boolean;
  readonly dotNL: boolean;
  readonly nonGreedy: boolean;
}

/** A Go regexp syntax error; the message is exactly Go's. */
export class GoSyntaxError extends Error {}

/** Throws Go's `error parsing regexp: <code>: `<expr>`` error. */
export function fail(code: string, expr: string): never {
  throw new GoSyntaxError(`error parsing regexp: ${code}: \`${expr}\``);
}

/** Go's parseRepeat: `{n}`, `{n,}` or `{n,m}` at i; undefined when not of that form (then `{` is literal). */
export function parseRepeat(s: string, i: number): { min: number; max: number; end: number } | undefined {
  const m = /^\{(0|[1-9][0-9]*)(?:(,)(0|[1-9][0-9]*)?)?\}/.exec(s.slice(i));
  if (!m) return undefined;
  const num = (text: string): number => (text.length > 9 ? -1 : Number(text));
  const min = num(m[1] ?? '');
  const max = m[2] === undefined ? min : m[3] === undefined ? -1 : num(m[3]);
  return { min: m[3] !== undefined && max < 0 ? -1 : min, max, end: i + m[0].length };
}

function charAt(s: string, i: number): string {
  return i < s.length ? String.fromCodePoint(s.codePointAt(i) ?? 0) : '';
}

function hexValue(c: string): number {
  return /^[0-9A-Fa-f]$/.test(c) ? parseInt(c, 16) : -1;
}

function hexEscape(s: string, i: number, start: number): [number, number] {
  let j = start;
  const bad = (): never => fail('invalid escape sequence', s.slice(i, j));
  if (j >= s.length) bad();
  if (s[j] === '{') {
    j++;
    let r = 0;
    let digits = 0;
    for (;;) {
      if (j >= s.length) bad();
      const d = charAt(s, j);
      j += d.length;
      if (d === '}') break;
      const v = hexValue(d);
      if (v < 0) bad();
      r = r * 16 + v;
      if (r > 0x10ffff) bad();
      digits++;
    }
    if (digits === 0) bad();
    return [r, j];
  }
  const x = hexValue(charAt(s, j));
  j += charAt(s, j).length;
  const y = hexValue(charAt(s, j));
  j += charAt(s, j).length;
  if (x < 0 || y < 0) bad();
  return [x * 16 + y, j];
}

/** Go's parseEscape at i (s[i] is `\`): the code point and the index after the escape. */
export function parseEscape(s: string, i: number): [number, number] {
  if (i + 1 >= s.length) fail('trailing backslash at end of expression', '');
  const c = charAt(s, i + 1);
  let j = i + 1 + c.length;
  if (c.length === 1 && c.charCodeAt(0) < 0x80 && !/[0-9A-Za-z]/.test(c)) return [c.charCodeAt(0), j];
  // \1-\7 alone would be a backreference, which RE2 does not support; with more digits it is octal.
  if (/[0-7]/.test(c) && (c === '0' || /[0-7]/.test(s[j] ?? ''))) {
    let r = Number(c);
    for (let k = 1; k < 3 && /[0-7]/.test(s[j] ?? ''); k++) r = r * 8 + Number(s[j++]);
    return [r, j];
  }
  if (c === 'x') return hexEscape(s, i, j);
  const simple: Readonly<Record<string, number>> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
  const code = simple[c];
  if (code !== undefined) return [code, j];
  return fail('invalid escape sequence', s.slice(i, j));
}

/** Go's parseUnicodeClass at i (`\p` or `\P`): the class items and the index after it. */
export function parseUnicodeClass(s: string, i: number, fold: boolean): [ClassItem[], number] {
  let negated = s[i + 1] === 'P';
  let seq: string;
  let name: string;
  if (s[i + 2] === '{') {
    const end = s.indexOf('}', i);
    if (end < 0) fail('invalid character class range', s.slice(i));
    seq = s.slice(i, end + 1);
    name = s.slice(i + 3, end);
  } else {
    name = charAt(s, i + 2);
    seq = s.slice(i, i + 2 + name.length);
  }
  if (name.startsWith('^')) {
    negated = !negated;
    name = name.slice(1);
  }
  const items = unicodeClass(name, negated, fold);
  if (!items) fail('invalid character class range', seq);
  return [items, i + seq.length];
}

function classChar(s: string, j: number, classStart: number): [number, number] {
  if (j >= s.length) fail('missing closing ]', s.slice(classStart));
  if (s[j] === '\\') return parseEscape(s, j);
  const c = charAt(s, j);
  return [c.codePointAt(0) ?? 0, j + c.length];
}

/** Go's parseClass at i (`[`): the items, whether negated, and the index after the closing `]`. */
export function parseBracket(s: string, i: number, fold: boolean): { items: ClassItem[]; negated: boolean; next: number } {
  let j = i + 1;
  const negated = s[j] === '^';
  if (negated) j++;
  const items: ClassItem[] = [];
  let first = true;
  while (j >= s.length || s[j] !== ']' || first) {
    first = false;
    const close = s.startsWith('[:', j) && j + 2 < s.length ? s.indexOf(':]', j + 2) : -1;
    if (close >= 0) {
      const name = s.slice(j, close + 2);
      const group = posixClass(name);
      if (!group) fail('invalid character class range', name);
      items.push(...group);
      j = close + 2;
      continue;
    }
    if (s[j] === '\\' && (s[j + 1] === 'p' || s[j + 1] === 'P')) {
      const [group, next] = parseUnicodeClass(s, j, fold);
      items.push(...group);
      j = next;
      continue;
    }
    const perl = s[j] === '\\' ? perlClass(s[j + 1] ?? '') : undefined;
    if (perl) {
      items.push(...perl);
      j += 2;
      continue;
    }
    const start = j;
    let lo: number;
    [lo, j] = classChar(s, j, i);
    let hi = lo;
    if (s[j] === '-' && j + 1 < s.length && s[j + 1] !== ']') {
      [hi, j] = classChar(s, j + 1, i);
      if (hi < lo) fail('invalid character class range', s.slice(start, j));
    }
    items.push({ lo, hi });
  }
  return { items, negated, next: j + 1 };
}

/**
 * Go's parsePerlFlags at i (`(?`): the group to open (`(` for a named capture, `(?:` for a
 * non-capturing group, none for a bare flag change), the flags in force after it, and the next index.
 */
export function parsePerlFlags(s: string, i: number, current: Flags): { open?: string; flags: Flags; next: number } {
  const named = s.startsWith('(?P<', i) && s.length - i > 4 ? 4 : s[i + 2] === '<' && s.length - i > 3 ? 3 : 0;
  if (named) {
    const end = s.indexOf('>', i);
    if (end < 0) fail('invalid named capture', s.slice(i));
    if (!/^[0-9A-Za-z_]+$/.test(s.slice(i + named, end))) fail('invalid named capture', s.slice(i, end + 1));
    return { open: '(', flags: current, next: end + 1 };
  }
  let flags = current;
  let sign = 1;
  let sawFlag = false;
  let j = i + 2;
  while (j < s.length) {
    const c = charAt(s, j);
    j += c.length;
    const on = sign > 0;
    if (c === 'i') flags = { ...flags, fold: on };
    else if (c === 'm') flags = { ...flags, multiLine: on };
    else if (c === 's') flags = { ...flags, dotNL: on };
    else if (c === 'U') flags = { ...flags, nonGreedy: on };
    else if (c === '-' && sign > 0) {
      sign = -1;
      sawFlag = false;
      continue;
    } else if ((c === ':' || c === ')') && (sign > 0 || sawFlag)) {
      return c === ':' ? { open: '(?:', flags, next: j } : { flags, next: j };
    } else break;
    sawFlag = true;
  }
  return fail('invalid or unsupported Perl syntax', s.slice(i, j));
}
