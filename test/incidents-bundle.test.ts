import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../src/config/index.js';
import { CONNECTOR_PATHS, renderBundle, type BundleInput } from '../src/incidents/index.js';
import { Redactor } from '../src/telemetry/logs/redact.js';
import { NOW, downSnapshot } from './helpers/health-snapshots.js';

const KIB = 1024;
const identity = <T,>(value: T): T => value;

function input(over: Partial<BundleInput> = {}): BundleInput {
  return {
    at: NOW,
    trigger: 'down',
    reason: 'state healthy -> down: no registered connection',
    version: '0.1.0',
    settings: { incidents: { keep: 10 } },
    snapshot: { state: 'down' },
    diagnosis: [],
    alerts: [],
    probes: {},
    metrics: 'tunnelwatch_up 1\n',
    connector: { '/ready': { status: 503, body: '{"status":503,"readyConnections":0}' }, '/diag/tunnel': { error: 'connect ECONNREFUSED' } },
    records: [],
    ...over,
  };
}

/** A pino-shaped record of about `size` bytes, numbered so the test can tell which ones were kept. */
const record = (i: number, size = KIB): string => JSON.stringify({ level: 30, time: NOW + i, i, msg: 'x'.repeat(Math.max(0, size - 50)) });

interface Parsed {
  kind: string;
  at: string;
  trigger: string;
  metrics: string;
  connector: Record<string, { status?: number; body?: string; error?: string }>;
  settings: unknown;
  recordsLeftOut: number;
  records: unknown[];
}

const parse = (text: string): Parsed => JSON.parse(text) as Parsed;
const indexes = (b: Parsed): number[] => b.records.map((r) => (r as { i: number }).i);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

describe('renderBundle: records', () => {
  const records = Array.from({ length: 5000 }, (_, i) => record(i));

  it('keeps the newest records that fit, shown oldest first, and counts the rest as left out', () => {
    const bundle = parse(renderBundle(input({ records }), 64 * KIB, identity));
    const kept = bundle.records.length;
    // 64 KiB minus the head holds a few dozen 1 KiB records: neither none nor all.
    expect(kept).toBeGreaterThan(40);
    expect(kept).toBeLessThan(64);
    expect(indexes(bundle)).toEqual(range(5000 - kept, 5000));
    expect(bundle.recordsLeftOut).toBe(5000 - kept);
    expect(bundle).toMatchObject({ kind: 'tunnelwatch incident bundle', at: new Date(NOW).toISOString(), trigger: 'down' });
  });

  it('fits maxBytes, counted in UTF-8 bytes, as compact JSON', () => {
    const text = renderBundle(input({ records }), 64 * KIB, identity);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * KIB);
    // Compact: no indentation, so the bytes budgeted are the bytes written (`jq .` indents it for reading).
    expect(text).not.toContain('\n');
    expect(text).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('counts bytes, not characters: multi-byte records keep the newest and leave more out', () => {
    // 'é' is 2 bytes and '🙂' 4 in UTF-8: the same number of characters fits fewer records.
    const wide = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i, msg: 'é🙂'.repeat(300) }));
    const bundle = parse(renderBundle(input({ records: wide }), 64 * KIB, identity));
    const kept = bundle.records.length;
    expect(kept).toBeGreaterThan(0);
    expect(kept * 1800).toBeLessThan(64 * KIB);
    expect(indexes(bundle)).toEqual(range(1000 - kept, 1000));
    expect(bundle.recordsLeftOut).toBe(1000 - kept);
  });

  it('keeps every record when all fit', () => {
    const bundle = parse(renderBundle(input({ records: records.slice(0, 3) }), 64 * KIB, identity));
    expect(indexes(bundle)).toEqual([0, 1, 2]);
    expect(bundle.recordsLeftOut).toBe(0);
  });

  it('keeps a line that is not JSON as a string', () => {
    const lines = [record(0, 100), 'cloudflared: torn line {"level":', record(2, 100)];
    const bundle = parse(renderBundle(input({ records: lines }), 64 * KIB, identity));
    expect(bundle.records).toHaveLength(3);
    expect(bundle.records[1]).toBe('cloudflared: torn line {"level":');
    expect(bundle.records[0]).toMatchObject({ i: 0 });
  });
});

describe('renderBundle: texts', () => {
  const bytes = (text: string): number => Buffer.byteLength(text);

  it('cuts the metrics text and a connector body at an eighth of maxBytes, saying where in bytes', () => {
    const maxBytes = 64 * KIB;
    const eighth = maxBytes / 8;
    const metrics = `${'m'.repeat(eighth)}TAIL-OF-METRICS`;
    const body = `${'b'.repeat(eighth)}TAIL-OF-BODY`;
    const bundle = parse(renderBundle(input({ metrics, connector: { '/metrics': { status: 200, body }, '/config': { status: 200, body: '{"version":3}' }, '/diag/system': { error: 'boom' } } }), maxBytes, identity));

    expect(bundle.metrics).toBe(`${'m'.repeat(eighth)}\n… cut at ${String(eighth)} of ${String(bytes(metrics))} bytes`);
    expect(bundle.connector['/metrics']).toEqual({ status: 200, body: `${'b'.repeat(eighth)}\n… cut at ${String(eighth)} of ${String(bytes(body))} bytes` });
    // Short bodies and failures come through as they were.
    expect(bundle.connector['/config']).toEqual({ status: 200, body: '{"version":3}' });
    expect(bundle.connector['/diag/system']).toEqual({ error: 'boom' });
  });

  it('counts the cut in UTF-8 bytes, not characters; a character cut in two becomes U+FFFD', () => {
    const maxBytes = 64 * KIB;
    const eighth = maxBytes / 8;
    // 'é' is 2 bytes: an eighth holds half as many of them as of 'm'.
    const wide = 'é'.repeat(eighth);
    expect(parse(renderBundle(input({ metrics: wide }), maxBytes, identity)).metrics).toBe(`${'é'.repeat(eighth / 2)}\n… cut at ${String(eighth)} of ${String(2 * eighth)} bytes`);
    // One byte off: the cut falls inside the last 'é'.
    const odd = `x${wide}`;
    expect(parse(renderBundle(input({ metrics: odd }), maxBytes, identity)).metrics).toBe(`x${'é'.repeat(eighth / 2 - 1)}\uFFFD\n… cut at ${String(eighth)} of ${String(2 * eighth + 1)} bytes`);
  });

  it('stays within maxBytes when every text is long', () => {
    const maxBytes = 64 * KIB;
    const long = 'y'.repeat(maxBytes / 4);
    const connector = Object.fromEntries(CONNECTOR_PATHS.map((p) => [p, { status: 200, body: long }]));
    const text = renderBundle(input({ metrics: long, connector }), maxBytes, identity);
    expect(bytes(text)).toBeLessThanOrEqual(maxBytes);
    // Seven texts of an eighth each still fit beside a small head: no further halving.
    expect(parse(text).metrics).toContain(`cut at ${String(maxBytes / 8)} of`);
  });

  it('halves the cut while the whole does not fit', () => {
    const maxBytes = 64 * KIB;
    const long = 'y'.repeat(maxBytes / 4);
    const connector = Object.fromEntries(CONNECTOR_PATHS.map((p) => [p, { status: 200, body: long }]));
    // A 24 KiB snapshot leaves room for seven texts of a sixteenth (4 KiB), not of an eighth.
    const snapshot = { state: 'down', padding: 'p'.repeat(24 * KIB) };
    const bundle = parse(renderBundle(input({ metrics: long, connector, snapshot, records: [record(0), record(1)] }), maxBytes, identity));
    expect(bundle.metrics).toBe(`${'y'.repeat(4 * KIB)}\n… cut at ${String(4 * KIB)} of ${String(maxBytes / 4)} bytes`);
    for (const p of CONNECTOR_PATHS) expect(bundle.connector[p]?.body, p).toBe(bundle.metrics);
    // The records go first only once the texts are as short as they get; here there is still room for them.
    expect(indexes(bundle)).toEqual([0, 1]);
  });

  it('cuts no text below 1 KiB: the records give way instead', () => {
    const maxBytes = 64 * KIB;
    const long = 'y'.repeat(maxBytes / 4);
    const connector = Object.fromEntries(CONNECTOR_PATHS.map((p) => [p, { status: 200, body: long }]));
    // Room for seven texts of 1 KiB beside a 56 KiB snapshot, not for one more record of 1 KiB.
    const snapshot = { state: 'down', padding: 'p'.repeat(56 * KIB) };
    const text = renderBundle(input({ metrics: long, connector, snapshot, records: [record(0), record(1)] }), maxBytes, identity);
    const bundle = parse(text);
    expect(bundle.metrics).toBe(`${'y'.repeat(KIB)}\n… cut at ${String(KIB)} of ${String(maxBytes / 4)} bytes`);
    expect(bundle.records).toEqual([]);
    expect(bundle.recordsLeftOut).toBe(2);
    expect(bytes(text)).toBeLessThanOrEqual(maxBytes);
  });

  it('does not cut a text of exactly an eighth of maxBytes', () => {
    const metrics = 'm'.repeat(8 * KIB);
    expect(parse(renderBundle(input({ metrics }), 64 * KIB, identity)).metrics).toBe(metrics);
  });
});

describe('renderBundle: redaction', () => {
  const SECRET = 's3cr3t-value';

  it('applies redact to every part, nested strings included', () => {
    const loaded = loadSettings({
      env: { HOME: '/home/sre', TUNNELWATCH_ORIGINS_TARGETS: JSON.stringify([{ name: 'api', url: `http://api:9000/?k=${SECRET}` }]) },
      sets: [`identity.labels={"team":"${SECRET}-team"}`],
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    const redactor = new Redactor([SECRET]);
    const text = renderBundle(
      input({
        settings: loaded.settings,
        snapshot: { ...downSnapshot(), reasons: [{ code: 'no_connections', message: `edge said ${SECRET}`, since: NOW }] },
        diagnosis: [{ evidence: [{ lines: [`x ${SECRET} y`] }] }],
        metrics: `tunnelwatch_info{label="${SECRET}"} 1\n`,
        connector: { '/config': { status: 200, body: `{"config":{"ingress":[{"service":"http://u:${SECRET}@api"}]}}` } },
        records: [JSON.stringify({ msg: 'ok', nested: { deeper: [{ value: `prefix ${SECRET} suffix` }] } }), `plain ${SECRET}`],
      }),
      64 * KIB,
      (value) => redactor.value(value),
    );

    expect(text).not.toContain(SECRET);
    const bundle = parse(text) as Parsed & { settings: { origins: { targets: { url: string }[] }; identity: { labels: { team: string } } } };
    // Each part was redacted where the secret was, not dropped.
    expect(bundle.settings.origins.targets[0]?.url).toBe('http://api:9000/?k=<redacted>');
    expect(bundle.settings.identity.labels.team).toBe('<redacted>-team');
    expect(bundle.metrics).toContain('label="<redacted>"');
    expect(bundle.connector['/config']?.body).toContain('<redacted>');
    expect(bundle.records).toEqual([{ msg: 'ok', nested: { deeper: [{ value: 'prefix <redacted> suffix' }] } }, 'plain <redacted>']);
  });

  it('redacts before it cuts, so no part of a secret is left at a cut', () => {
    const maxBytes = 64 * KIB;
    const eighth = maxBytes / 8;
    const redactor = new Redactor([SECRET]);
    // The secret straddles the cut: cut first, its first half would no longer match and would stay.
    const metrics = `${'m'.repeat(eighth - 6)}${SECRET}${'m'.repeat(100)}`;
    const body = `${'b'.repeat(eighth - 6)}${SECRET}`;
    const text = renderBundle(input({ metrics, connector: { '/config': { status: 200, body } } }), maxBytes, (value) => redactor.value(value));
    expect(text).not.toContain(SECRET.slice(0, 6));
    const bundle = parse(text);
    // Cut where the redacted text is eighth bytes long, counted on the redacted text.
    const redacted = `${'m'.repeat(eighth - 6)}<redacted>${'m'.repeat(100)}`;
    expect(bundle.metrics).toBe(`${redacted.slice(0, eighth)}\n… cut at ${String(eighth)} of ${String(redacted.length)} bytes`);
    expect(bundle.connector['/config']?.body).toBe(`${'b'.repeat(eighth - 6)}<redac\n… cut at ${String(eighth)} of ${String(eighth + 4)} bytes`);
  });
});

describe('renderBundle (property)', () => {
  // Records as the log pipeline writes them: many of one shape (a count, a message size, a number of extra fields, a
  // character that is 1 to 4 bytes in UTF-8), with the odd line that is not JSON.
  const inputs = fc
    .record({
      count: fc.integer({ min: 0, max: 4000 }),
      size: fc.integer({ min: 0, max: 3000 }),
      fields: fc.integer({ min: 0, max: 12 }),
      char: fc.constantFrom('x', 'é', '€', '🙂', '"'),
      tornEvery: fc.integer({ min: 0, max: 50 }),
      maxBytes: fc.integer({ min: 64 * KIB, max: 256 * KIB }),
    })
    .map(({ count, size, fields, char, tornEvery, maxBytes }) => {
      const extra = Object.fromEntries(Array.from({ length: fields }, (_, k) => [`field${String(k)}`, k]));
      const records = Array.from({ length: count }, (_, i) =>
        tornEvery > 0 && i % tornEvery === 0 ? `torn ${char.repeat(size)}` : JSON.stringify({ i, ...extra, msg: char.repeat(size) }),
      );
      return { records, maxBytes };
    });

  it('always gives JSON with a newest-first suffix of the records and the right recordsLeftOut', () => {
    fc.assert(
      fc.property(inputs, ({ records, maxBytes }) => {
        const bundle = parse(renderBundle(input({ records }), maxBytes, identity));
        const kept = bundle.records.length;
        expect(bundle.recordsLeftOut).toBe(records.length - kept);
        const expected = records.slice(records.length - kept).map((r) => {
          try {
            return JSON.parse(r) as unknown;
          } catch {
            return r;
          }
        });
        expect(bundle.records).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('never exceeds maxBytes (UTF-8)', () => {
    fc.assert(
      fc.property(inputs, fc.integer({ min: 0, max: 64 * KIB }), ({ records, maxBytes }, textBytes) => {
        // Long texts too, so the cut of the texts (an eighth, halved while the rest does not fit) takes part.
        const long = '€'.repeat(Math.floor(textBytes / 3));
        const text = renderBundle(input({ records, metrics: long, connector: { '/metrics': { status: 200, body: long }, '/ready': { error: 'boom' } } }), maxBytes, identity);
        expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxBytes);
      }),
      { numRuns: 100 },
    );
  });
});
