// Config and settings input read in bounded time, size and depth: a FIFO given as the config, a huge file, a
// 80,000-key mapping, nesting that would overflow the parser's stack, each answered with a clear error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_INPUT_BYTES, readTextOrUndefined, whyUnreadable } from '../src/base/input-file.js';
import { parseRawDocument } from '../src/cloudflared/config/raw.js';
import { fileLayer } from '../src/config/sources.js';
import { runCli } from './helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tw-bounds-'));
  dirs.push(d);
  return d;
};

describe('reading inputs', () => {
  it('refuses a FIFO at once instead of blocking on it, and says why', async () => {
    const fifo = join(tempDir(), 'config.yml');
    execFileSync('mkfifo', [fifo]);
    expect(readTextOrUndefined(fifo)).toBeUndefined();
    expect(whyUnreadable(fifo)).toBe(`${fifo} is not a regular file (a directory, FIFO or device); give the path of the file itself`);
    const run = await runCli(['validate', '--config', fifo]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is not a regular file');
  });

  it('refuses a file over the size bound, naming its size', () => {
    const big = join(tempDir(), 'config.yml');
    writeFileSync(big, `# ${'x'.repeat(MAX_INPUT_BYTES)}\n`);
    expect(readTextOrUndefined(big)).toBeUndefined();
    expect(whyUnreadable(big)).toMatch(/is \d+ bytes, more than the 1048576 read at most/);
  });

  it('names a missing file as missing', () => {
    expect(whyUnreadable('/nonexistent/config.yml')).toBe('/nonexistent/config.yml does not exist; check the path');
  });
});

describe('parsing in linear time and bounded depth', () => {
  const manyKeys = (n: number, repeat?: number): string => {
    const lines = Array.from({ length: n }, (_, i) => `k${String(i)}: 1`);
    if (repeat !== undefined) lines.push(`k${String(repeat)}: 2`);
    return `${lines.join('\n')}\n`;
  };

  it('finds the one repeated key among 80,000 (the yaml package compared every pair: minutes)', () => {
    expect(parseRawDocument(manyKeys(80_000, 79_998)).error).toEqual({ message: 'Map keys must be unique ("k79998" is repeated)', line: 80_001, column: 1 });
    expect(parseRawDocument(manyKeys(80_000)).error).toBeUndefined();
  });

  it('reports repeated keys in settings with their line, and keeps 1 and "1" apart', () => {
    expect(fileLayer('server:\n  listen: a\nserver:\n  listen: b\n', 'tw.yaml').diagnostics.map((d) => d.message)).toEqual(['tw.yaml:3:1: Map keys must be unique ("server" is repeated)']);
    expect(parseRawDocument('a:\n  1: x\n  "1": y\n').error).toBeUndefined();
  });

  it.each([
    ['flow brackets', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'nesting deeper than 64 levels', 1, 65],
    ['block indentation', `a:\n${' '.repeat(600)}b: 1\n`, 'indentation deeper than 512 columns (nesting deeper than 64 levels)', 2, 601],
  ])('refuses %s nested too deep with a clear message, not a stack overflow', (_, text, message, line, column) => {
    expect(parseRawDocument(text).error).toEqual({ message: `${message}; a cloudflared config needs a few`, line, column });
    expect(fileLayer(text, 'tw.yaml').diagnostics.map((d) => d.message)).toEqual([`tw.yaml:${String(line)}:${String(column)}: ${message}; a settings file needs a few`]);
  });
});
