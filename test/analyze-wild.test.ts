// Real cloudflared logs pasted in public issues (test/fixtures/wild), each read line by line and summarised,
// against the reading written by hand in corpus.yaml. The corpus format is described at its top.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { summarise } from '../src/analysis/summary.js';
import type { LogSummary } from '../src/analysis/summary.js';
import type { LogEvent } from '../src/cloudflared/log/event.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';

const DIR = join(import.meta.dirname, 'fixtures', 'wild');

const lineNumbered = z.record(z.string().regex(/^[1-9]\d*$/), z.unknown());

const Entry = z.strictObject({
  file: z.string().regex(/^\d\d-[a-z0-9-]+\.log$/),
  source: z.string(),
  year: z.number().int(),
  version: z.union([z.string(), z.number()]).optional(),
  shape: z.string(),
  traits: z.array(z.string()).optional(),
  note: z.string(),
  records: z.number().int().min(0),
  garbage: z.number().int().min(0),
  wrapper: z.enum(['journald', 'docker', 'kubectl', 'cri']).optional(),
  lines: z.array(z.string()),
  details: z.record(z.string().regex(/^[1-9]\d*$/), z.record(z.string(), z.unknown())).optional(),
  summary: z.record(z.string(), z.unknown()),
  known_gap: z.string().optional(),
  gap_lines: lineNumbered.optional(),
});
type Entry = z.infer<typeof Entry>;

const corpus: Entry[] = z.array(Entry).parse(parse(readFileSync(join(DIR, 'corpus.yaml'), 'utf8')));

/** The file's lines as pasted: split on `\n`, the newline ending the last line not starting another. */
function linesOf(file: string): string[] {
  const text = readFileSync(join(DIR, file), 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** A line in the corpus' notation: `plain`, `empty`, or `<type> <level|-> [<connIndex>]`. */
function notation(event: LogEvent): string {
  if (event.format === 'plain' || event.format === 'empty') return event.format;
  const parts: string[] = [event.type, event.level ?? '-'];
  if (event.connIndex !== undefined) parts.push(String(event.connIndex));
  return parts.join(' ');
}

const isRecord = (reading: string): boolean => reading !== 'plain' && reading !== 'empty';

// Per-element subset matching for lists whose entries carry times the corpus does not spell out.
const MATCHED = new Set(['configVersions', 'fallbackEvents', 'originErrorsByService']);

function expectSummary(summary: LogSummary, expected: Record<string, unknown>): void {
  const actual = summary as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(expected)) {
    expect(Object.hasOwn(actual, key), `summary has no field ${key}`).toBe(true);
    if (value === null) expect(actual[key], key).toBeUndefined();
    else if (MATCHED.has(key)) expect(actual[key], key).toMatchObject(value as object);
    else expect(actual[key], key).toEqual(value);
  }
}

describe('the corpus', () => {
  it('has at least 40 excerpts, each from a public thread, over 2021..2025 or wider and 6 or more shapes', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    for (const entry of corpus) expect(entry.source, entry.file).toMatch(/^https:\/\/github\.com\/[^/\s]+\/[^/\s]+\/(?:issues|pull)\/\d+$/);
    const years = corpus.map((e) => e.year);
    expect(Math.min(...years)).toBeLessThanOrEqual(2021);
    expect(Math.max(...years)).toBeGreaterThanOrEqual(2025);
    for (let year = 2021; year <= 2025; year++) expect(years, `no excerpt from ${String(year)}`).toContain(year);
    expect(new Set(corpus.map((e) => e.shape)).size).toBeGreaterThanOrEqual(6);
  });

  it('lists every fixture once, and every fixture it lists exists', () => {
    const files = corpus.map((e) => e.file);
    expect(new Set(files).size).toBe(files.length);
    const onDisk = readdirSync(DIR).filter((name) => name.endsWith('.log'));
    expect([...files].sort()).toEqual(onDisk.sort());
  });

  it('writes down one reading per line, and counts that agree with it', () => {
    for (const entry of corpus) {
      expect(entry.lines, entry.file).toHaveLength(linesOf(entry.file).length);
      expect(entry.records, entry.file).toBe(entry.lines.filter(isRecord).length);
      expect(entry.garbage, entry.file).toBe(entry.lines.length - entry.records);
      for (const n of Object.keys({ ...entry.details, ...entry.gap_lines })) {
        expect(Number(n), `${entry.file} line ${n}`).toBeLessThanOrEqual(entry.lines.length);
      }
      // A gap is stated with its reason and the lines it affects, or not at all.
      expect(entry.known_gap === undefined, entry.file).toBe(entry.gap_lines === undefined);
    }
  });

  it('keeps known gaps few', () => {
    expect(corpus.filter((e) => e.known_gap !== undefined).length).toBeLessThanOrEqual(3);
  });
});

describe('analyze reads real logs as written in the corpus', () => {
  it.each(corpus.map((entry) => [entry.file, entry] as const))('%s', (_file, entry) => {
    const events = linesOf(entry.file).map((line) => parseLogLine(line));
    const gaps = entry.gap_lines ?? {};

    const read = events.map((event, i) => {
      const n = String(i + 1);
      // Where the parser is known to fall short, assert the shortfall itself, so that a fix shows up here.
      return Object.hasOwn(gaps, n) ? (entry.lines[i] ?? '') : notation(event);
    });
    expect(read).toEqual(entry.lines);
    for (const [n, reading] of Object.entries(gaps)) expect(notation(events[Number(n) - 1] as LogEvent), `gap at line ${n}`).toBe(reading);

    events.forEach((event, i) => {
      if (!isRecord(entry.lines[i] ?? '')) return;
      expect(['console', 'json'], `line ${String(i + 1)}`).toContain(event.format);
      if (entry.wrapper !== undefined) expect(event.wrapper, `wrapper of line ${String(i + 1)}`).toBe(entry.wrapper);
    });
    for (const [n, properties] of Object.entries(entry.details ?? {})) {
      expect(events[Number(n) - 1], `line ${n}`).toMatchObject(properties);
    }

    const summary = summarise(events);
    expect(summary.lines).toBe(entry.lines.length);
    expectSummary(summary, entry.summary);
  });
});
