// End to end: every LogQL query of the logs dashboard, read from dashboards/logs.json, returns data from a real
// Grafana Loki that the built `tunnelwatch run` (emulated connector) ships to. Faults through the emulator's control
// port (a dropped connection, a refused registration) and a dead origin give the events, warnings and errors the
// panels show. Also shows what Loki 3 adds to the pushed streams on its own. A missing Loki fails; never skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDashboards, queriesOf, substitute, type Query } from '../helpers/dashboards.js';
import { RunningLoki } from '../helpers/loki.js';
import { poll, runEnv, trackedProcesses, visit } from '../helpers/run-process.js';

const REPLICA = 'replica-a';
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

const values = (): Record<string, string> => ({ tunnel: tunnelId, replica: REPLICA, event: allEvents(), __auto: '1m', __interval: '15s', __rate_interval: '1m', __range: '1h' });

async function fault(control: string, body: object): Promise<void> {
  const res = await fetch(`http://${control}/faults`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`fault ${JSON.stringify(body)}: HTTP ${String(res.status)} ${await res.text()}`);
}

async function answers(q: Query): Promise<number> {
  const expr = substitute(q.expr, values(), q.panel);
  const answer = await loki?.query(expr);
  return answer?.data?.result.length ?? 0;
}

beforeAll(async () => {
  loki = await RunningLoki.start();
  // Stopped (and checked for leftovers) after the first test: what it shipped stays in Loki for the others.
  const started = processes.run(runEnv(processes.tempDir('tw-dash-loki-'), loki.url, {
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
  await poll(async () => ((await Promise.all(logql.map(answers))).every((n) => n > 0) ? true : undefined), 'every logs-dashboard query to return data', 40_000).catch(() => undefined);
}, 120_000);

afterAll(async () => {
  await loki?.close();
}, 30_000);

describe('the logs dashboard on a real Loki fed by tunnelwatch run', () => {
  it('has the four LogQL panels to run', () => {
    expect(logql.map((q) => /"(.*)"/.exec(q.panel)?.[1])).toEqual(['Connector events', 'Disconnects by error', 'Connection lifecycle', 'Warnings and errors']);
  });

  it.each(logql.map((q) => [`${q.panel} ${q.refId}`, q] as const))('%s returns data', async (_name, q) => {
    const expr = substitute(q.expr, values(), q.panel);
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
