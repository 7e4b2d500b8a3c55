// End to end: every PromQL panel query of every dashboard, read from dashboards/*.json, returns data from a real
// Prometheus (Debian package `prometheus`) scraping the built `tunnelwatch run` with the emulated connector
// every second. Faults are injected through the emulator's control port (a dropped connection, a refused
// registration, a crash) and visitors send traffic, so the event-driven series exist; a TLS origin gives a
// certificate expiry and a dead Loki gives a spool with a lag. The dashboards' Prometheus annotation queries
// (connector restarts, state changes) run as Grafana runs them, over a range, and must mark something. This
// Prometheus adds no cluster or namespace label, so $cluster and $namespace are All (.*), which matches the
// empty label; tunnelwatch runs with identity.zone zone-a, so $zone is that zone, as a user picking it would set
// it (a query whose zone matcher names the wrong label would then find nothing). A missing Prometheus fails; it is
// never skipped.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveDeadPort, startTlsOrigin, type RunningOrigin } from '../../src/emulator/origins.js';
import { labelValuesQueries, loadDashboards, queriesOf, substitute, type Query } from '../helpers/dashboards.js';
import { isObject } from '../helpers/grafana-schema.js';
import { isGone, poll, TunnelwatchRun, visit, type Ports } from '../helpers/run-process.js';

const PROMETHEUS = '/usr/bin/prometheus';
const REPLICA = 'replica-a';
const ZONE = 'zone-a';

const dashboards = loadDashboards();
const promql: Query[] = dashboards.flatMap(queriesOf).filter((q) => q.language === 'promql');
const variables = dashboards.flatMap((d) => labelValuesQueries(d).map((v) => ({ ...v, file: d.file })));
/** The Prometheus annotation queries of every dashboard. */
const annotations: Query[] = dashboards.flatMap((d) => {
  const list = isObject(d.json.annotations) && Array.isArray(d.json.annotations.list) ? d.json.annotations.list.filter(isObject) : [];
  return list.filter((a) => isObject(a.datasource) && a.datasource.type === 'prometheus').map((a) => ({
    file: d.file, panel: `dashboards/${d.file} annotation "${String(a.name)}"`, refId: 'annotation', language: 'promql' as const, expr: String(a.expr),
  }));
});

let dir = '';
let tls: RunningOrigin | undefined;
let tw: TunnelwatchRun | undefined;
let prometheus: ChildProcess | undefined;
let prometheusLog = '';
let promBase = '';
let twPort = 0;
let tunnelId = '';
/** Unix seconds before the faults: the start of the range the annotation queries run over. */
let rangeStart = 0;
let traffic: Promise<void> | undefined;
let trafficOn = true;

interface PromVector {
  readonly status: string;
  readonly error?: string;
  readonly data?: { readonly resultType: string; readonly result: readonly { readonly metric: Record<string, string>; readonly value: [number, string] }[] };
}

async function query(expr: string): Promise<PromVector> {
  const res = await fetch(`${promBase}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`);
  return (await res.json()) as PromVector;
}

// Grafana runs an annotation query over the dashboard's range with $__interval equal to the step.
const ANNOTATION_STEP = '1s';
/** An annotation query as Grafana runs it: over the range since before the faults, every step. */
async function queryRange(expr: string): Promise<PromVector> {
  const params = { query: expr, start: String(rangeStart), end: String(Date.now() / 1000), step: ANNOTATION_STEP };
  const res = await fetch(`${promBase}/api/v1/query_range?${new URLSearchParams(params).toString()}`);
  return (await res.json()) as PromVector;
}

const nonEmpty = (r: PromVector): boolean => r.status === 'success' && (r.data?.resultType === 'scalar' || (r.data?.result.length ?? 0) > 0);

/** The dashboards' variables as Grafana fills them for this one zone, tunnel and replica. */
const values = (): Record<string, string> => ({
  cluster: '.*', namespace: '.*', zone: ZONE, tunnel: tunnelId, replica: REPLICA, __rate_interval: '30s', __interval: '15s', __range: '5m',
});
const annotationValues = (): Record<string, string> => ({ ...values(), __interval: ANNOTATION_STEP });

const readPorts = (file: string): Ports | undefined => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Ports;
  } catch {
    return undefined;
  }
};

async function fault(control: string, body: object): Promise<void> {
  const res = await fetch(`http://${control}/faults`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`fault ${JSON.stringify(body)}: HTTP ${String(res.status)} ${await res.text()}`);
}

/** Served by tunnelwatch itself (not Prometheus): whether a line of its exposition matches. */
async function served(pattern: RegExp): Promise<true | undefined> {
  const text = await fetch(`http://127.0.0.1:${String(twPort)}/metrics`).then((r) => r.text(), () => '');
  return pattern.test(text) ? true : undefined;
}
/** Visitors through the emulated edge until the suite ends: a 200, a 503 from the app, a 502 from the dead origin. */
async function visitors(portsFile: string): Promise<void> {
  const paths: [string, string][] = [['app.demo.example', '/'], ['app.demo.example', '/status/503'], ['dead.demo.example', '/']];
  for (let i = 0; trafficOn; i++) {
    const edge = readPorts(portsFile)?.edge;
    const [host, path] = paths[i % paths.length] ?? ['app.demo.example', '/'];
    // The edge moves when the connector restarts; a visit during the restart may fail.
    if (edge !== undefined) await visit(edge, host, path).catch(() => 0);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function requirePrometheus(): void {
  try {
    accessSync(PROMETHEUS, constants.X_OK);
  } catch {
    throw new Error(`${PROMETHEUS} not found: install the Debian package prometheus (apt-get install prometheus) to run this test`);
  }
}

async function stop(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  requirePrometheus();
  dir = mkdtempSync(join(tmpdir(), 'tw-dashboards-'));
  // One serial in 256 of src/emulator/self-signed-cert.ts is a non-minimal DER INTEGER that OpenSSL refuses
  // ("illegal padding"); a second certificate is then all but certain to be well formed.
  const origin = (): ReturnType<typeof startTlsOrigin> => startTlsOrigin({ listen: '127.0.0.1:0', name: 'tls-origin' });
  tls = await origin().catch(origin);
  twPort = await reserveDeadPort();
  const promPort = await reserveDeadPort();
  const deadLoki = await reserveDeadPort();
  promBase = `http://127.0.0.1:${String(promPort)}`;

  tw = new TunnelwatchRun({
    TUNNELWATCH_SERVER_LISTEN: `127.0.0.1:${String(twPort)}`,
    TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
    TUNNELWATCH_CLOUDFLARED_GRACE_PERIOD: '2s',
    TUNNELWATCH_CLOUDFLARED_POLL_INTERVAL: '500ms',
    TUNNELWATCH_LOGS_SPOOL_DIR: join(dir, 'spool'),
    // Loki down: the spool fills and ages, retries count up.
    TUNNELWATCH_LOGS_LOKI_URL: `http://127.0.0.1:${String(deadLoki)}`,
    TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
    TUNNELWATCH_ORIGINS_INTERVAL: '1s',
    TUNNELWATCH_ORIGINS_TARGETS: JSON.stringify([{ name: 'tls-origin', url: `https://${tls.address}/` }]),
    TUNNELWATCH_ALERTS_EVALUATION_INTERVAL: '1s',
    TUNNELWATCH_IDENTITY_REPLICA: REPLICA,
    TUNNELWATCH_IDENTITY_ZONE: ZONE,
  }, ['--time-scale', '0.05']);

  writeFileSync(join(dir, 'prometheus.yml'), [
    'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
    'scrape_configs:',
    '  - job_name: tunnelwatch',
    `    static_configs: [{ targets: ["127.0.0.1:${String(twPort)}"] }]`,
    '',
  ].join('\n'));
  prometheus = spawn(PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
    `--web.listen-address=127.0.0.1:${String(promPort)}`, '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  prometheus.stderr?.on('data', (d: Buffer) => { prometheusLog += d.toString(); });

  const run = tw;
  const serving = await run.until(() => run.records.find((r) => typeof r.msg === 'string' && r.msg.startsWith('serving /metrics')), 'serving /metrics');
  tunnelId = String(serving.tunnel_id);
  await run.registered();
  const portsFile = await run.portsFile();
  const first = await run.ports();
  traffic = visitors(portsFile);
  await poll(() => fetch(`${promBase}/-/ready`).then((r) => (r.ok ? true : undefined), () => undefined), `Prometheus ready; its log:\n${prometheusLog}`, 20_000);
  // The annotations mark a change between two samples: Prometheus needs samples from before the faults, and the
  // range starts after the first one, so that what they mark is the faults and not the series appearing.
  await poll(() => query('tunnelwatch_connector_restarts_total').then((r) => (nonEmpty(r) ? true : undefined)), 'a first scrape of tunnelwatch', 15_000);
  await new Promise((r) => setTimeout(r, 2500));
  rangeStart = Date.now() / 1000;

  // A dropped connection (reconnect), a crash (restart), then on the restarted connector a refused
  // registration (register_fail_total: cloudflared's counters start again with each process).
  await fault(first.control, { fault: 'drop', conn: 1 });
  // The connector dies before it answers.
  await fault(first.control, { fault: 'crash' }).catch(() => undefined);
  await run.until(() => run.connectorPids()[1], 'cloudflared restarted after the crash', 20_000);
  const second = await poll(() => {
    const p = readPorts(portsFile);
    return p !== undefined && p.control !== first.control ? p : undefined;
  }, 'the restarted connector\'s ports', 15_000);
  await poll(() => served(/^tunnelwatch_connector_registered_connections 4$/m), 'all four connections registered again', 20_000);
  await fault(second.control, { fault: 'register_refused', error: 'Unauthorized: Invalid tunnel secret' });
  await fault(second.control, { fault: 'drop', conn: 2 });
  await poll(() => served(/^tunnelwatch_cloudflared_register_fail_total\{/m), 'a refused registration on /metrics', 15_000);
  await fault(second.control, { fault: 'clear', what: 'register_refused' });

  // Enough samples: every query answers (each is asserted once more below, all at the same moment).
  await poll(async () => {
    const answers = await Promise.all([
      ...promql.map((q) => query(substitute(q.expr, values(), q.panel))),
      ...annotations.map((q) => queryRange(substitute(q.expr, annotationValues(), q.panel))),
    ]);
    return answers.every(nonEmpty) ? true : undefined;
  }, 'every dashboard query to return data', 40_000).catch(() => undefined);
}, 90_000);

afterAll(async () => {
  trafficOn = false;
  await traffic;
  const problems: string[] = [];
  await stop(prometheus, 5000);
  if (tw) {
    await stop(tw.child, 20_000);
    for (const pid of tw.connectorPids()) {
      const gone = await poll(() => (isGone(pid) ? true : undefined), `connector ${String(pid)} to exit`, 5000).catch(() => false);
      if (!gone) {
        problems.push(`orphan: connector pid ${String(pid)} is still alive`);
        process.kill(pid, 'SIGKILL');
      }
    }
    const ports = /connector addresses in (\S+)\n/.exec(tw.stderr)?.[1];
    if (ports !== undefined) rmSync(dirname(ports), { recursive: true, force: true });
  }
  await tls?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  if (problems.length > 0) throw new Error(problems.join('\n'));
}, 40_000);

describe('dashboards on a real Prometheus scraping tunnelwatch run', () => {
  it('has every dashboard\'s PromQL to run', () => {
    expect(promql.length).toBeGreaterThan(40);
    // logs.json queries Loki only.
    expect(new Set(promql.map((q) => q.file))).toEqual(new Set(['tunnel-overview.json', 'connector-detail.json', 'origins.json']));
  });

  it('has every Prometheus dashboard\'s zone variable to offer', () => {
    for (const file of ['tunnel-overview.json', 'connector-detail.json', 'origins.json']) {
      expect(variables.filter((v) => v.file === file).map((v) => v.variable), file).toEqual(['cluster', 'namespace', 'zone', 'tunnel', 'replica']);
    }
  });

  it('has every Prometheus dashboard\'s annotations to run', () => {
    for (const file of ['tunnel-overview.json', 'connector-detail.json', 'origins.json']) {
      expect(annotations.filter((a) => a.file === file).map((a) => a.panel), file).toEqual([
        `dashboards/${file} annotation "Connector restarts"`, `dashboards/${file} annotation "Connector state changes"`,
      ]);
    }
  });

  it.each(variables.map((v) => [`${v.file} $${v.variable}`, v] as const))('variable %s offers this tunnel\'s value', async (_name, v) => {
    const selector = substitute(v.selector, values(), v.file);
    const res = await fetch(`${promBase}/api/v1/label/${v.label}/values?${new URLSearchParams({ 'match[]': selector }).toString()}`);
    const body = (await res.json()) as { status: string; data: string[] };
    expect(body.status, selector).toBe('success');
    // No cluster or namespace label here: those variables offer only All (.*).
    const value = ({ zone: ZONE, tunnel_id: tunnelId, replica: REPLICA } as Readonly<Record<string, string>>)[v.label];
    if (value === undefined) expect(body.data, selector).toEqual([]);
    else expect(body.data, selector).toContain(value);
  });

  it.each(promql.map((q) => [`${q.panel} ${q.refId}`, q] as const))('%s returns data', async (_name, q) => {
    const expr = substitute(q.expr, values(), q.panel);
    const answer = await query(expr);
    expect(answer.error, expr).toBeUndefined();
    expect(nonEmpty(answer), `empty result for ${expr}`).toBe(true);
  });

  it.each(annotations.map((q) => [q.panel, q] as const))('%s marks an event', async (_name, q) => {
    const expr = substitute(q.expr, annotationValues(), q.panel);
    const answer = await queryRange(expr);
    expect(answer.error, expr).toBeUndefined();
    expect(nonEmpty(answer), `nothing marked since the faults by ${expr}`).toBe(true);
  });
});
