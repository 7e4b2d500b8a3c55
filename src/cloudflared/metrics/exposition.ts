// Parses a Prometheus text exposition (cloudflared's /metrics) into metric families. Pure and tolerant:
// every bad line becomes an ExpositionError and parsing goes on with the next line. Lines are lexed by
// exposition-line.ts; this file groups samples into families and checks rules that span lines.
import { firstChars, lexLine, parseSampleValue, quoteForMessage as q, type MetricType } from './exposition-line.js';


/** One sample line: full sample name (e.g. `x_bucket`), labels, value and optional timestamp in ms. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestamp?: number;
}

/** Samples grouped under the name given in `# TYPE` (or their own name when no TYPE preceded them). */
export interface MetricFamily {
  readonly name: string;
  readonly help?: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

/** A line that was skipped: 1-based line number, its first 200 characters, and what was wrong. */
export interface ExpositionError {
  readonly line: number;
  readonly text: string;
  readonly message: string;
}

/** The result of parsing: families in order of first appearance, and the lines that were rejected. */
export interface Exposition {
  readonly families: readonly MetricFamily[];
  readonly errors: readonly ExpositionError[];
}

/** Sample-name suffixes each type allows besides the bare family name (OpenMetrics `_created` included). */
const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  gauge: [],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['_sum', '_count', '_created'],
  untyped: [],
  unknown: [],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  stateset: [],
  info: ['_info'],
};
const ALL_SUFFIXES = [...new Set(Object.values(SUFFIXES).flat())];
const NO_BARE_SAMPLE: ReadonlySet<MetricType> = new Set(['histogram', 'gaugehistogram']);

interface Builder {
  readonly family: { name: string; help?: string; type: MetricType; samples: Sample[] };
  helpLine?: number;
  typeLine?: number;
  firstSampleLine?: number;
}

/** Parses exposition text; never throws, runs in linear time. */
export function parseExposition(text: string): Exposition {
  const builders = new Map<string, Builder>();
  const seriesLines = new Map<string, number>();
  const errors: ExpositionError[] = [];
  let current: Builder | undefined;

  const builder = (name: string): Builder => {
    let b = builders.get(name);
    if (!b) {
      b = { family: { name, type: 'untyped', samples: [] } };
      builders.set(name, b);
    }
    return b;
  };

  let lineNo = 0;
  let raw = '';
  const fail = (message: string): void => {
    errors.push({ line: lineNo, text: firstChars(raw, 200), message });
  };

  for (let start = text.charCodeAt(0) === 0xfeff ? 1 : 0; start < text.length; ) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    raw = text.slice(start, end > start && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
    start = end + 1;
    lineNo++;

    const tok = lexLine(raw);
    switch (tok.kind) {
      case 'skip':
        break;
      case 'error':
        fail(tok.message);
        break;
      case 'help': {
        const b = builder(tok.name);
        if (b.helpLine !== undefined) {
          fail(`second HELP line for ${q(tok.name)} (first on line ${b.helpLine}); only one is allowed`);
          break;
        }
        b.family.help = tok.help;
        b.helpLine = lineNo;
        current = b;
        break;
      }
      case 'type': {
        const existing = builders.get(tok.name);
        if (existing?.typeLine !== undefined) {
          fail(`second TYPE line for ${q(tok.name)} (first on line ${existing.typeLine}); only one is allowed`);
          break;
        }
        const early = existing?.firstSampleLine ?? strayChildLine(builders, tok.name, tok.type);
        if (early !== undefined) {
          fail(
            `TYPE line for ${q(tok.name)} comes after its samples (first on line ${early}); ` +
              'TYPE must come before the first sample',
          );
          break;
        }
        const b = builder(tok.name);
        b.family.type = tok.type;
        b.typeLine = lineNo;
        current = b;
        break;
      }
      case 'sample': {
        let target = current && belongs(current.family, tok.name) ? current : findFamily(builders, tok.name);
        if (!target) {
          const taken = builders.get(tok.name);
          if (taken) {
            fail(misfitMessage(tok.name, taken.family.type));
            break;
          }
          target = builder(tok.name);
        }
        const problem = checkSpecialLabel(target.family, tok.name, tok.labels);
        if (problem !== undefined) {
          fail(problem);
          break;
        }
        const key = seriesKey(tok.name, tok.labels);
        const first = seriesLines.get(key);
        if (first !== undefined) {
          fail(`duplicate series ${formatSeries(tok.name, tok.labels)} (first on line ${first}); each series may appear only once`);
          break;
        }
        seriesLines.set(key, lineNo);
        const sample: Sample =
          tok.timestamp === undefined
            ? { name: tok.name, labels: tok.labels, value: tok.value }
            : { name: tok.name, labels: tok.labels, value: tok.value, timestamp: tok.timestamp };
        target.family.samples.push(sample);
        target.firstSampleLine ??= lineNo;
        current = target;
        break;
      }
    }
  }

  const families = [...builders.values()].map(({ family: { name, help, type, samples } }): MetricFamily =>
    help === undefined ? { name, type, samples } : { name, help, type, samples },
  );
  return { families, errors };
}

function belongs(family: Builder['family'], sampleName: string): boolean {
  if (sampleName === family.name) return !NO_BARE_SAMPLE.has(family.type);
  if (!sampleName.startsWith(family.name)) return false;
  return SUFFIXES[family.type].includes(sampleName.slice(family.name.length));
}

/** The existing family a sample belongs to: the one of its own name, or one its name extends by a suffix. */
function findFamily(builders: ReadonlyMap<string, Builder>, name: string): Builder | undefined {
  const exact = builders.get(name);
  if (exact && belongs(exact.family, name)) return exact;
  for (const suffix of ALL_SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const parent = builders.get(name.slice(0, -suffix.length));
    if (parent && belongs(parent.family, name)) return parent;
  }
  return undefined;
}

/** Line of the first sample that a TYPE for `name` would have claimed but that arrived earlier, untyped. */
function strayChildLine(builders: ReadonlyMap<string, Builder>, name: string, type: MetricType): number | undefined {
  for (const suffix of SUFFIXES[type]) {
    const child = builders.get(name + suffix);
    if (child?.typeLine === undefined && child?.firstSampleLine !== undefined) return child.firstSampleLine;
  }
  return undefined;
}

function misfitMessage(name: string, type: MetricType): string {
  const short = firstChars(name, 60);
  const expected = SUFFIXES[type].map((s) => short + s).join(', ');
  return `sample ${q(name)} does not fit ${type} family ${q(name)}; expected ${expected}`;
}

/** Histogram buckets need a numeric `le`, summary quantiles a numeric `quantile`. */
function checkSpecialLabel(
  family: Builder['family'],
  name: string,
  labels: Readonly<Record<string, string>>,
): string | undefined {
  let label: string | undefined;
  if ((family.type === 'histogram' || family.type === 'gaugehistogram') && name === `${family.name}_bucket`) label = 'le';
  else if (family.type === 'summary' && name === family.name) label = 'quantile';
  if (label === undefined) return undefined;
  const value = labels[label];
  if (value === undefined) {
    return `${family.type} sample ${q(name)} has no "${label}" label; expected ${label}="<number>"`;
  }
  if (parseSampleValue(value) === undefined) {
    return `invalid "${label}" label value ${q(value)}; expected a number or +Inf`;
  }
  return undefined;
}

/** Identity of a series: its name and its labels in name order (JSON, so no two series collide). */
function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  const parts = [name];
  for (const k of keys) parts.push(k, labels[k] ?? '');
  return JSON.stringify(parts);
}

/** Renders a series in exposition syntax for a message, cut to 120 characters. */
function formatSeries(name: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  const text = pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
  const cut = firstChars(text, 120);
  return cut.length < text.length ? `${cut}…` : text;
}
