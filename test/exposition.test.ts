import { describe, expect, it } from 'vitest';
import { parseExposition } from '../src/cloudflared/metrics/exposition.js';
import {
  findFamily,
  findSamples,
  getValue,
  matchesLabels,
  readHistogram,
  sumValues,
  valuesByLabel,
} from '../src/cloudflared/metrics/exposition-query.js';
import {
  UPDATE_GOLDEN,
  metricCases,
  readGolden,
  readProm,
  toGoldenValue,
  writeGolden,
} from './fixtures/metrics/golden.js';

describe('parseExposition golden files', () => {
  it('has a fixture for every case the parser must handle', () => {
    expect(metricCases()).toEqual([
      'garbage',
      'healthy-2026.8.2',
      'http2-2026.8.2',
      'legacy-2022.10.3-h2mux',
      'legacy-2024.5.0',
      'spec-edge-cases',
      'starting-2026.8.2',
    ]);
  });

  for (const name of metricCases()) {
    it(`parses ${name}.prom to ${name}.parsed.json`, () => {
      const parsed = parseExposition(readProm(name));
      if (UPDATE_GOLDEN) writeGolden(name, 'parsed', parsed);
      expect(toGoldenValue(parsed)).toEqual(readGolden(name, 'parsed'));
    });
  }

  it('reads every line of the cloudflared fixtures without errors', () => {
    for (const name of metricCases().filter((n) => n !== 'garbage')) {
      expect(parseExposition(readProm(name)).errors, name).toEqual([]);
    }
  });
});

/** Parses one line and returns its error message, or undefined. */
function errorOf(line: string): string | undefined {
  const { errors } = parseExposition(line);
  expect(errors.length).toBeLessThanOrEqual(1);
  return errors[0]?.message;
}

describe('parseExposition line errors (exact messages)', () => {
  const cases: [string, string][] = [
    ['!!! garbage', 'unexpected "!" at column 1; expected a metric name, "{" or "#"'],
    ['1abc 5', 'unexpected "1" at column 1; expected a metric name, "{" or "#"'],
    ['metric-name 1', 'unexpected "-" at column 7; expected "{" or a space after the metric name'],
    ['up', 'unexpected end of line at column 3; expected a sample value'],
    ['up{}', 'unexpected end of line at column 5; expected a sample value'],
    ['up twelve', 'invalid value "twelve" at column 4; expected a number, NaN, +Inf or -Inf'],
    ['up 0x1F', 'invalid value "0x1F" at column 4; expected a number, NaN, +Inf or -Inf'],
    ['up 1e400', 'value "1e400" at column 4 is beyond the float64 range; write +Inf or -Inf for an infinite value'],
    ['up -1e400', 'value "-1e400" at column 4 is beyond the float64 range; write +Inf or -Inf for an infinite value'],
    ['up 1 12:00', 'invalid timestamp "12:00" at column 6; expected an integer number of milliseconds'],
    ['up 1 1.5', 'invalid timestamp "1.5" at column 6; expected an integer number of milliseconds'],
    ['up 1 99999999999999999999', 'invalid timestamp "99999999999999999999" at column 6; expected an integer number of milliseconds'],
    ['up 1 1000 extra', 'unexpected "e" at column 11; expected the end of the line'],
    ['up{ 4', 'unexpected "4" at column 5; expected a label name or "}"'],
    ['up{a="1" b="2"} 1', 'unexpected "b" at column 10; expected "," or "}"'],
    ['up{a:b="1"} 1', 'unexpected ":" at column 5; expected "=" after the label name'],
    ['up{a} 1', 'unexpected "}" at column 5; expected "=" after the label name'],
    ['up{a=1} 1', 'unexpected "1" at column 6; expected a quoted label value'],
    ['up{a="1} 1', 'unexpected end of line at column 11; expected a closing \'"\' for the label value'],
    ['up{a="1\\', 'unexpected end of line at column 9; expected a closing \'"\' for the label value'],
    ['up{a="1",a="2"} 1', 'duplicate label "a" at column 10; each label name may appear only once'],
    ['up{"x"} 1', 'unexpected "}" at column 7; expected "=" after the label name'],
    ['{a="b"} 1', 'label set has no quoted metric name; expected {"name", ...}'],
    ['{""} 1', 'empty metric name at column 2; expected a non-empty quoted name'],
    ['# HELP', 'unexpected end of line at column 7; expected a metric name after HELP'],
    ['# HELP 1x text', 'unexpected "1" at column 8; expected a metric name after HELP'],
    ['# HELP up.time text', 'unexpected "." at column 10; expected a space after the metric name'],
    ['# HELP "" text', 'empty metric name at column 8; expected a non-empty quoted name'],
    ['# TYPE', 'unexpected end of line at column 7; expected a metric name after TYPE'],
    ['# TYPE up', 'unexpected end of line at column 10; expected a metric type (counter, gauge, histogram, summary or untyped)'],
    ['# TYPE up countr', 'unknown metric type "countr" at column 11; expected counter, gauge, histogram, summary or untyped'],
    ['# TYPE up gauge extra', 'unexpected "e" at column 17; expected the end of the line'],
    ['\u0000', 'unexpected "\\u0000" at column 1; expected a metric name, "{" or "#"'],
    ['😀 1', 'unexpected "😀" at column 1; expected a metric name, "{" or "#"'],
  ];
  it.each(cases)('%j', (line, message) => {
    expect(errorOf(line)).toBe(message);
  });

  it('reports a second TYPE line', () => {
    const { errors } = parseExposition('# TYPE up gauge\n# TYPE up counter\nup 1\n');
    expect(errors).toEqual([
      {
        line: 2,
        text: '# TYPE up counter',
        message: 'second TYPE line for "up" (first on line 1); only one is allowed',
      },
    ]);
  });

  it('reports a TYPE line after samples of its family, and keeps the samples', () => {
    const exposition = parseExposition('up 1\n# TYPE up gauge\n');
    expect(exposition.errors).toEqual([
      {
        line: 2,
        text: '# TYPE up gauge',
        message: 'TYPE line for "up" comes after its samples (first on line 1); TYPE must come before the first sample',
      },
    ]);
    expect(exposition.families).toEqual([{ name: 'up', type: 'untyped', samples: [{ name: 'up', labels: {}, value: 1 }] }]);
  });

  it('reports a TYPE line that comes after samples its type would have claimed', () => {
    const { errors } = parseExposition('x_count 1\n# TYPE x summary\n');
    expect(errors.map((e) => e.message)).toEqual([
      'TYPE line for "x" comes after its samples (first on line 1); TYPE must come before the first sample',
    ]);
  });

  it('reports a second HELP line', () => {
    const { errors } = parseExposition('# HELP up a\n# HELP up b\n');
    expect(errors.map((e) => e.message)).toEqual(['second HELP line for "up" (first on line 1); only one is allowed']);
  });

  it('reports a duplicate series whatever the label order, and keeps the first value', () => {
    const exposition = parseExposition('up{a="1",b="2"} 1\nup{b="2",a="1"} 2\n');
    expect(exposition.errors.map((e) => e.message)).toEqual([
      'duplicate series up{b="2",a="1"} (first on line 1); each series may appear only once',
    ]);
    expect(exposition.families[0]?.samples.map((s) => s.value)).toEqual([1]);
  });

  it('reports histogram and summary samples that break their family rules', () => {
    const text = [
      '# TYPE h histogram',
      'h_bucket 1',
      'h_bucket{le="fast"} 1',
      'h 5',
      '# TYPE s summary',
      's 1',
      's{quantile="p99"} 1',
    ].join('\n');
    expect(parseExposition(text).errors.map((e) => [e.line, e.message])).toEqual([
      [2, 'histogram sample "h_bucket" has no "le" label; expected le="<number>"'],
      [3, 'invalid "le" label value "fast"; expected a number or +Inf'],
      [4, 'sample "h" does not fit histogram family "h"; expected h_bucket, h_sum, h_count, h_created'],
      [6, 'summary sample "s" has no "quantile" label; expected quantile="<number>"'],
      [7, 'invalid "quantile" label value "p99"; expected a number or +Inf'],
    ]);
  });

  it('cuts long names and values in messages to 60 characters', () => {
    expect(errorOf(`up ${'9'.repeat(70)}x`)).toBe(
      `invalid value "${'9'.repeat(60)}…" at column 4; expected a number, NaN, +Inf or -Inf`,
    );
  });

  it('keeps only the first 200 characters of a bad line, never splitting a character', () => {
    const line = `${'é'.repeat(150)}${'😀'.repeat(100)}`;
    const [error] = parseExposition(line).errors;
    expect(error?.text).toBe(`${'é'.repeat(150)}${'😀'.repeat(50)}`);
  });
});

describe('parseExposition tolerance', () => {
  const lf = '# HELP up Is it up.\n# TYPE up gauge\nup{job="a"} 1\nup{job="b"} 0\n';

  it('reads CRLF line ends and a missing final newline the same as LF', () => {
    const expected = parseExposition(lf);
    expect(parseExposition(lf.replaceAll('\n', '\r\n'))).toEqual(expected);
    expect(parseExposition(lf.slice(0, -1))).toEqual(expected);
    expect(parseExposition(`\uFEFF${lf}`)).toEqual(expected);
  });

  it('continues after a bad line and numbers lines from 1', () => {
    const exposition = parseExposition(`a 1\n\nb{ 2\nc 3\n`);
    expect(exposition.errors.map((e) => e.line)).toEqual([3]);
    expect(exposition.families.map((f) => f.name)).toEqual(['a', 'c']);
  });

  it('returns nothing for empty or comment-only input', () => {
    expect(parseExposition('')).toEqual({ families: [], errors: [] });
    expect(parseExposition('\n\n# just a comment\n# EOF')).toEqual({ families: [], errors: [] });
  });

  it('keeps a family declared by HELP and TYPE even when it has no samples', () => {
    expect(parseExposition('# HELP x Nothing yet.\n# TYPE x counter\n').families).toEqual([
      { name: 'x', help: 'Nothing yet.', type: 'counter', samples: [] },
    ]);
  });

  it('groups samples of a family that arrive in two runs', () => {
    const exposition = parseExposition('# TYPE x counter\nx{a="1"} 1\ny 2\nx{a="2"} 3\n');
    expect(exposition.errors).toEqual([]);
    expect(exposition.families.map((f) => [f.name, f.samples.length])).toEqual([
      ['x', 2],
      ['y', 1],
    ]);
  });

  it('reads the metric type case-insensitively, as Go\'s expfmt does', () => {
    expect(parseExposition('# TYPE up GAUGE\nup 1').families[0]?.type).toBe('gauge');
  });

  it('unescapes only \\\\ and \\n in HELP and keeps a final lone backslash', () => {
    expect(parseExposition('# HELP up a\\\\b\\nc\\td\\').families[0]?.help).toBe('a\\b\nc\\td\\');
  });

  it('accepts a label named __proto__ as an ordinary label', () => {
    const [family] = parseExposition('x{__proto__="p",constructor="c"} 1').families;
    expect(family?.samples[0]?.labels.__proto__).toBe('p');
    expect(Object.keys(family?.samples[0]?.labels ?? {})).toEqual(['__proto__', 'constructor']);
  });
});

describe('exposition queries', () => {
  const exposition = parseExposition(readProm('healthy-2026.8.2'));

  it('finds families and single values', () => {
    expect(findFamily(exposition, 'cloudflared_tunnel_ha_connections')?.type).toBe('gauge');
    expect(findFamily(exposition, 'no_such_metric')).toBeUndefined();
    expect(getValue(exposition, 'cloudflared_tunnel_ha_connections')).toBe(4);
    expect(getValue(exposition, 'quic_client_smoothed_rtt', { conn_index: '3' })).toBe(19);
    expect(getValue(exposition, 'quic_client_smoothed_rtt', { conn_index: '9' })).toBeUndefined();
    expect(getValue(exposition, 'cloudflared_tunnel_tunnel_register_fail')).toBeUndefined();
  });

  it('finds samples by full sample name across family suffixes', () => {
    expect(findSamples(exposition, 'go_gc_duration_seconds_count').map((s) => s.value)).toEqual([3211]);
    expect(findSamples(exposition, 'cloudflared_tunnel_server_locations', { connection_id: '1' })).toHaveLength(2);
  });

  it('sums values and tells "none served" from zero', () => {
    expect(sumValues(exposition, 'quic_client_lost_packets')).toBe(99);
    expect(sumValues(exposition, 'quic_client_lost_packets', { reason: 'reordering_threshold' })).toBe(4);
    expect(sumValues(exposition, 'cloudflared_tcp_active_sessions')).toBe(0);
    expect(sumValues(exposition, 'cloudflared_tunnel_tunnel_register_fail')).toBeUndefined();
  });

  it('keys values by a label', () => {
    expect(valuesByLabel(exposition, 'quic_client_lost_packets', 'reason', { conn_index: '0' })).toEqual({
      reordering_threshold: 3,
      time_threshold: 41,
    });
    expect(valuesByLabel(exposition, 'promhttp_metric_handler_requests_total', 'code')).toEqual({
      '200': 17545,
      '500': 0,
      '503': 0,
    });
    expect(valuesByLabel(exposition, 'missing', 'code')).toBeUndefined();
    expect(valuesByLabel(parseExposition('x{k="__proto__"} 1\nx{k="b"} 2'), 'x', 'k')).toEqual(
      Object.fromEntries([
        ['__proto__', 1],
        ['b', 2],
      ]),
    );
  });

  it('matches labels as a subset', () => {
    const sample = { name: 'x', labels: { a: '1', b: '2' }, value: 1 };
    expect(matchesLabels(sample, {})).toBe(true);
    expect(matchesLabels(sample, { a: '1' })).toBe(true);
    expect(matchesLabels(sample, { a: '2' })).toBe(false);
    expect(matchesLabels(sample, { c: '' })).toBe(false);
  });

  it('assembles a histogram series', () => {
    const family = findFamily(exposition, 'cloudflared_rpc_client_latency_secs');
    expect(family && readHistogram(family, { handler: 'registration', method: 'register_connection' })).toEqual({
      buckets: [
        { le: 0.05, count: 0 },
        { le: 0.15000000000000002, count: 3 },
        { le: 0.45000000000000007, count: 5 },
        { le: 1.35, count: 5 },
        { le: 4.050000000000001, count: 5 },
        { le: Infinity, count: 5 },
      ],
      sum: 0.83413692,
      count: 5,
    });
    expect(family && readHistogram(family)).toBeUndefined();
    expect(family && readHistogram(family, { handler: 'registration' })).toBeUndefined();
  });

  it('assembles an unlabelled histogram and picks one series out of several', () => {
    const latency = findFamily(exposition, 'cloudflared_proxy_connect_latency');
    expect(latency && readHistogram(latency)?.buckets.map((b) => b.le)).toEqual([1, 10, 25, 50, 100, 500, 1000, 5000, Infinity]);
    const edge = parseExposition(readProm('spec-edge-cases'));
    const http = findFamily(edge, 'http_latency_seconds');
    expect(http && readHistogram(http, { route: '/b' })).toEqual({
      buckets: [
        { le: 0.1, count: 0 },
        { le: 0.5, count: 0 },
        { le: Infinity, count: 1 },
      ],
      sum: 2.5,
      count: 1,
    });
  });
});
