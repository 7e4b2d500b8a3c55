import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inSpan } from '../src/telemetry/tracing/spans.js';
import { startTracing, TracingConfigError } from '../src/telemetry/tracing/tracing.js';
import { VERSION } from '../src/base/version.js';

interface KeyValue { key: string; value: { stringValue?: string; intValue?: number | string } }
interface OtlpSpan {
  traceId: string; spanId: string; parentSpanId?: string; name: string;
  attributes: KeyValue[]; events?: { name: string }[];
}
interface OtlpRequest {
  resourceSpans: { resource: { attributes: KeyValue[] }; scopeSpans: { scope: { name: string; version?: string }; spans: OtlpSpan[] }[] }[];
}
interface Received { span: OtlpSpan; resource: Record<string, string>; scope: string }
interface ChildRun { code: number | null; stdout: Record<string, unknown>[]; stderr: string }

const ROOT = join(import.meta.dirname, '..');
const RECEIVER = join(import.meta.dirname, 'servers', 'fake-otlp.ts');
const CHILD = join(import.meta.dirname, 'fixtures', 'tracing-child.ts');
// The child must see only the OTEL_* variables each test gives it.
const BASE_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));

let dir: string;
let outFile: string;
let receiver: ChildProcess | undefined;
let receiverUrl: string;
let silent: Server | undefined;
const silentSockets: Socket[] = [];
let runs: { enabled: ChildRun; noVars: ChildRun; sdkDisabled: ChildRun; badProtocol: ChildRun; silentReceiver: ChildRun };

function startReceiver(): Promise<string> {
  const proc = spawn(process.execPath, ['--import', 'tsx', RECEIVER, outFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  receiver = proc;
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => { reject(new Error(`fake OTLP receiver exited ${code}`)); });
    proc.stdout.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
  });
}

/** A TCP server that accepts and never answers, to prove shutdown() does not wait for the exporter. */
function startSilent(): Promise<number> {
  const server = createServer((socket) => { silentSockets.push(socket); });
  silent = server;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
}

function runChild(env: Record<string, string>): Promise<ChildRun> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve) => {
    proc.once('close', (code) => {
      const stdout = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, stdout, stderr: err });
    });
  });
}

async function received(): Promise<Received[]> {
  const text = await readFile(outFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).flatMap((line) => (JSON.parse(line) as OtlpRequest).resourceSpans.flatMap((rs) => {
    const resource = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, String(a.value.stringValue ?? a.value.intValue)]));
    return rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, resource, scope: `${ss.scope.name}@${ss.scope.version ?? ''}` })));
  }));
}

/** The receiver writes before it answers and the child exits after the flush, so this rarely loops. */
async function receivedFor(run: string, count: number): Promise<Received[]> {
  const end = Date.now() + 5000;
  for (;;) {
    const spans = (await received()).filter((r) => r.resource.run === run);
    if (spans.length >= count || Date.now() > end) return spans;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const attr = (span: OtlpSpan, key: string): string | undefined => span.attributes.find((a) => a.key === key)?.value.stringValue;
const started = (run: ChildRun): Record<string, unknown> | undefined => run.stdout.find((l) => l.event === 'started');
const logRecord = (run: ChildRun): Record<string, unknown> | undefined => run.stdout.find((l) => l.msg === 'probe connected');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tracing-'));
  outFile = join(dir, 'received.jsonl');
  const [url, silentPort] = await Promise.all([startReceiver(), startSilent()]);
  receiverUrl = url;
  const json = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  // Independent children, run side by side to keep the file short.
  const [enabled, noVars, sdkDisabled, badProtocol, silentReceiver] = await Promise.all([
    runChild({ ...json, OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_RESOURCE_ATTRIBUTES: 'run=enabled' }),
    runChild({}),
    runChild({ ...json, OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_RESOURCE_ATTRIBUTES: 'run=disabled', OTEL_SDK_DISABLED: 'true' }),
    runChild({ OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' }),
    runChild({
      ...json,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://user:hunter2@127.0.0.1:${silentPort}/otlp/traces?token=abc`,
      TRACING_CHILD_SHUTDOWN_MS: '300',
    }),
  ]);
  runs = { enabled, noVars, sdkDisabled, badProtocol, silentReceiver };
}, 30_000);

afterAll(async () => {
  receiver?.kill('SIGKILL');
  for (const s of silentSockets) s.destroy();
  silent?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tracing in a child process, exported over OTLP/HTTP JSON to a fake receiver', () => {
  it('sends the collect span with both probe spans nested under it, their events, and the resource', async () => {
    const run = runs.enabled;
    expect(run.code, run.stderr).toBe(0);
    expect(started(run)).toEqual({ event: 'started', enabled: true, describe: `traces on: otlp http/json to ${receiverUrl}/v1/traces as service tunnelwatch` });

    const spans = await receivedFor('enabled', 4);
    expect(spans.map((r) => r.span.name).sort()).toEqual(['collect origins', 'probe', 'probe', 'state transition']);
    const collect = spans.find((r) => r.span.name === 'collect origins')?.span;
    expect(collect && attr(collect, 'collector')).toBe('origins');
    expect(collect?.parentSpanId ?? '').toBe('');
    const probes = spans.filter((r) => r.span.name === 'probe').map((r) => r.span);
    expect(probes.map((p) => attr(p, 'origin')).sort()).toEqual(['rule0:http://127.0.0.1:8080', 'rule1:http://127.0.0.1:8081']);
    for (const probe of probes) {
      expect(probe.traceId).toBe(collect?.traceId);
      expect(probe.parentSpanId).toBe(collect?.spanId);
      expect(probe.events?.map((e) => e.name)).toEqual(['connect', 'response']);
    }
    const resource = spans[0]?.resource;
    expect(resource).toMatchObject({ 'service.name': 'tunnelwatch', 'service.version': VERSION, 'tunnelwatch.tunnel.id': 'tunnel-a', 'tunnelwatch.replica': '0' });
    expect(spans[0]?.scope).toBe(`tunnelwatch@${VERSION}`);
  });

  it('puts the active probe span ids on the log record written inside it', async () => {
    const spans = await receivedFor('enabled', 4);
    const rule0 = spans.find((r) => r.span.name === 'probe' && attr(r.span, 'origin')?.startsWith('rule0:'))?.span;
    expect(rule0).toBeDefined();
    expect(logRecord(runs.enabled)).toMatchObject({ trace_id: rule0?.traceId, span_id: rule0?.spanId, origin: 'rule0:http://127.0.0.1:8080' });
  });

  it('sends a point span as its own root span with its attributes', async () => {
    const spans = await receivedFor('enabled', 4);
    const transition = spans.find((r) => r.span.name === 'state transition')?.span;
    const collect = spans.find((r) => r.span.name === 'collect origins')?.span;
    expect(transition && [attr(transition, 'from'), attr(transition, 'to')]).toEqual(['healthy', 'degraded']);
    expect(transition?.parentSpanId ?? '').toBe('');
    expect(transition?.traceId).not.toBe(collect?.traceId);
  });

  it('stays off with no OTEL variables: enabled false, a hint in describe, plain log records', () => {
    const run = runs.noVars;
    expect(run.code, run.stderr).toBe(0);
    expect(started(run)).toEqual({ event: 'started', enabled: false, describe: 'traces off: set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER) to send traces' });
    expect(logRecord(run)).not.toHaveProperty('trace_id');
    expect(logRecord(run)).not.toHaveProperty('span_id');
  });

  it('sends nothing when OTEL_SDK_DISABLED=true even with an endpoint set', async () => {
    const run = runs.sdkDisabled;
    expect(run.code, run.stderr).toBe(0);
    expect(started(run)).toMatchObject({ enabled: false, describe: 'traces off: OTEL_SDK_DISABLED=true' });
    // It flushed before it exited; the enabled run's spans prove the receiver was taking requests.
    await receivedFor('enabled', 4);
    expect((await received()).filter((r) => r.resource.run === 'disabled')).toEqual([]);
  });

  it('fails at start with a message naming the variable and the valid values for an unknown protocol', () => {
    const run = runs.badProtocol;
    expect(run.code).toBe(1);
    expect(started(run)).toBeUndefined();
    expect(run.stderr).toContain('OTEL_EXPORTER_OTLP_PROTOCOL="http/xml" is not one of http/protobuf, http/json, grpc');
  });

  it('bounds shutdown when the receiver never answers, and hides credentials in describe', () => {
    const run = runs.silentReceiver;
    expect(run.code, run.stderr).toBe(0);
    const describeText = String(started(run)?.describe);
    expect(describeText).toMatch(/^traces on: otlp http\/json to http:\/\/127\.0\.0\.1:\d+\/otlp\/traces as service tunnelwatch$/);
    const ms = Number(run.stdout.find((l) => l.event === 'shutdown')?.ms);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3000);
  });
});

describe('startTracing in-process', () => {
  it('gives the SDK the OTEL_* settings of `env`, not of process.env, and leaves process.env as it was', async () => {
    // Were process.env used, protobuf would be sent and the JSON-only receiver would refuse it.
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/protobuf');
    vi.stubEnv('OTEL_SERVICE_NAME', 'not-this-one');
    try {
      const before = { ...process.env };
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiverUrl}/`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'edge-watch', OTEL_RESOURCE_ATTRIBUTES: 'run=in-process' };
      const tracing = await startTracing({ env, serviceVersion: VERSION });
      expect(process.env).toEqual(before);
      expect(tracing.describe).toBe(`traces on: otlp http/json to ${receiverUrl}/v1/traces as service edge-watch`);
      await inSpan('in-process', {}, () => Promise.resolve());
      await tracing.shutdown();
      const spans = await receivedFor('in-process', 1);
      expect(spans.map((r) => [r.span.name, r.resource['service.name']])).toEqual([['in-process', 'edge-watch']]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('startTracing settings, in-process (these paths register nothing global)', () => {
  const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

  it.each([
    [{ ...on, OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER has "jaeger"; use a comma list of otlp, console, zipkin, none'],
    [{ ...on, OTEL_TRACES_EXPORTER: 'none,otlp' }, 'OTEL_TRACES_EXPORTER combines "none" with other exporters'],
    [{ ...on, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'json' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="json" is not one of http/protobuf, http/json, grpc'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT is not an http(s) URL; set it like http://otel-collector:4318'],
    [{ ...on, OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER="sometimes" is not one of always_on, always_off, traceidratio,'],
    [{ ...on, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG="2" is not a ratio between 0 and 1'],
    [{ ...on, OTEL_BSP_SCHEDULE_DELAY: '-5' }, 'OTEL_BSP_SCHEDULE_DELAY="-5" is not a number greater than 0'],
    [{ ...on, OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }, 'OTEL_EXPORTER_OTLP_COMPRESSION="zstd" is not one of none, gzip'],
    [{ ...on, OTEL_RESOURCE_ATTRIBUTES: 'a=b=c' }, 'OTEL_RESOURCE_ATTRIBUTES has an entry that is not key=value'],
    [{ ...on, OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED="yes" is not true or false'],
  ])('rejects %o naming the variable', async (env, message) => {
    const start = startTracing({ env, serviceVersion: VERSION });
    await expect(start).rejects.toThrow(TracingConfigError);
    await expect(start).rejects.toThrow(message);
  });

  it('lists every bad value at once and never echoes an endpoint, which may hold credentials', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:hunter2@collector', OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' };
    const error = await startTracing({ env, serviceVersion: VERSION }).catch((e: unknown) => e);
    expect(String(error)).toContain('OTEL_EXPORTER_OTLP_PROTOCOL="udp"');
    expect(String(error)).toContain('OTEL_EXPORTER_OTLP_ENDPOINT is not an http(s) URL');
    expect(String(error)).not.toContain('hunter2');
  });

  it.each([
    [{}, 'traces off: set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER) to send traces'],
    [{ OTEL_TRACES_EXPORTER: 'none', ...on }, 'traces off: OTEL_TRACES_EXPORTER=none'],
    [{ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }, 'traces off: OTEL_SDK_DISABLED=true'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, 'traces off: set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER) to send traces'],
  ])('stays off for %o', async (env, describeText) => {
    const tracing = await startTracing({ env, serviceVersion: VERSION });
    expect(tracing).toMatchObject({ enabled: false, describe: describeText });
    await expect(tracing.shutdown()).resolves.toBeUndefined();
  });
});
