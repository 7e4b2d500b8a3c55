import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGoRegexp, goMatchString } from '../src/go/regexp.js';

function matches(expr: string, text: string): boolean {
  const re = compileGoRegexp(expr);
  if (!re.ok) throw new Error(re.error);
  return goMatchString(re.regexp, text);
}

function error(expr: string): string {
  const re = compileGoRegexp(expr);
  return re.ok ? 'compiled' : re.error;
}

describe('Go regexp errors, word for word', () => {
  it.each([
    ['(?=v2)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?!x)', 'invalid or unsupported Perl syntax: `(?!`'],
    ['(?#note)', 'invalid or unsupported Perl syntax: `(?#`'],
    ['(?P=name)', 'invalid or unsupported Perl syntax: `(?P`'],
    ['(?i', 'invalid or unsupported Perl syntax: `(?i`'],
    ['(?-)', 'invalid or unsupported Perl syntax: `(?-)`'],
    ['(?<=a)b', 'invalid named capture: `(?<=a)b`'],
    ['(?P<a-b>x)', 'invalid named capture: `(?P<a-b>`'],
    ['^/(static|assets', 'missing closing ): `^/(static|assets`'],
    ['/api)', 'unexpected ): `/api)`'],
    ['[a-', 'missing closing ]: `[a-`'],
    ['[z-a]', 'invalid character class range: `z-a`'],
    ['[[:word_:]]', 'invalid character class range: `[:word_:]`'],
    ['\\p{Klingon}', 'invalid character class range: `\\p{Klingon}`'],
    ['\\pX', 'invalid character class range: `\\pX`'],
    ['\\1', 'invalid escape sequence: `\\1`'],
    ['\\8', 'invalid escape sequence: `\\8`'],
    ['\\q', 'invalid escape sequence: `\\q`'],
    ['\\C', 'invalid escape sequence: `\\C`'],
    ['\\x{zz}', 'invalid escape sequence: `\\x{z`'],
    ['[\\b]', 'invalid escape sequence: `\\b`'],
    ['abc\\', 'trailing backslash at end of expression: ``'],
    ['a**', 'invalid nested repetition operator: `**`'],
    ['a*+', 'invalid nested repetition operator: `*+`'],
    ['a{2}{3}', 'invalid nested repetition operator: `{2}{3}`'],
    ['*a', 'missing argument to repetition operator: `*`'],
    ['a|*', 'missing argument to repetition operator: `*`'],
    ['(+)', 'missing argument to repetition operator: `+`'],
    ['x{1001}', 'invalid repeat count: `{1001}`'],
    ['x{3,2}', 'invalid repeat count: `{3,2}`'],
    ['(a{500}){3}', 'invalid repeat count: `{3}`'],
  ])('%s', (expr, text) => {
    expect(error(expr)).toBe(`error parsing regexp: ${text}`);
  });
});

describe('RE2 syntax Go accepts', () => {
  it.each([
    '^/api/v[0-9]+/',
    '(?i)^/admin',
    '(?P<version>v[0-9]+)',
    '(?<version>v[0-9]+)',
    '\\A/health\\z',
    '[[:alpha:]][[:^digit:]]',
    '\\pL\\p{Greek}\\PN\\p{^Lu}',
    '\\Q.*+?\\E',
    'a{,3}',
    'a{2}?b*?c+?d??',
    '\\x41\\x{1F600}\\101\\0',
    '(?U)a+',
    '(?s:.)(?m:^$)',
    '[]a]',
    '^*',
    '()*',
  ])('%s compiles', (expr) => {
    expect(error(expr)).toBe('compiled');
  });
});

describe('matching like Go MatchString', () => {
  it.each([
    ['/api', '/x/api/y', true],
    ['^/api', '/x/api/y', false],
    ['^/api$', '/api', true],
    ['^/api$', '/api/', false],
    ['(?i)^/ADMIN', '/admin/users', true],
    ['(?i)a(?-i)b', 'AB', false],
    ['(?i)a(?-i)b', 'Ab', true],
    ['(?i:a)b', 'AB', false],
    ['(?i)k', '\u212a', true],
    ['^a.b$', 'a\nb', false],
    ['(?s)^a.b$', 'a\nb', true],
    ['^a.b$', 'a\rb', true],
    ['(?m)^b$', 'a\nb\nc', true],
    ['^b$', 'a\nb\nc', false],
    ['\\s', '\v', false],
    ['\\w+$', 'é', false],
    ['[[:alpha:]]+', '123', false],
    ['\\p{Greek}', 'λ', true],
    ['\\Q.*\\E', 'a.*b', true],
    ['\\Q.*\\E', 'ab', false],
    ['a{,3}', 'a{,3}', true],
    ['\\.(jpg|png|css|js)$', '/static/app.js', true],
    ['[^a]', '\n', true],
    ['\\x{1F600}', '😀', true],
  ] as const)('%s on %j → %s', (expr, text, want) => {
    expect(matches(expr, text)).toBe(want);
  });
});

describe('never throws', () => {
  it('on any pattern, returning a RegExp or Go-style error text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...Array.from('()[]{}?*+|\\^$.:-<>=!PpQEAzbdswxi0123456789aZ,_ ')), maxLength: 30 }), (expr) => {
        const re = compileGoRegexp(expr);
        if (re.ok) expect(typeof goMatchString(re.regexp, '/some/path')).toBe('boolean');
        else expect(re.error).toMatch(/^error parsing regexp: |^cannot translate/);
      }),
      { numRuns: 3000, seed: 20260820 },
    );
  });

  it('translation failures are never reported as Go errors', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (expr) => {
        const re = compileGoRegexp(expr);
        if (!re.ok && re.untranslatable !== true) expect(re.error.startsWith('error parsing regexp: ')).toBe(true);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
