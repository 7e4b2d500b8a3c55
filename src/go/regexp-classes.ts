// Character classes of Go's regexp/syntax (Perl escapes, POSIX names, \p{…} names) as code-point
// ranges or JS property escapes, and their rendering inside a JS `u`-mode character class.

/** One element of a character class: an inclusive code-point range or a JS property escape. */
export type ClassItem = { readonly lo: number; readonly hi: number } | { readonly prop: string };

const MAX_RUNE = 0x10ffff;

/** Go's perl_groups.go: \d \s \w (ASCII only, \s without \v). */
const PERL: Readonly<Record<string, readonly [number, number][]>> = {
  d: [[0x30, 0x39]],
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
};

/** Go's posixGroup table, `[:name:]`. */
const POSIX: Readonly<Record<string, readonly [number, number][]>> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

/** General_Category long names and other aliases, keyed by Go's canonicalName form. */
const CATEGORY_ALIASES: Readonly<Record<string, string>> = {
  Other: 'C', Control: 'Cc', Cntrl: 'Cc', Format: 'Cf', Unassigned: 'Cn', Privateuse: 'Co', Surrogate: 'Cs',
  Letter: 'L', Casedletter: 'LC', Lowercaseletter: 'Ll', Modifierletter: 'Lm', Otherletter: 'Lo',
  Titlecaseletter: 'Lt', Uppercaseletter: 'Lu', Mark: 'M', Combiningmark: 'M', Spacingmark: 'Mc',
  Enclosingmark: 'Me', Nonspacingmark: 'Mn', Number: 'N', Decimalnumber: 'Nd', Digit: 'Nd', Letternumber: 'Nl',
  Othernumber: 'No', Punctuation: 'P', Punct: 'P', Connectorpunctuation: 'Pc', Dashpunctuation: 'Pd',
  Closepunctuation: 'Pe', Finalpunctuation: 'Pf', Initialpunctuation: 'Pi', Otherpunctuation: 'Po',
  Openpunctuation: 'Ps', Symbol: 'S', Currencysymbol: 'Sc', Modifiersymbol: 'Sk', Mathsymbol: 'Sm',
  Othersymbol: 'So', Separator: 'Z', Lineseparator: 'Zl', Paragraphseparator: 'Zp', Spaceseparator: 'Zs',
};

const CATEGORIES = new Set(
  'C Cc Cf Cn Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '),
);

function ranges(list: readonly (readonly [number, number])[]): ClassItem[] {
  return list.map(([lo, hi]) => ({ lo, hi }));
}

/** The complement of sorted, disjoint ranges over [0, MAX_RUNE]. */
function negateRanges(list: readonly (readonly [number, number])[]): ClassItem[] {
  const out: ClassItem[] = [];
  let next = 0;
  for (const [lo, hi] of list) {
    if (next <= lo - 1) out.push({ lo: next, hi: lo - 1 });
    next = hi + 1;
  }
  if (next <= MAX_RUNE) out.push({ lo: next, hi: MAX_RUNE });
  return out;
}

/** `\d`, `\D`, `\s`, … as class items; undefined when the letter is not a Perl class. */
export function perlClass(letter: string): ClassItem[] | undefined {
  const base = PERL[letter.toLowerCase()];
  if (!base) return undefined;
  return letter === letter.toLowerCase() ? ranges(base) : negateRanges(base);
}

/** `[:alpha:]` / `[:^alpha:]` (the full bracketed text) as class items; undefined when unknown. */
export function posixClass(text: string): ClassItem[] | undefined {
  const negated = text.startsWith('[:^');
  const base = POSIX[text.slice(negated ? 3 : 2, -2)];
  if (!base) return undefined;
  return negated ? negateRanges(base) : ranges(base);
}

/** Go's canonicalName: first letter upper case, the rest lower case, no `_`, `-` or spaces. */
function canonicalName(name: string): string {
  const bare = name.replace(/[_\- ]/g, '');
  return bare.slice(0, 1).toUpperCase() + bare.slice(1).toLowerCase();
}

function propertyCompiles(prop: string): boolean {
  try {
    new RegExp(`[${prop}]`, 'u');
    return true;
  } catch {
    return false;
  }
}

/**
 * A `\p{name}` class (sign −1 for `\P`); undefined when Go has no table of that name. Script names are
 * checked against the JS engine's Unicode data, which may be a version apart from Go's.
 */
export function unicodeClass(name: string, negated: boolean, fold: boolean): ClassItem[] | undefined {
  const canon = canonicalName(name);
  let item: ClassItem | undefined;
  let invert = negated;
  if (canon === 'Any') item = { lo: 0, hi: MAX_RUNE };
  else if (canon === 'Assigned') {
    item = { prop: 'Cn' };
    invert = !invert;
  } else if (canon === 'Ascii') item = { lo: 0, hi: 0x7f };
  else {
    const category = canon === 'Lc' ? 'LC' : CATEGORIES.has(canon) ? canon : CATEGORY_ALIASES[canon];
    if (category !== undefined) {
      // Go adds the case-fold orbit under (?i); for the cased-letter categories that is all cased letters.
      item = { prop: fold && ['Lu', 'Ll', 'Lt'].includes(category) ? 'LC' : category };
    } else if (/^[A-Za-z]+$/.test(canon) && propertyCompiles(`\\p{Script=${canon}}`)) {
      item = { prop: `Script=${canon}` };
    }
  }
  if (item === undefined) return undefined;
  if ('prop' in item) return [{ prop: invert ? `^${item.prop}` : item.prop }];
  return invert ? negateRanges([[item.lo, item.hi]]) : [item];
}

const FOLD_EXTRA: Readonly<Record<number, readonly number[]>> = {
  0x4b: [0x212a], 0x6b: [0x212a], 0x212a: [0x4b, 0x6b],
  0x53: [0x17f], 0x73: [0x17f], 0x17f: [0x53, 0x73],
  0xc5: [0x212b], 0xe5: [0x212b], 0x212b: [0xc5, 0xe5],
};

/** Code points that Unicode simple case folding makes equal to `cp` (including `cp`). */
export function foldOrbit(cp: number): number[] {
  const out = new Set<number>([cp]);
  const ch = String.fromCodePoint(cp);
  for (const variant of [ch.toLowerCase(), ch.toUpperCase()]) {
    const v = variant.codePointAt(0);
    if (v !== undefined && String.fromCodePoint(v) === variant) out.add(v);
  }
  for (const extra of FOLD_EXTRA[cp] ?? []) out.add(extra);
  return [...out];
}

/** Adds the case-fold orbit of every code point in small ranges (large ranges are left as they are). */
export function foldItems(items: readonly ClassItem[]): ClassItem[] {
  const out: ClassItem[] = [...items];
  for (const item of items) {
    if ('prop' in item || item.hi - item.lo > 4000) continue;
    for (let cp = item.lo; cp <= item.hi; cp++) {
      for (const v of foldOrbit(cp)) if (v < item.lo || v > item.hi) out.push({ lo: v, hi: v });
    }
  }
  return out;
}

function classChar(cp: number): string {
  return /[0-9A-Za-z]/.test(String.fromCodePoint(cp)) ? String.fromCodePoint(cp) : `\\u{${cp.toString(16)}}`;
}

/** Renders items as a JS `u`-mode character class. */
export function renderClass(items: readonly ClassItem[], negated: boolean): string {
  const body = items
    .map((item) => {
      if ('prop' in item) return item.prop.startsWith('^') ? `\\P{${item.prop.slice(1)}}` : `\\p{${item.prop}}`;
      return item.lo === item.hi ? classChar(item.lo) : `${classChar(item.lo)}-${classChar(item.hi)}`;
    })
    .join('');
  return `[${negated ? '^' : ''}${body}]`;
}
