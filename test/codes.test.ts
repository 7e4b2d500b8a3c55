import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODE_CATALOGUE, renderErrorDocs } from '../src/cli/codes.js';
import { VERSION } from '../src/base/version.js';

describe('code catalogue', () => {
  it('is what docs/errors.md lists (run `npm run docs` after changing a code)', () => {
    expect(readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorDocs());
  });

  it('never uses one code twice, and names severity in the code', () => {
    const codes = CODE_CATALOGUE.flatMap((s) => s.codes);
    expect(new Set(codes.map((c) => c.code)).size).toBe(codes.length);
    for (const c of codes) expect(c.code.startsWith(c.severity === 'error' ? 'TW_ERR_' : 'TW_WARN_'), c.code).toBe(true);
    for (const c of codes) expect(c.fix.length, c.code).toBeGreaterThan(10);
  });
});

describe('version', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
