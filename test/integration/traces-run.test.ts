// End to end: the built `tunnelwatch run --cloudflared emulator` exporting its traces over OTLP/HTTP JSON to
// the fake receiver (test/servers/fake-otlp.ts, its own process). One run: wait until every collector has
// reported a cycle, crash the connector so it is restarted, SIGTERM tunnelwatch (it flushes its spans on
// stop), then check the structure the issue promises: a span per collection cycle with child spans per probe
// (phases as events), per connector HTTP call and per Cloudflare API call; spans for the restart and the state
// transitions; stdout records written inside a span carry its ids. Slow (a real boot, a restart), so it lives
// with the integration suites; it needs no Debian server.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectorFault, ownRecord } from '../helpers/run-observe.js';
import { baseEnv, poll, trackedProcesses } from '../helpers/run-process.js';

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly events?: readonly { readonly name: string }[];
}
interface OtlpRequest {
  readonly resourceSpans: readonly { readonly scopeSpans: readonly { readonly spans: readonly OtlpSpan[] }[] }[];
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RECEIVER = fileURLToPath(new URL('../servers/fake-otlp.ts', import.meta.url));

const p = trackedProcesses();
let receiver: ChildProcess | undefined;

afterAll(() => {
  receiver?.kill('SIGKILL');
});

function startReceiver(outFile: string): Promise<string> {
  const proc = spawn(process.execPath, ['--import', 'tsx', RECEIVER, outFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  receiver = proc;
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => { reject(new Error(`fake OTLP receiver exited (${String(code)}) before listening`)); });
    proc.stdout.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(`http://127.0.0.1:${m[1] ?? ''}`);
    });
  });
}

/** Every span the receiver wrote so far (it appends each request before answering it). */
function received(outFile: string): OtlpSpan[] {
  let text: string;
  try {
    text = readFileSync(outFile, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).flatMap((line) => (JSON.parse(line) as OtlpRequest).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
}

const childrenOf = (spans: readonly OtlpSpan[], parent: OtlpSpan): OtlpSpan[] =>
  spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);

/** The spans named `name` that have at least one child, with their children. */
function cycles(spans: readonly OtlpSpan[], name: string): { span: OtlpSpan; children: OtlpSpan[] }[] {
  return spans.filter((s) => s.name === name).map((span) => ({ span, children: childrenOf(spans, span) })).filter((c) => c.children.length > 0);
}

/** The record HealthWatch writes when the connector collector read /config: logged inside `collect connector`. */
const configRecord = (records: readonly Record<string, unknown>[]): Record<string, unknown> | undefined =>
  records.find((r) => typeof r.msg === 'string' && r.msg.startsWith('probing ') && r.msg.includes('(/config)'));

let spans: OtlpSpan[] = [];
let records: readonly Record<string, unknown>[] = [];

beforeAll(async () => {
  const dir = p.tempDir('tw-traces-');
  const outFile = join(dir, 'received.jsonl');
  const endpoint = await startReceiver(outFile);
  const run = p.run(baseEnv(join(dir, 'spool'), {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    TUNNELWATCH_ORIGINS_INTERVAL: '1s',
    TUNNELWATCH_CLOUDFLARED_POLL_INTERVAL: '500ms',
    TUNNELWATCH_EDGE_POLL_INTERVAL: '1s',
    TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
  }));
  await run.registered();
  // Every collector has exported a whole cycle (its span and a child) before the connector is crashed.
  await poll(() => {
    const now = received(outFile);
    return ['collect origins', 'collect connector', 'collect edge'].every((n) => cycles(now, n).length > 0) ? true : undefined;
  }, 'a cycle of each collector at the receiver', 20_000);
  // The connector's /config was read inside a connector cycle (the record of it is checked below).
  await run.until(() => configRecord(run.records), 'the `probing N origins from ... (/config)` record', 20_000);
  const firstPid = await run.connectorPid();
  await connectorFault(run, { fault: 'crash' });
  await run.until(() => run.connectorPids().find((pid) => pid !== firstPid), 'the restarted connector', 20_000);
  await run.until(() => ownRecord(run, 'restarting cloudflared'), 'the restart record');
  run.child.kill('SIGTERM');
  const { code } = await run.closed;
  expect(code, run.stderr).toBe(0);
  spans = received(outFile);
  records = run.records;
}, 60_000);

it('exports each origins cycle with its probes as child spans in its trace, phases as events', () => {
  const origins = cycles(spans, 'collect origins');
  expect(origins.length).toBeGreaterThan(0);
  for (const { children } of origins) for (const child of children) expect(child.name).toMatch(/^probe \w+/);
  const probes = origins.flatMap((c) => c.children);
  // The demo world has live and dead HTTP origins: a probe that got an answer went through its phases.
  expect(probes.some((s) => (s.events ?? []).some((e) => e.name === 'connect')), JSON.stringify(probes.map((s) => [s.name, s.events]))).toBe(true);
});

it('exports every collection cycle as a root span, its own trace', () => {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const nested = spans
    .filter((s) => s.name.startsWith('collect ') && (s.parentSpanId ?? '') !== '')
    .map((s) => `${s.name} under ${byId.get(s.parentSpanId ?? '')?.name ?? String(s.parentSpanId)}`);
  expect(nested).toEqual([]);
});

it('exports each connector cycle with a child span per HTTP call to the metrics server', () => {
  const connector = cycles(spans, 'collect connector');
  expect(connector.length).toBeGreaterThan(0);
  // A collect span nested here is the root-span test's failure; this one checks the HTTP calls.
  const names = new Set(connector.flatMap((c) => c.children.map((s) => s.name)).filter((n) => !n.startsWith('collect ')));
  expect([...names].sort()).toEqual(expect.arrayContaining(['GET /config', 'GET /metrics', 'GET /ready']));
  for (const name of names) expect(name).toMatch(/^GET \//);
});

it('exports each edge cycle with a child span per Cloudflare API call', () => {
  const edge = cycles(spans, 'collect edge');
  expect(edge.length).toBeGreaterThan(0);
  for (const { children } of edge) {
    expect(children.map((s) => s.name).sort()).toEqual(['cloudflare zeroTrust.tunnels.cloudflared.connections.get', 'cloudflare zeroTrust.tunnels.cloudflared.get']);
  }
});

it('exports a span for the connector restart and for state transitions', () => {
  const names = spans.map((s) => s.name);
  expect(names).toContain('connector restart');
  expect(names).toContain('state transition');
});

it('puts the ids of the active span on stdout records written inside it', () => {
  const record = configRecord(records);
  const cycle = spans.find((s) => s.name === 'collect connector' && s.traceId === record?.trace_id && s.spanId === record.span_id);
  expect(cycle, `record ${JSON.stringify(record)} names no received \`collect connector\` span`).toBeDefined();
  // Every record that names a span names one the receiver got (the whole trace was flushed on stop).
  const known = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
  const unknown = records.filter((r) => typeof r.trace_id === 'string' && !known.has(`${r.trace_id}/${String(r.span_id)}`));
  expect(unknown).toEqual([]);
});
