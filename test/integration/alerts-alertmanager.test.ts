// End to end: the built-in alerts of `tunnelwatch run` (emulated connector) pushed to a real Alertmanager
// (Debian prometheus-alertmanager) and delivered to a webhook. Durations are compressed through settings:
// TunnelConnectorUnhealthy `for` 4 s, keep_firing_for 0 s, evaluation every 500 ms. The emulator's drop_all
// with the edge unreachable takes the connector down; the alert must arrive once, not before its `for`, and
// resolve when the connector recovers. Then Alertmanager is stopped while the alert is pending and started
// again (same port, config and storage) after it fired: the client's retries still deliver it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, startWebhook, runningServers, waitFor, type Alertmanager, type NotifiedAlert, type Webhook } from '../helpers/obs-servers.js';
import { connectorFault } from '../helpers/run-observe.js';
import { trackedProcesses, type Rec, type TunnelwatchRun } from '../helpers/run-process.js';

const FOR_MS = 4000;
const REPLICA = 'replica-am';
const ALERT = 'TunnelConnectorUnhealthy';

const p = trackedProcesses();
let webhook: Webhook;
let am: Alertmanager;

// Registered before p.shared's beforeAll, so Alertmanager's URL is known when tunnelwatch starts.
beforeAll(async () => {
  webhook = await startWebhook();
  am = await startAlertmanager(webhook.url);
});

afterAll(async () => {
  await am.close();
  await webhook.close();
  expect(runningServers()).toEqual([]);
});

/** The first record at or after `t0` (its own time) that `match` accepts. */
function recordAfter(run: TunnelwatchRun, t0: number, what: string, match: (r: Rec) => boolean, timeoutMs = 15_000): Promise<Rec> {
  return run.until(() => run.records.find((r) => typeof r.time === 'number' && r.time >= t0 && match(r)), what, timeoutMs);
}

const stateChange = (run: TunnelwatchRun, t0: number, to: (state: unknown) => boolean, what: string): Promise<Rec> =>
  recordAfter(run, t0, `a state_change record to ${what}`, (r) => r.event === 'state_change' && to(r.to), 20_000);

const transition = (run: TunnelwatchRun, t0: number, to: string): Promise<Rec> =>
  recordAfter(run, t0, `the "alert ${ALERT} ${to}" record`, (r) => r.msg === `alert ${ALERT} ${to}`);

/** The built-in alert's notifications (Prometheus's would carry `via`) of the incident that started at or after `t0`. */
const builtIn = (status: 'firing' | 'resolved', t0: number): NotifiedAlert[] =>
  webhook.find(ALERT, status, { replica: REPLICA }).filter((a) => a.labels.via === undefined && a.startsAt >= t0);

async function takeDown(run: TunnelwatchRun): Promise<void> {
  await connectorFault(run, { fault: 'edge_unreachable' });
  await connectorFault(run, { fault: 'drop_all' });
}

async function recover(run: TunnelwatchRun, t0: number): Promise<void> {
  await connectorFault(run, { fault: 'clear' }, 20_000);
  await stateChange(run, t0, (to) => to === 'healthy' || to === 'degraded', 'healthy or degraded');
}

describe('built-in alerts through a real Alertmanager', () => {
  const shared = p.shared(
    () => ({
      TUNNELWATCH_IDENTITY_REPLICA: REPLICA,
      TUNNELWATCH_CLOUDFLARED_POLL_INTERVAL: '200ms',
      TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
      TUNNELWATCH_ALERTS_ALERTMANAGERS: am.url,
      TUNNELWATCH_ALERTS_EVALUATION_INTERVAL: '500ms',
      TUNNELWATCH_ALERTS_RULES: JSON.stringify([{ alert: ALERT, for: `${String(FOR_MS / 1000)}s`, keepFiringFor: '0s' }]),
    }),
    { start: 'beforeAll' },
  );

  it('delivers Watchdog, always firing, as soon as tunnelwatch runs', async () => {
    const run = shared();
    await run.registered();
    const watchdog = await waitFor(() => webhook.find('Watchdog', 'firing')[0], 'Watchdog at the webhook');
    expect(watchdog.labels.severity).toBe('info');
    expect(watchdog.generatorURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/status$/);
  });

  it('delivers TunnelConnectorUnhealthy once, not before its `for`, and its resolve after recovery', { timeout: 60_000 }, async () => {
    const run = shared();
    await run.registered();
    const t0 = Date.now();
    await takeDown(run);
    const down = await stateChange(run, t0, (to) => to === 'down', 'down');
    const downAt = down.time as number;

    const firing = await waitFor(() => builtIn('firing', t0)[0], `${ALERT} firing at the webhook`, 20_000);
    // The record is stamped as the state changes; the engine sees it at its next evaluation, never earlier.
    expect(firing.startsAt).toBeGreaterThanOrEqual(downAt + FOR_MS - 10);
    expect(firing.receivedAt - downAt).toBeGreaterThanOrEqual(FOR_MS);
    expect(firing.labels).toMatchObject({ alertname: ALERT, severity: 'critical', replica: REPLICA });
    expect(firing.labels.tunnel_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(firing.annotations.runbook_url).toMatch(/\/TunnelConnectorUnhealthy\.md$/);
    expect(firing.annotations.summary).toContain(REPLICA);

    await recover(run, downAt);
    const resolved = await waitFor(() => builtIn('resolved', t0)[0], `${ALERT} resolved at the webhook`, 20_000);
    expect(resolved.startsAt).toBe(firing.startsAt);
    expect(resolved.endsAt).toBeGreaterThan(firing.startsAt);
    expect(builtIn('firing', t0)).toHaveLength(1);
  });

  it('still delivers the alert when Alertmanager is down while it fires and comes back later', { timeout: 60_000 }, async () => {
    const run = shared();
    const t0 = Date.now();
    await takeDown(run);
    await transition(run, t0, 'pending');
    await am.stop();
    await transition(run, t0, 'firing');
    // At least one push was refused while Alertmanager was away.
    await recordAfter(run, t0, 'the "did not accept" warning', (r) => typeof r.msg === 'string' && r.msg.startsWith(`Alertmanager ${am.url} did not accept`));
    expect(builtIn('firing', t0)).toEqual([]);

    const restartedAt = Date.now();
    await am.start();
    const firing = await waitFor(() => builtIn('firing', t0)[0], `${ALERT} firing at the webhook after the restart`, 20_000);
    expect(firing.receivedAt).toBeGreaterThanOrEqual(restartedAt);
    await recordAfter(run, restartedAt, 'the "accepts alerts again" record', (r) => r.msg === `Alertmanager ${am.url} accepts alerts again`);

    await recover(run, t0);
    await waitFor(() => builtIn('resolved', t0)[0], `${ALERT} resolved at the webhook`, 20_000);
    expect(builtIn('firing', t0)).toHaveLength(1);
  });
});
