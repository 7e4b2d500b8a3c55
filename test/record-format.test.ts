// logs.format: the same records in pino's, OpenTelemetry's and Elastic Common Schema's field names, for a real
// cloudflared line and a tunnelwatch record with trace context; redaction before any format; syslog's MSG; and the
// whole pipeline from settings (`logs.format: ecs`) to stdout, Loki and its quarantine.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VERSION } from '../src/base/index.js';
import { parseLogLine, repeatKey } from '../src/cloudflared/log/index.js';
import { loadSettings } from '../src/config/index.js';
import { CollapsingWriter, outputsOf } from '../src/sidecar/collapsing-writer.js';
import { startLogging } from '../src/sidecar/logging.js';
import { LogPipeline, type LineOutput } from '../src/telemetry/logs/log-pipeline.js';
import { connectorRecord, learnLabels, type LogRecord, type RecordLabels } from '../src/telemetry/logs/log-record.js';
import { createLogger } from '../src/telemetry/logs/logger.js';
import { ECS_VERSION, type LogFormat, recordSerialiser } from '../src/telemetry/logs/record-format.js';
import { Redactor } from '../src/telemetry/logs/redact.js';
import { Repeats } from '../src/telemetry/logs/repeats.js';
import { formatSyslogMessage } from '../src/telemetry/sinks/syslog-format.js';

const FORMATS: readonly LogFormat[] = ['pino', 'otel', 'ecs'];
const TUNNEL = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
const CONNECTOR = 'c1f3e2d4-5b6a-4c7d-8e9f-0a1b2c3d4e5f';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const RECEIVED = Date.UTC(2026, 7, 20, 12, 0, 1, 234);

// A real `--output json` line (test/fixtures/logs/json-origin-errors.log): an origin error, which has no message.
const ORIGIN_ERROR =
  '{"cfRay":"8f1e2a3b4c5d6e7f-LAX","connIndex":0,"error":"Unable to reach the origin service. The service may be down or it may not be responding to traffic from cloudflared: dial tcp 127.0.0.1:8080: connect: connection refused","event":1,"ingressRule":0,"level":"error","originService":"http://localhost:8080","time":"2026-08-20T12:00:01Z"}';
const ORIGIN_ERROR_TEXT = 'Unable to reach the origin service. The service may be down or it may not be responding to traffic from cloudflared: dial tcp 127.0.0.1:8080: connect: connection refused';

const LABELS: RecordLabels = { tunnel_id: TUNNEL, replica: 'tunnelwatch-0', zone: 'eu-west-1a', connector_id: CONNECTOR, version: '2026.8.2' };

const cloudflaredRecord = (): LogRecord => connectorRecord(parseLogLine(ORIGIN_ERROR), ORIGIN_ERROR, { stream: 'stderr', time: RECEIVED, pid: 4242 }, LABELS);

/** A record as the own logger builds it, with the trace context the sidecar's mixin adds. */
function ownRecord(): LogRecord {
  vi.useFakeTimers({ now: RECEIVED + 5 });
  const records: LogRecord[] = [];
  const log = createLogger({ write: (r) => records.push(r) }, { level: 'info', labels: { tunnel_id: TUNNEL, replica: 'tunnelwatch-0' }, mixin: () => ({ trace_id: TRACE, span_id: SPAN }) });
  log.warn({ sink: 'loki', cause: 'HTTP 503' }, 'cannot ship to loki: HTTP 503; records wait in the spool and are retried');
  vi.useRealTimers();
  const [record] = records;
  if (record === undefined) throw new Error('the logger wrote nothing');
  return record;
}

const parsedAs = (format: LogFormat, record: LogRecord): Record<string, unknown> => JSON.parse(recordSerialiser(format, VERSION)(record)) as Record<string, unknown>;

describe('pino (the default)', () => {
  it('is the record as it is, byte for byte', () => {
    for (const record of [cloudflaredRecord(), ownRecord()]) expect(recordSerialiser('pino', VERSION)(record)).toBe(JSON.stringify(record));
  });

  it('is what the pipeline writes when no format is named', async () => {
    const stdout = new Stdout();
    const pipeline = new LogPipeline({ redactor: new Redactor(), sinks: [], stdout });
    const record = cloudflaredRecord();
    pipeline.write(record);
    await pipeline.close();
    expect(stdout.lines).toEqual([JSON.stringify(record)]);
  });
});

describe('otel', () => {
  it('a cloudflared line: severity from its level, the receive time, the identity as resource, the rest as attributes with the raw line', () => {
    expect(parsedAs('otel', cloudflaredRecord())).toEqual({
      timestamp: '2026-08-20T12:00:01.234Z',
      severityText: 'ERROR',
      severityNumber: 17,
      body: '',
      attributes: {
        source: 'cloudflared',
        event: 'origin_error',
        conn_index: 0,
        error: ORIGIN_ERROR_TEXT,
        cf_time: '2026-08-20T12:00:01Z',
        fields: { cfRay: '8f1e2a3b4c5d6e7f-LAX', connIndex: 0, event: 1, ingressRule: 0, originService: 'http://localhost:8080' },
        stream: 'stderr',
        pid: 4242,
        raw: ORIGIN_ERROR,
      },
      resource: {
        'service.name': 'tunnelwatch',
        'service.version': VERSION,
        'tunnelwatch.tunnel.id': TUNNEL,
        'tunnelwatch.replica': 'tunnelwatch-0',
        'cloud.availability_zone': 'eu-west-1a',
        'tunnelwatch.connector.id': CONNECTOR,
        'tunnelwatch.cloudflared.version': '2026.8.2',
      },
    });
  });

  it("tunnelwatch's own record: its trace context as traceId and spanId", () => {
    expect(parsedAs('otel', ownRecord())).toEqual({
      timestamp: '2026-08-20T12:00:01.239Z',
      severityText: 'WARN',
      severityNumber: 13,
      body: 'cannot ship to loki: HTTP 503; records wait in the spool and are retried',
      traceId: TRACE,
      spanId: SPAN,
      attributes: { sink: 'loki', cause: 'HTTP 503', source: 'tunnelwatch' },
      resource: { 'service.name': 'tunnelwatch', 'service.version': VERSION, 'tunnelwatch.tunnel.id': TUNNEL, 'tunnelwatch.replica': 'tunnelwatch-0' },
    });
  });

  it.each([
    [10, 'TRACE', 1],
    [20, 'DEBUG', 5],
    [30, 'INFO', 9],
    [40, 'WARN', 13],
    [50, 'ERROR', 17],
    [60, 'FATAL', 21],
    [35, 'INFO', 9],
    [70, 'FATAL', 21],
  ])('pino level %i is %s, severity number %i', (level, text, number) => {
    expect(parsedAs('otel', { level, time: RECEIVED, msg: 'm', source: 'tunnelwatch' })).toMatchObject({ severityText: text, severityNumber: number });
  });

  it("cloudflared's panic is FATAL", () => {
    const line = '{"level":"panic","message":"runtime error","time":"2026-08-20T12:00:01Z"}';
    expect(parsedAs('otel', connectorRecord(parseLogLine(line), line, { stream: 'stderr', time: RECEIVED }, {}))).toMatchObject({ severityText: 'FATAL', severityNumber: 21 });
  });
});

describe('ecs', () => {
  it('a cloudflared line: ecs-logging field order, ECS fields for its event, error and raw line, the rest under cloudflared.*', () => {
    const ecs = parsedAs('ecs', cloudflaredRecord());
    expect(Object.keys(ecs).slice(0, 3)).toEqual(['@timestamp', 'log.level', 'message']);
    expect(ecs).toEqual({
      '@timestamp': '2026-08-20T12:00:01.234Z',
      'log.level': 'error',
      message: '',
      'ecs.version': ECS_VERSION,
      'service.name': 'tunnelwatch',
      'service.version': VERSION,
      'event.dataset': 'tunnelwatch.cloudflared',
      'event.action': 'origin_error',
      'error.message': ORIGIN_ERROR_TEXT,
      labels: { tunnel_id: TUNNEL, replica: 'tunnelwatch-0', zone: 'eu-west-1a', connector_id: CONNECTOR, cloudflared_version: '2026.8.2' },
      cloudflared: {
        conn_index: 0,
        cf_time: '2026-08-20T12:00:01Z',
        fields: { cfRay: '8f1e2a3b4c5d6e7f-LAX', connIndex: 0, event: 1, ingressRule: 0, originService: 'http://localhost:8080' },
        stream: 'stderr',
        pid: 4242,
      },
      'event.original': ORIGIN_ERROR,
    });
  });

  it("tunnelwatch's own record: trace.id and span.id, its fields under tunnelwatch.*", () => {
    expect(parsedAs('ecs', ownRecord())).toEqual({
      '@timestamp': '2026-08-20T12:00:01.239Z',
      'log.level': 'warn',
      message: 'cannot ship to loki: HTTP 503; records wait in the spool and are retried',
      'ecs.version': ECS_VERSION,
      'service.name': 'tunnelwatch',
      'service.version': VERSION,
      'event.dataset': 'tunnelwatch.log',
      'trace.id': TRACE,
      'span.id': SPAN,
      labels: { tunnel_id: TUNNEL, replica: 'tunnelwatch-0' },
      tunnelwatch: { sink: 'loki', cause: 'HTTP 503' },
    });
  });
});

describe('every format', () => {
  it('keeps the counts and both raw lines of a repeats summary', () => {
    const repeats = new Repeats({ windowMs: 10_000, burst: 1 });
    for (let i = 0; i < 4; i++) repeats.admit('k', { ...cloudflaredRecord(), time: RECEIVED + i }, RECEIVED + i);
    const [summary] = repeats.due();
    if (summary === undefined) throw new Error('no summary');
    const otel = parsedAs('otel', summary);
    expect(otel.body).toBe(`repeated 3 times between 2026-08-20T12:00:01.235Z and 2026-08-20T12:00:01.237Z: ${ORIGIN_ERROR_TEXT}`);
    expect(otel.attributes).toMatchObject({ repeated: 3, first_raw: ORIGIN_ERROR, last_raw: ORIGIN_ERROR });
    expect(parsedAs('ecs', summary)).toMatchObject({ message: otel.body, cloudflared: { repeated: 3, first_raw: ORIGIN_ERROR, last_raw: ORIGIN_ERROR } });
  });

  it('writes no timestamp for a time no date holds, rather than throwing', () => {
    const odd: LogRecord = { level: 30, time: Number.NaN, msg: 'm', source: 'tunnelwatch' };
    expect(parsedAs('otel', odd)).not.toHaveProperty('timestamp');
    expect(parsedAs('ecs', odd)).not.toHaveProperty('@timestamp');
  });

  it.each(FORMATS)('%s: secrets are redacted before the format moves them', async (format) => {
    const secret = 'apiTok3nQv8ZpLm2XwR7tN4bY';
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln';
    const stdout = new Stdout();
    const pipeline = new LogPipeline({ redactor: new Redactor([secret]), serialise: recordSerialiser(format, VERSION), sinks: [], stdout });
    const line = `{"level":"info","message":"GET /admin?key=${secret} with Authorization: Bearer ${jwt}","time":"2026-08-20T12:00:01Z"}`;
    pipeline.write(connectorRecord(parseLogLine(line), line, { stream: 'stderr', time: RECEIVED }, { tunnel_id: TUNNEL }));
    pipeline.write({ level: 30, time: RECEIVED, msg: 'own', source: 'tunnelwatch', token: 'plain-looking-value', detail: { password: 'hunter22' }, trace_id: TRACE });
    await pipeline.close();
    const text = stdout.lines.join('\n');
    for (const value of [secret, jwt, 'plain-looking-value', 'hunter22']) expect(text).not.toContain(value);
    expect(text.match(/<redacted>/g)?.length).toBeGreaterThanOrEqual(5);
    expect(text).toContain(TRACE);
  });

  it.each(FORMATS)('%s: syslog MSG is the formatted line; the header still comes from the record', (format) => {
    const serialise = recordSerialiser(format, VERSION);
    const record = cloudflaredRecord();
    const m = formatSyslogMessage(record, { appName: 'tunnelwatch', hostname: 'edge-1', body: (r) => serialise(r as LogRecord) });
    expect(m.msg).toBe(serialise(record));
    expect(m.header).toBe(`<11>1 2026-08-20T12:00:01.234Z edge-1 tunnelwatch 4242 cloudflared [tunnelwatch@32473 tunnel_id="${TUNNEL}" connector_id="${CONNECTOR}" replica="tunnelwatch-0" zone="eu-west-1a" source="cloudflared"]`);
  });
});

it('refuses a format it does not know, naming the ones it does', () => {
  const result = loadSettings({ env: { TUNNELWATCH_LOGS_FORMAT: 'gelf' } });
  expect(result.ok).toBe(false);
  expect(JSON.stringify(result.diagnostics)).toMatch(/logs\.format.*pino.*otel.*ecs/);
});

class Stdout implements LineOutput {
  readonly chunks: string[] = [];
  readonly writableLength = 0;

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }

  get lines(): string[] {
    return this.chunks.join('').split('\n').filter((l) => l !== '');
  }
}

describe('end to end with logs.format: ecs', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('settings to stdout, Loki and its quarantine: every record in ECS, redacted, labels of the streams unchanged', { timeout: 20_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'tw-record-format-'));
    const password = 'lokiPw9Hc4Jd7Ks2Ln5Mq8';
    const settings = loadSettings({
      file: {
        name: 'tunnelwatch.yaml',
        text: `logs:\n  format: ecs\n  spoolDir: ${dir}\n  repeats: { window: 10s, burst: 1 }\n  loki: { url: "http://loki.test:3100", username: tw, password: ${password} }\n`,
      },
      env: {},
    });
    if (!settings.ok) throw new Error(JSON.stringify(settings.diagnostics));
    expect(settings.settings.logs.format).toBe('ecs');

    // Loki takes every push but refuses (400: the content) the one carrying the marked line, which is quarantined.
    const pushes: { streams: { stream: Record<string, string>; values: [string, string][] }[] }[] = [];
    const fakeFetch = (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const body = JSON.parse(init?.body as string) as (typeof pushes)[number];
      if (body.streams.some((s) => s.values.some(([, line]) => line.includes('/marker-reject')))) {
        return Promise.resolve(new Response('entry too far behind', { status: 400 }));
      }
      pushes.push(body);
      return Promise.resolve(new Response(null, { status: 204 }));
    };
    const stdout = new Stdout();
    const labels: RecordLabels = { replica: 'tunnelwatch-0', zone: 'eu-west-1a' };
    const logging = await startLogging(settings.settings, { stdout, labels, mixin: () => ({ trace_id: TRACE, span_id: SPAN }), fetch: fakeFetch });
    const writer = new CollapsingWriter({ outputs: outputsOf(settings.settings.logs, logging.sinks.map((s) => s.name)), write: (r, route) => { logging.pipeline.write(r, route); }, collapsed: () => undefined, now: () => RECEIVED });

    const lines = [
      `{"level":"info","message":"Starting tunnel","time":"2026-08-20T12:00:00Z","tunnelID":"${TUNNEL}"}`,
      ORIGIN_ERROR,
      ORIGIN_ERROR,
      ORIGIN_ERROR,
      `{"connIndex":0,"dest":"https://app.example.com/marker-reject?password=${password}","error":"context canceled","event":0,"level":"error","message":"Request failed","time":"2026-08-20T12:00:02Z","type":"http"}`,
    ];
    lines.forEach((line, i) => {
      const event = parseLogLine(line);
      learnLabels(labels, event);
      writer.write(connectorRecord(event, line, { stream: 'stderr', time: RECEIVED + i }, labels), repeatKey(event), RECEIVED + i);
    });
    logging.logger.warn({ sink: 'loki' }, 'an own record with its trace');
    writer.flush();
    await logging.stop(10_000);

    const records = stdout.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) {
      expect(Object.keys(r).slice(0, 4)).toEqual(['@timestamp', 'log.level', 'message', 'ecs.version']);
      expect(r).toMatchObject({ 'service.name': 'tunnelwatch', 'service.version': VERSION });
    }
    const cloudflared = records.filter((r) => r['event.dataset'] === 'tunnelwatch.cloudflared');
    expect(cloudflared.map((r) => r['event.action'])).toEqual(['starting', 'origin_error', 'request_error', 'origin_error']);
    expect(cloudflared[0]?.['event.original']).toBe(lines[0]);
    expect(cloudflared[1]).toMatchObject({ 'log.level': 'error', 'event.original': ORIGIN_ERROR, labels: { tunnel_id: TUNNEL, replica: 'tunnelwatch-0', zone: 'eu-west-1a' } });
    expect(cloudflared[3]).toMatchObject({ cloudflared: { repeated: 2, first_raw: ORIGIN_ERROR, last_raw: ORIGIN_ERROR } });
    expect(records.find((r) => r.message === 'an own record with its trace')).toMatchObject({ 'event.dataset': 'tunnelwatch.log', 'trace.id': TRACE, 'span.id': SPAN, tunnelwatch: { sink: 'loki' } });

    // Loki: each line is the stdout line, under the labels it always had.
    const shipped = pushes.flatMap((p) => p.streams.flatMap((s) => s.values.map(([, line]) => ({ labels: s.stream, line }))));
    expect(new Set(shipped.map((s) => s.line))).toEqual(new Set(stdout.lines.filter((l) => !l.includes('/marker-reject'))));
    expect(shipped.find((s) => s.line.includes('"event.action":"origin_error"'))?.labels).toEqual({ job: 'tunnelwatch', source: 'cloudflared', level: 'error', tunnel_id: TUNNEL, replica: 'tunnelwatch-0', zone: 'eu-west-1a' });
    const quarantined = readFileSync(join(dir, 'loki-quarantine.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { record: { line: string } });
    expect(quarantined.map((q) => q.record.line)).toEqual(stdout.lines.filter((l) => l.includes('/marker-reject')));
    expect(JSON.parse(quarantined[0]?.record.line ?? '{}')).toMatchObject({ 'event.action': 'request_error', 'event.original': expect.stringContaining('password=<redacted>') as unknown });

    // The password reached no sink.
    const spooled = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
    for (const text of [stdout.lines.join('\n'), JSON.stringify(pushes), ...spooled]) expect(text).not.toContain(password);
  });
});
