import { describe, expect, it } from 'vitest';
import { firstLine, rateLimitOf, readLokiAnswer } from '../src/telemetry/sinks/loki-answer.js';

const URL = 'http://loki.example:3100/loki/api/v1/push';

// Loki's own answer texts (grafana/loki pkg/validation/validate.go, pkg/chunkenc/interface.go), shaped as Loki sends them.
const TENANT_RATE = "ingestion rate limit exceeded for user fake (limit: 524288 bytes/sec) while attempting to ingest '956' lines totaling '834000' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased";
const STREAM_RATE = "Per stream rate limit exceeded (limit: 3MB/sec) while attempting to ingest for stream '{job=\"tunnelwatch\"}' totaling 5MB, consider splitting a stream via additional labels or contact your Loki administrator to see if the limit can be increased";
const STREAM_LIMIT = "maximum active stream limit exceeded when trying to create stream {job=\"x\"}, reduce the number of active streams (reduce labels or reduce label values), or contact your Loki administrator to see if the limit can be increased, user: 'fake'";
const LINE_TOO_LONG = "max entry size '256' bytes exceeded for stream '{job=\"tunnelwatch\"}' while adding an entry with length '300' bytes";
const TOO_OLD = "entry for stream '{job=\"tunnelwatch\"}' has timestamp too old: 2026-01-01T00:00:00Z, oldest acceptable timestamp is: 2026-12-01T00:00:00Z";
const OUT_OF_ORDER = 'entry too far behind, entry timestamp is: 2026-12-06T10:00:00Z, oldest acceptable timestamp is: 2026-12-06T11:00:00Z';
const TOO_MANY_LABELS = "entry for stream '{job=\"tunnelwatch\", level=\"info\", replica=\"a\", source=\"cloudflared\", tunnel_id=\"x\"}' has 6 label names; limit 4";
const LABEL_VALUE_TOO_LONG = "stream '{job=\"tunnelwatch\"}' has label value too long: 'xxxx'";

describe('readLokiAnswer: the kind of each Loki answer', () => {
  it.each([
    ['2xx', 204, '', 'ok'],
    ['200', 200, '', 'ok'],
    ['tenant rate limit', 429, TENANT_RATE, 'rate_limited'],
    ['per-stream rate limit', 429, STREAM_RATE, 'rate_limited'],
    // A stream limit is not cured by smaller pushes: the same push goes again later.
    ['active stream limit', 429, STREAM_LIMIT, 'retry'],
    ['500', 500, 'internal server error', 'retry'],
    ['502', 502, 'bad gateway', 'retry'],
    ['503', 503, 'at least 1 live replicas required, could only find 0', 'retry'],
    ['408', 408, 'request timeout', 'retry'],
    ['line too long', 400, LINE_TOO_LONG, 'reject'],
    ['timestamp too old', 400, TOO_OLD, 'reject'],
    ['entry too far behind', 400, OUT_OF_ORDER, 'reject'],
    ['413', 413, 'request entity too large', 'reject'],
    // Every record of the stream would get the same answer: the labels are the sink's settings.
    ['too many label names', 400, TOO_MANY_LABELS, 'setup'],
    ['label value too long', 400, LABEL_VALUE_TOO_LONG, 'setup'],
    ['no org id', 401, 'no org id', 'setup'],
    ['bad credentials', 401, 'invalid credentials', 'setup'],
    ['no push endpoint', 404, '404 page not found', 'setup'],
  ])('%s (HTTP %i) is %s', (_name, status, text, kind) => {
    expect(readLokiAnswer(status, text, URL).kind).toBe(kind);
  });
});

describe('readLokiAnswer: setup problems name the setting to check', () => {
  it.each([
    [400, TOO_MANY_LABELS, ['logs.loki.labels', 'limits_config', 'has 6 label names; limit 4']],
    [400, LABEL_VALUE_TOO_LONG, ['logs.loki.labels', 'limits_config', 'label value too long']],
    [401, 'no org id\n', ['no org id', 'set logs.loki.tenant']],
    [401, 'invalid credentials', ['credentials', 'logs.loki.username', 'logs.loki.password']],
    [404, '404 page not found', [URL, 'HTTP 404', 'logs.loki.url']],
  ])('HTTP %i (case %#)', (status, text, words) => {
    const a = readLokiAnswer(status, text, URL);
    if (a.kind !== 'setup') throw new Error(`expected setup, got ${a.kind}`);
    for (const w of words) expect(a.problem).toContain(w);
    expect(a.error).toBe(a.problem);
  });

  it('a 401 without "no org id" does not blame the tenant', () => {
    const a = readLokiAnswer(401, 'invalid credentials', URL);
    expect(a.kind === 'setup' && a.problem).not.toContain('logs.loki.tenant');
  });
});

describe('readLokiAnswer: what the shipper needs from a rate-limit answer', () => {
  it("takes the tenant's rate in bytes per second and keeps Loki's words as the error", () => {
    expect(readLokiAnswer(429, TENANT_RATE, URL)).toEqual({ kind: 'rate_limited', error: `HTTP 429: ${TENANT_RATE}`, limitBytesPerSecond: 524288 });
  });

  it('leaves the rate out for the per-stream limit, whose unit Loki humanizes (3MB/sec)', () => {
    const a = readLokiAnswer(429, STREAM_RATE, URL);
    expect(a.kind).toBe('rate_limited');
    expect(a).not.toHaveProperty('limitBytesPerSecond');
    expect(rateLimitOf(STREAM_RATE)).toBeUndefined();
  });

  it('rateLimitOf reads only a positive number of bytes/sec', () => {
    expect(rateLimitOf(TENANT_RATE)).toBe(524288);
    expect(rateLimitOf('ingestion rate limit exceeded for user fake (limit: 0 bytes/sec)')).toBeUndefined();
    expect(rateLimitOf('')).toBeUndefined();
  });

  it.each([
    [429, TENANT_RATE, 'rate_limited'],
    [429, STREAM_LIMIT, 'retry'],
    [503, 'unavailable', 'retry'],
  ])('passes Retry-After through for HTTP %i (case %#)', (status, text, kind) => {
    expect(readLokiAnswer(status, text, URL, 7000)).toMatchObject({ kind, retryAfterMs: 7000 });
    expect(readLokiAnswer(status, text, URL)).not.toHaveProperty('retryAfterMs');
  });

  it('reject keeps the status and the whole text, for the quarantine', () => {
    expect(readLokiAnswer(400, LINE_TOO_LONG, URL)).toEqual({ kind: 'reject', status: 400, text: LINE_TOO_LONG });
  });
});

describe('firstLine', () => {
  it('keeps the first line of a multi-line body, trimmed', () => {
    expect(firstLine('\n  error at push\nstack line 1\nstack line 2\n')).toBe('error at push');
    expect(firstLine('')).toBe('');
  });

  it('cuts at 300 characters', () => {
    const long = `${'x'.repeat(400)}\nsecond`;
    expect(firstLine(long)).toBe('x'.repeat(300));
  });

  it("shortens a retry's error to the first line of Loki's body", () => {
    const a = readLokiAnswer(500, `rpc error: code = Unavailable\n${'goroutine '.repeat(100)}`, URL);
    expect(a).toMatchObject({ kind: 'retry', error: 'HTTP 500: rpc error: code = Unavailable' });
  });
});
