// End to end: every LogQL query of the logs dashboard, read from dashboards/logs.json, returns data from a real
// Grafana Loki that the built `tunnelwatch run` (emulated connector) ships to. Faults through the emulator's control
// port (a dropped connection, a refused registration) and a dead origin give the events, warnings and errors the
// panels show. Also shows what Loki 3 adds to the pushed streams on its own. Then the collector case: the same JSON
// lines tunnelwatch wrote to stdout, pushed as Promtail or Alloy would (collector labels only, none of job, source,
// tunnel_id, replica or level), answer every query with $streams naming those labels. A missing Loki fails; never skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDashboards, queriesOf, substitute, type Query } from '../helpers/dashboards.js';
import { RunningLoki } from '../helpers/loki.js';
import { poll, runEnv, trackedProcesses, visit, type TunnelwatchRun } from '../helpers/run-process.js';

const REPLICA = 'replica-a';
/** $streams for tunnelwatch's own Loki sink (the dashboard's default), and for a collector reading stdout. */
const SINK_STREAMS = 'job="tunnelwatch"';
const COLLECTOR_LABELS = { namespace: 'cloudflare', pod: 'tw-0', container: 'tunnelwatch' } as const;
const COLLECTOR_STREAMS = 'namespace="cloudflare", container="tunnelwatch"';
const logs = loadDashboards().filter((d) => d.file === 'logs.json');
const logql: Query[] = logs.flatMap(queriesOf).filter((q) => q.language === 'logql');

/** The `event` variable's every option, as Grafana substitutes "All" of a custom multi-value variable. */
const allEvents = (): string => {
  const variable = (logs[0]?.json as { templating: { list: { name: string; query: string }[] } }).templating.list.find((v) => v.name === 'event');
  if (variable === undefined) throw new Error('dashboards/logs.json has no event variable');
  return variable.query.split(',').join('|');
};

const processes = trackedProcesses();
let loki: RunningLoki | undefined;
let tunnelId = '';
let run: TunnelwatchRun | undefined;

const values = (streams = SINK_STREAMS): Record<string, string> => ({
  streams, tunnel: tunnelId, replica: REPLICA, event: allEvents(), __auto: '1m', __interval: '15s', __rate_interval: '1m', __range: '1h',
});

async function fault(control: string, body: object): Promise<void> {
  const res = await fetch(`http://${control}/faults`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`fault ${JSON.stringify(body)}: HTTP ${String(res.status)} ${await res.text()}`);
}

async function answers(q: Query, streams = SINK_STREAMS): Promise<number> {
  const expr = substitute(q.expr, values(streams), q.panel);
  const answer = await loki?.query(expr);
  return answer?.data?.result.length ?? 0;
}

beforeAll(async () => {
  loki = await RunningLoki.start();
  // Stopped (and checked for leftovers) after the first test: what it shipped stays in Loki for the others.
  const started = run = processes.run(runEnv(processes.tempDir('tw-dash-loki-'), loki.url, {
    TUNNELWATCH_IDENTITY_REPLICA: REPLICA,
    TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
  }));
  await started.registered();
  const id = started.records.map((r) => r.tunnel_id).find((v) => typeof v === 'string' && v !== '');
  if (typeof id !== 'string') throw new Error('no record named the tunnel id');
  tunnelId = id;
  const ports = await started.ports();
  // Visitors to the dead origin: origin errors at error level.
  for (let i = 0; i < 3; i++) await visit(ports.edge, 'dead.demo.example', '/').catch(() => 0);
  await fault(ports.control, { fault: 'register_refused', error: 'Unauthorized: Invalid tunnel secret' });
  await fault(ports.control, { fault: 'drop', conn: 1 });
  await started.until(() => started.records.find((r) => r.event === 'register_error'), 'a refused registration', 20_000);
  await fault(ports.control, { fault: 'clear', what: 'register_refused' });
  await poll(async () => ((await Promise.all(logql.map((q) => answers(q)))).every((n) => n > 0) ? true : undefined), 'every logs-dashboard query to return data', 40_000).catch(() => undefined);
}, 120_000);

afterAll(async () => {
  await loki?.close();
}, 30_000);

describe('the logs dashboard on a real Loki fed by tunnelwatch run', () => {
  it('has the four LogQL panels to run', () => {
    expect(logql.map((q) => /"(.*)"/.exec(q.panel)?.[1])).toEqual(['Connector events', 'Disconnects by error', 'Connection lifecycle', 'Warnings and errors']);
  });

  it.each(logql.map((q) => [`${q.panel} ${q.refId}`, q] as const))('%s returns data with $streams = job="tunnelwatch"', async (_name, q) => {
    const expr = substitute(q.expr, values(SINK_STREAMS), q.panel);
    const answer = await loki?.query(expr);
    expect(answer?.status, expr).toBe('success');
    expect(answer?.data?.result.length, `empty result for ${expr}`).toBeGreaterThan(0);
  });

  it('Loki keeps the pushed stream labels and adds service_name of its own; queries select by the pushed ones only', async () => {
    const entries = await loki?.entries(`{job="tunnelwatch", source="cloudflared", replica="${REPLICA}"}`) ?? [];
    expect(entries.length).toBeGreaterThan(0);
    const labels = entries[0]?.labels ?? {};
    expect(labels).toMatchObject({ job: 'tunnelwatch', source: 'cloudflared', replica: REPLICA, tunnel_id: tunnelId });
    expect(Object.keys(labels)).toContain('service_name');
    expect(await loki?.labelValues('tunnel_id')).toContain(tunnelId);
  });

  it('ships tunnelwatch\'s own records beside cloudflared\'s', async () => {
    const own = await loki?.entries('{job="tunnelwatch", source="tunnelwatch"}') ?? [];
    expect(own.some((e) => (JSON.parse(e.line) as { msg?: string }).msg?.startsWith('serving /metrics') === true)).toBe(true);
  });
});

/** The level in a record's JSON line: pino's number (30 info, 40 warn, 50 error, 60 fatal). */
const levelOf = (line: string): unknown => (JSON.parse(line) as { level?: unknown }).level;

describe('the logs dashboard on a real Loki fed by a collector (Promtail, Alloy) reading tunnelwatch\'s stdout, no tunnelwatch labels', () => {
  let pushed = 0;

  beforeAll(async () => {
    if (loki === undefined || run === undefined) throw new Error('the first scenario did not start');
    await run.closed;
    // The JSON lines tunnelwatch wrote to stdout, in order, stamped now (Loki refuses entries too old), one ms apart.
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('{'));
    const first = BigInt(Date.now() - lines.length) * 1_000_000n;
    const body = { streams: [{ stream: COLLECTOR_LABELS, values: lines.map((line, i) => [(first + BigInt(i) * 1_000_000n).toString(), line]) }] };
    const res = await fetch(`${loki.url}/loki/api/v1/push`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw new Error(`push: HTTP ${String(res.status)} ${await res.text()}`);
    pushed = lines.length;
    await poll(async () => ((await Promise.all(logql.map((q) => answers(q, COLLECTOR_STREAMS)))).every((n) => n > 0) ? true : undefined), 'every logs-dashboard query to return collector data', 40_000).catch(() => undefined);
  }, 120_000);

  it('pushed tunnelwatch\'s stdout lines with collector labels only', async () => {
    expect(pushed).toBeGreaterThan(10);
    const entries = await loki?.entries(`{${COLLECTOR_STREAMS}}`) ?? [];
    expect(entries.length).toBe(pushed);
    for (const label of ['job', 'source', 'tunnel_id', 'replica', 'level']) expect(Object.keys(entries[0]?.labels ?? {}), label).not.toContain(label);
    expect(entries[0]?.labels).toMatchObject(COLLECTOR_LABELS);
  });

  it.each(logql.map((q) => [`${q.panel} ${q.refId}`, q] as const))(`%s returns data with $streams = ${COLLECTOR_STREAMS}`, async (_name, q) => {
    const expr = substitute(q.expr, values(COLLECTOR_STREAMS), q.panel);
    const answer = await loki?.query(expr);
    expect(answer?.status, expr).toBe('success');
    expect(answer?.data?.result.length, `empty result for ${expr}`).toBeGreaterThan(0);
    // Log panels answer with the collector's streams, never tunnelwatch's own (job="tunnelwatch").
    for (const stream of answer?.data?.result ?? []) if (stream.stream !== undefined) expect(stream.stream, expr).toMatchObject(COLLECTOR_LABELS);
  });

  it('the warnings panel keeps warn, error and fatal records by their numeric level, from both kinds of streams', async () => {
    const q = logql.find((x) => x.panel.endsWith('"Warnings and errors"'));
    if (q === undefined) throw new Error('no Warnings and errors panel');
    // Info records were pushed too: the filter has something to leave out.
    const collected = await loki?.entries(`{${COLLECTOR_STREAMS}}`) ?? [];
    expect(collected.some((e) => levelOf(e.line) === 30)).toBe(true);
    for (const streams of [SINK_STREAMS, COLLECTOR_STREAMS]) {
      const entries = await loki?.entries(substitute(q.expr, values(streams), q.panel)) ?? [];
      expect(entries.length, streams).toBeGreaterThan(0);
      expect(entries.length, streams).toBeLessThan(collected.length);
      for (const e of entries) expect([40, 50, 60], `${streams}: ${e.line}`).toContain(levelOf(e.line));
    }
  });
});
