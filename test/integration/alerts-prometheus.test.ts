// End to end: the Prometheus path. A real Prometheus (Debian prometheus) scrapes `tunnelwatch run` (emulated
// connector) every second and evaluates alerts/tunnelwatch.rules.yaml, with TunnelConnectorUnhealthy's `for`
// compressed to 5 s and keep_firing_for to 0 s in a temp copy (everything else as shipped), sending to a real
// Alertmanager. The emulator's drop_all with the edge unreachable must bring the alert, marked by Prometheus's
// external label via="prometheus", to the webhook once, not before its `for`, and its resolve after recovery.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressedRules, startAlertmanager, startPrometheus, startWebhook, runningServers, waitFor, type Alertmanager, type NotifiedAlert, type Prometheus, type Webhook } from '../helpers/obs-servers.js';
import { connectorFault, serverAddress } from '../helpers/run-observe.js';
import { trackedProcesses, type Rec, type TunnelwatchRun } from '../helpers/run-process.js';

const RULES = fileURLToPath(new URL('../../alerts/tunnelwatch.rules.yaml', import.meta.url));
const FOR_MS = 5000;
const REPLICA = 'replica-prom';
const ALERT = 'TunnelConnectorUnhealthy';

const p = trackedProcesses();
let webhook: Webhook;
let am: Alertmanager;
let prometheus: Prometheus | undefined;

beforeAll(async () => {
  webhook = await startWebhook();
  am = await startAlertmanager(webhook.url);
});

afterAll(async () => {
  await prometheus?.close();
  await am.close();
  await webhook.close();
  expect(runningServers()).toEqual([]);
});

const fromPrometheus = (status: 'firing' | 'resolved', t0: number): NotifiedAlert[] =>
  webhook.find(ALERT, status, { via: 'prometheus', replica: REPLICA }).filter((a) => a.startsAt >= t0);

function stateChange(run: TunnelwatchRun, t0: number, to: (state: unknown) => boolean, what: string): Promise<Rec> {
  return run.until(() => run.records.find((r) => typeof r.time === 'number' && r.time >= t0 && r.event === 'state_change' && to(r.to)), `a state_change record to ${what}`, 20_000);
}

describe('alerts/tunnelwatch.rules.yaml in a real Prometheus', () => {
  const shared = p.shared({
    TUNNELWATCH_IDENTITY_REPLICA: REPLICA,
    TUNNELWATCH_CLOUDFLARED_POLL_INTERVAL: '200ms',
    TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
  }, { start: 'beforeAll' });

  it('the compressed copy changes only the one rule', () => {
    const text = readFileSync(RULES, 'utf8');
    const copy = compressedRules(text, ALERT, '5s');
    expect(copy).not.toBe(text);
    expect(compressedRules(copy, ALERT, '5m')).toBe(compressedRules(text, ALERT, '5m'));
    expect(copy.split('\n').filter((line) => !text.includes(line))).toEqual([expect.stringMatching(/^\s+for: 5s$/), expect.stringMatching(/^\s+keep_firing_for: 0s$/)]);
  });

  it('delivers TunnelConnectorUnhealthy from Prometheus once, not before its `for`, and its resolve', { timeout: 80_000 }, async () => {
    const run = shared();
    await run.registered();
    const rules = compressedRules(readFileSync(RULES, 'utf8'), ALERT, `${String(FOR_MS / 1000)}s`);
    prometheus = await startPrometheus({ targets: [await serverAddress(run)], rules, alertmanager: `127.0.0.1:${String(am.port)}`, externalLabels: { via: 'prometheus' } });
    // The scrape must work before the incident, or a late first scrape would shorten the observed `for`.
    await waitFor(async () => {
      const reply = (await (await fetch(`${prometheus?.url ?? ''}/api/v1/query?query=${encodeURIComponent('tunnelwatch_tunnel_info')}`)).json()) as { data?: { result?: { metric: Record<string, string> }[] } };
      return reply.data?.result?.find((r) => r.metric.replica === REPLICA);
    }, 'tunnelwatch_tunnel_info scraped by Prometheus', 20_000);

    const t0 = Date.now();
    await connectorFault(run, { fault: 'edge_unreachable' });
    await connectorFault(run, { fault: 'drop_all' });
    const down = await stateChange(run, t0, (to) => to === 'down', 'down');
    const downAt = down.time as number;

    const firing = await waitFor(() => fromPrometheus('firing', t0)[0], `${ALERT} from Prometheus at the webhook`, 30_000);
    expect(firing.receivedAt - downAt).toBeGreaterThanOrEqual(FOR_MS);
    expect(firing.labels).toMatchObject({ alertname: ALERT, severity: 'critical', replica: REPLICA, via: 'prometheus' });
    expect(firing.labels.tunnel_id).toMatch(/^[0-9a-f-]{36}$/);
    // Aggregated by exactly the alert's labels: no job, instance or connector_id.
    expect(Object.keys(firing.labels).sort()).toEqual(['alertname', 'replica', 'severity', 'tunnel_id', 'via']);
    expect(firing.annotations.runbook_url).toMatch(/\/TunnelConnectorUnhealthy\.md$/);

    await connectorFault(run, { fault: 'clear' }, 20_000);
    await stateChange(run, downAt, (to) => to === 'healthy' || to === 'degraded', 'healthy or degraded');
    const resolved = await waitFor(() => fromPrometheus('resolved', t0)[0], `${ALERT} resolved from Prometheus at the webhook`, 30_000);
    expect(resolved.startsAt).toBe(firing.startsAt);
    expect(fromPrometheus('firing', t0)).toHaveLength(1);
  });
});
