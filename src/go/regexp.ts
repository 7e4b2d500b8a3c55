// cloudflared compiles ingress `path` with Go's regexp.Compile (RE2 syntax, Perl flags). This file
// follows Go's regexp/syntax parser closely enough to give the same errors, and emits an equivalent JS
// RegExp (`u` mode). JS lacks inline flag groups, so `(?i)` becomes the `i` flag when it covers every
// cased character, and is otherwise expanded character by character.
import { type ClassItem, foldItems, foldOrbit, perlClass, renderClass } from './regexp-classes.js';
import {
  fail,
  type Flags,
  GoSyntaxError,
  parseBracket,
  parseEscape,
  parsePerlFlags,
  parseRepeat,
  parseUnicodeClass,
} from './regexp-lex.js';

/** A compiled Go regexp, or the error text `regexp.Compile` would return. */
export type GoRegexp =
  | { readonly ok: true; readonly regexp: RegExp }
  | { readonly ok: false; readonly error: string; readonly untranslatable?: true };

interface Node {
  readonly js: string;
  readonly quantifiable: boolean;
  readonly repeat?: { readonly min: number; readonly max: number };
  readonly subs: readonly Node[];
}

interface Frame {
  readonly open: string;
  readonly flagsAtOpen: Flags;
  readonly alts: Node[][];
  cur: Node[];
}

const MAX_REPEAT = 1000;
const MAX_DEPTH = 1000;
const SYNTAX_CHARS = '^$\\.*+?()[]{}|/';

/** Go's repeatIsValid: nested counted repetitions may not multiply beyond 1000. */
function repeatIsValid(node: Node, limit: number): boolean {
  let n = limit;
  if (node.repeat) {
    let m = node.repeat.max;
    if (m === 0) return true;
    if (m < 0) m = node.repeat.min;
    if (m > n) return false;
    if (m > 0) n = Math.floor(n / m);
  }
  return node.subs.every((sub) => repeatIsValid(sub, n));
}

class Translator {
  private flags: Flags = { fold: false, multiLine: false, dotNL: false, nonGreedy: false };
  private readonly frames: Frame[] = [{ open: '', flagsAtOpen: this.flags, alts: [], cur: [] }];
  private lastRepeat = -1;
  foldUsed = false;
  caseUsed = false;

  constructor(
    private readonly s: string,
    private readonly expandFold: boolean,
  ) {}

  private get frame(): Frame {
    const frame = this.frames[this.frames.length - 1];
    if (!frame) throw new Error('no frame');
    return frame;
  }

  private push(js: string, quantifiable = true): void {
    this.frame.cur.push({ js, quantifiable, subs: [] });
  }

  private literal(cp: number): void {
    const orbit = foldOrbit(cp);
    if (orbit.length > 1) {
      if (this.flags.fold) this.foldUsed = true;
      else this.caseUsed = true;
    }
    if (this.flags.fold && this.expandFold && orbit.length > 1) {
      this.push(renderClass(orbit.map((v) => ({ lo: v, hi: v })), false));
      return;
    }
    const c = String.fromCodePoint(cp);
    if (SYNTAX_CHARS.includes(c)) this.push(`\\${c}`);
    else if (cp >= 0x20 && cp < 0x7f) this.push(c);
    else this.push(`\\u{${cp.toString(16)}}`);
  }

  private charClass(items: readonly ClassItem[], negated: boolean): void {
    if (this.flags.fold) this.foldUsed = true;
    else this.caseUsed = true;
    this.push(renderClass(this.flags.fold && this.expandFold ? foldItems(items) : items, negated));
  }

  /** `(?…`: a named capture, a non-capturing group and/or a flag change. */
  private perlGroup(i: number): number {
    const group = parsePerlFlags(this.s, i, this.flags);
    if (group.open !== undefined) this.open(group.open);
    this.flags = group.flags;
    return group.next;
  }

  private open(opener: string): void {
    if (this.frames.length > MAX_DEPTH) fail('expression nests too deeply', this.s);
    this.frames.push({ open: opener, flagsAtOpen: this.flags, alts: [], cur: [] });
  }

  private close(): void {
    const frame = this.frames.pop();
    if (!frame || this.frames.length === 0) fail('unexpected )', this.s);
    const branches = [...frame.alts, frame.cur];
    const js = `${frame.open}${branches.map((b) => b.map((n) => n.js).join('')).join('|')})`;
    this.flags = frame.flagsAtOpen;
    this.frame.cur.push({ js, quantifiable: true, subs: branches.flat() });
  }

  /** Go's repeat: applies the operator text s[opStart, opEnd) to the top node; returns the index after it. */
  private repeat(min: number, max: number, quant: string, opStart: number, opEnd: number): number {
    let after = opEnd;
    let lazy = this.flags.nonGreedy;
    if (this.s[after] === '?') {
      after++;
      lazy = !lazy;
    }
    if (this.lastRepeat >= 0) fail('invalid nested repetition operator', this.s.slice(this.lastRepeat, after));
    const sub = this.frame.cur.pop();
    if (!sub) fail('missing argument to repetition operator', this.s.slice(opStart, after));
    const body = sub.quantifiable ? sub.js : `(?:${sub.js})`;
    const node: Node = { js: `${body}${quant}${lazy ? '?' : ''}`, quantifiable: false, subs: [sub] };
    const counted = quant.startsWith('{') ? { ...node, repeat: { min, max } } : node;
    if (quant.startsWith('{') && (min >= 2 || max >= 2) && !repeatIsValid(counted, MAX_REPEAT)) {
      fail('invalid repeat count', this.s.slice(opStart, after));
    }
    this.frame.cur.push(counted);
    this.lastRepeat = opStart;
    return after;
  }

  run(): string {
    const s = this.s;
    let i = 0;
    while (i < s.length) {
      const c = s[i] ?? '';
      const wasRepeat = this.lastRepeat;
      this.lastRepeat = -1;
      if (c === '*' || c === '+' || c === '?') {
        this.lastRepeat = wasRepeat;
        i = this.repeat(0, 0, c, i, i + 1);
        continue;
      }
      if (c === '{') {
        const rep = parseRepeat(s, i);
        if (rep) {
          const { min, max, end } = rep;
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
            fail('invalid repeat count', s.slice(i, end));
          }
          this.lastRepeat = wasRepeat;
          const quant = max === min ? `{${String(min)}}` : max < 0 ? `{${String(min)},}` : `{${String(min)},${String(max)}}`;
          i = this.repeat(min, max, quant, i, end);
          continue;
        }
      }
      i = this.atom(i);
    }
    if (this.frames.length !== 1) fail('missing closing )', s);
    const root = this.frame;
    return [...root.alts, root.cur].map((b) => b.map((n) => n.js).join('')).join('|');
  }

  /** Everything but repetition operators; returns the index after the token. */
  private atom(i: number): number {
    const s = this.s;
    const c = s[i] ?? '';
    switch (c) {
      case '(':
        if (s[i + 1] === '?') return this.perlGroup(i);
        this.open('(');
        return i + 1;
      case '|':
        this.frame.alts.push(this.frame.cur);
        this.frame.cur = [];
        return i + 1;
      case ')':
        this.close();
        return i + 1;
      case '^':
        this.push(this.flags.multiLine ? '(?:^|(?<=\\n))' : '^', this.flags.multiLine);
        return i + 1;
      case '$':
        this.push(this.flags.multiLine ? '(?=\\n|$)' : '$', false);
        return i + 1;
      case '.':
        this.push(this.flags.dotNL ? '[^]' : '[^\\n]');
        return i + 1;
      case '[': {
        const { items, negated, next } = parseBracket(s, i, this.flags.fold);
        this.charClass(items, negated);
        return next;
      }
      case '\\':
        return this.backslash(i);
      default: {
        const cp = s.codePointAt(i) ?? 0;
        this.literal(cp);
        return i + String.fromCodePoint(cp).length;
      }
    }
  }

  private backslash(i: number): number {
    const s = this.s;
    const next = s[i + 1];
    if (next === 'A') this.push('^', false);
    else if (next === 'z') this.push('$', false);
    else if (next === 'b' || next === 'B') this.push(`\\${next}`, false);
    else if (next === 'C') fail('invalid escape sequence', '\\C');
    else if (next === 'Q') {
      const end = s.indexOf('\\E', i + 2);
      const lit = end < 0 ? s.slice(i + 2) : s.slice(i + 2, end);
      for (const ch of lit) this.literal(ch.codePointAt(0) ?? 0);
      return end < 0 ? s.length : end + 2;
    } else if (next === 'p' || next === 'P') {
      const [items, after] = parseUnicodeClass(s, i, this.flags.fold);
      this.charClass(items, false);
      return after;
    } else {
      const perl = perlClass(next ?? '');
      if (perl) this.charClass(perl, false);
      else {
        const [cp, after] = parseEscape(s, i);
        this.literal(cp);
        return after;
      }
    }
    return i + 2;
  }
}

/** Compiles a Go (RE2) regexp; the error text is exactly Go's `regexp.Compile` error. */
export function compileGoRegexp(expr: string): GoRegexp {
  try {
    const first = new Translator(expr, false);
    let source = first.run();
    let flags = 'u';
    if (first.foldUsed && !first.caseUsed) flags = 'iu';
    else if (first.foldUsed) source = new Translator(expr, true).run();
    try {
      return { ok: true, regexp: new RegExp(source, flags) };
    } catch (err) {
      return { ok: false, error: `cannot translate to a JS regexp: ${String(err)}`, untranslatable: true };
    }
  } catch (err) {
    if (err instanceof GoSyntaxError) return { ok: false, error: err.message };
    return { ok: false, error: `cannot translate to a JS regexp: ${String(err)}`, untranslatable: true };
  }
}

/** Go's `(*Regexp).MatchString`: true when the regexp matches anywhere in `text` (unanchored). */
export function goMatchString(regexp: RegExp, text: string): boolean {
  regexp.lastIndex = 0;
  return regexp.test(text);
}
