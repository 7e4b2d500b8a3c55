import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../src/cloudflared/metrics/exposition.js';
import type { Exposition, MetricFamily, Sample } from '../src/cloudflared/metrics/exposition.js';
import { readProm } from './fixtures/metrics/golden.js';

// Fixed seeds keep every run identical; raise numRuns locally when hunting for bugs.
const RUNS = { seed: 20260826, numRuns: 300 };

/** Invariants every parse result must hold, whatever the input; returns the violations. */
function shapeProblems(text: string, exposition: Exposition): string[] {
  const problems: string[] = [];
  const lineCount = text.split('\n').length;
  for (const e of exposition.errors) {
    if (!Number.isInteger(e.line) || e.line < 1 || e.line > lineCount) problems.push(`bad line number ${e.line}`);
    if (Array.from(e.text).length > 200) problems.push(`error text too long on line ${e.line}`);
    if (e.message === '') problems.push(`empty message on line ${e.line}`);
  }
  for (const family of exposition.families) {
    for (const sample of family.samples) {
      if (typeof sample.value !== 'number') problems.push(`non-number value in ${sample.name}`);
      if (!sample.name.startsWith(family.name)) problems.push(`${sample.name} filed under ${family.name}`);
    }
  }
  return problems;
}

const TOKENS = [
  '#', ' ', '\t', 'HELP', 'TYPE', 'EOF', 'UNIT', '{', '}', '"', '\\', '\\n', '\\"', '=', ',', '\n', '\r\n', '\r',
  'x', 'x_bucket', 'x_sum', 'x_count', 'x_total', 'le', 'quantile', '0.5', '1', '-1e3', 'NaN', '+Inf', '-Inf', '1700000000000',
  'counter', 'gauge', 'histogram', 'summary', 'untyped', '\u0000', 'é', '😀', '\uD800',
];

describe('parseExposition never crashes', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        expect(shapeProblems(text, parseExposition(text))).toEqual([]);
      }),
      RUNS,
    );
  });

  it('on soups of exposition tokens', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 120 }), (tokens) => {
        const text = tokens.join('');
        expect(shapeProblems(text, parseExposition(text))).toEqual([]);
      }),
      RUNS,
    );
  });

  const valid = readProm('healthy-2026.8.2');
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('deleteLine' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('duplicateLine' as const), at: fc.nat() }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

  function mutate(text: string, m: Mutation): string {
    if (m.kind === 'deleteLine' || m.kind === 'duplicateLine') {
      const lines = text.split('\n');
      const i = m.at % lines.length;
      lines.splice(i, m.kind === 'deleteLine' ? 1 : 0, ...(m.kind === 'deleteLine' ? [] : [lines[i] ?? '']));
      return lines.join('\n');
    }
    const at = m.at % (text.length + 1);
    if (m.kind === 'insert') return text.slice(0, at) + m.text + text.slice(at);
    if (m.kind === 'delete') return text.slice(0, at) + text.slice(at + m.length);
    return text.slice(0, at + m.length) + text.slice(at, at + m.length) + text.slice(at + m.length);
  }

  it('on mutations of a valid cloudflared exposition', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        const text = mutations.reduce(mutate, valid);
        expect(shapeProblems(text, parseExposition(text))).toEqual([]);
      }),
      RUNS,
    );
  });

  it('loses nothing but the bad line when one garbage line is inserted', () => {
    const lines = valid.trimEnd().split('\n');
    const expected = parseExposition(valid).families;
    const garbage = fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `!${s.replace(/[\r\n]/g, '')}`);
    fc.assert(
      fc.property(fc.nat({ max: lines.length }), garbage, (at, bad) => {
        const text = [...lines.slice(0, at), bad, ...lines.slice(at)].join('\n');
        const exposition = parseExposition(text);
        expect(exposition.families).toEqual(expected);
        expect(exposition.errors.map((e) => e.line)).toEqual([at + 1]);
      }),
      RUNS,
    );
  });
});

// A serialiser written independently of the parser, for the round trip.
const LEGACY_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return Object.is(n, -0) ? '-0' : String(n);
}

function formatSample(s: Sample): string {
  const labels = Object.entries(s.labels).map(([k, v]) => `${LEGACY_LABEL_NAME.test(k) ? k : quote(k)}=${quote(v)}`);
  const head = LEGACY_METRIC_NAME.test(s.name)
    ? `${s.name}${labels.length > 0 ? `{${labels.join(',')}}` : ''}`
    : `{${[quote(s.name), ...labels].join(',')}}`;
  return `${head} ${formatNumber(s.value)}${s.timestamp === undefined ? '' : ` ${String(s.timestamp)}`}`;
}

function formatExposition(families: readonly MetricFamily[], eol: string): string {
  const lines: string[] = [];
  for (const f of families) {
    const name = LEGACY_METRIC_NAME.test(f.name) ? f.name : quote(f.name);
    if (f.help !== undefined) lines.push(`# HELP ${name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${name} ${f.type}`);
    lines.push(...f.samples.map(formatSample));
  }
  return lines.join(eol);
}

// Names carry no "_", so no family name can equal another family's name plus a suffix such as "_sum".
const familyName = fc.oneof(
  fc.stringMatching(/^[a-zA-Z:][a-zA-Z0-9:]{0,12}$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((s) => !s.includes('_')),
);
const labelName = fc.oneof(
  fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
);
const labelValue = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('', '\\', '"', '\n', '\\n', '\r', '\t', '} 1', ',', '=', ' # x'),
);
const labelSet = (reserved: string) =>
  fc
    .uniqueArray(fc.tuple(labelName, labelValue), { selector: ([k]) => k, maxLength: 3 })
    .map((pairs) => Object.fromEntries(pairs.filter(([k]) => k !== reserved)));
const value = fc.double();
const timestamp = fc.option(fc.maxSafeInteger(), { nil: undefined });
const help = fc.option(
  fc.string({ unit: 'binary', maxLength: 30 }).filter((h) => !/^[ \t]/.test(h) && !h.endsWith('\r')),
  { nil: undefined },
);
const uniqueLabelSets = (reserved: string) =>
  fc.uniqueArray(labelSet(reserved), { selector: (l) => JSON.stringify(Object.entries(l).sort()), maxLength: 3 });

function sample(name: string, labels: Record<string, string>, v: number, ts?: number): Sample {
  return ts === undefined ? { name, labels, value: v } : { name, labels, value: v, timestamp: ts };
}

const simpleFamily = fc
  .record({ name: familyName, help, type: fc.constantFrom('counter', 'gauge', 'untyped' as const) })
  .chain((f) =>
    uniqueLabelSets('').chain((sets) =>
      fc.tuple(...sets.map((l) => fc.tuple(value, timestamp).map(([v, ts]) => sample(f.name, l, v, ts)))),
    ).map((samples) => ({ ...f, samples })),
  );

const histogramFamily = fc.record({ name: familyName, help }).chain((f) =>
  uniqueLabelSets('le')
    .chain((sets) =>
      fc.tuple(
        ...sets.map((l) =>
          fc.tuple(fc.uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 4 }), value, value).map(([les, sum, count]) => [
            ...[...les.sort((a, b) => a - b).map(formatNumber), '+Inf'].map((le, i) => sample(`${f.name}_bucket`, { ...l, le }, i)),
            sample(`${f.name}_sum`, l, sum),
            sample(`${f.name}_count`, l, count),
          ]),
        ),
      ),
    )
    .map((series) => ({ ...f, type: 'histogram' as const, samples: series.flat() })),
);

const summaryFamily = fc.record({ name: familyName, help }).chain((f) =>
  uniqueLabelSets('quantile')
    .chain((sets) =>
      fc.tuple(
        ...sets.map((l) =>
          fc.tuple(fc.subarray(['0', '0.5', '0.9', '0.99', '1']), value, value).map(([qs, sum, count]) => [
            ...qs.map((quantile, i) => sample(f.name, { ...l, quantile }, i / 2)),
            sample(`${f.name}_sum`, l, sum),
            sample(`${f.name}_count`, l, count),
          ]),
        ),
      ),
    )
    .map((series) => ({ ...f, type: 'summary' as const, samples: series.flat() })),
);

/** Drops an absent `help` key, so generated families compare equal to parsed ones. */
function normalise(f: { name: string; help: string | undefined; type: MetricFamily['type']; samples: Sample[] }): MetricFamily {
  return f.help === undefined ? { name: f.name, type: f.type, samples: f.samples } : { ...f, help: f.help };
}

describe('parseExposition round trip', () => {
  it('parses serialised families back to the same families', () => {
    const families = fc
      .uniqueArray(fc.oneof(simpleFamily, histogramFamily, summaryFamily), { selector: (f) => f.name, maxLength: 6 })
      .map((fs) => fs.map(normalise));
    fc.assert(
      fc.property(families, fc.constantFrom('\n', '\r\n'), fc.boolean(), (expected, eol, finalEol) => {
        const text = formatExposition(expected, eol) + (finalEol ? eol : '');
        const exposition = parseExposition(text);
        expect(exposition.errors).toEqual([]);
        expect(exposition.families).toEqual(expected);
      }),
      RUNS,
    );
  });
});
