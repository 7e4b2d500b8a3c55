import { afterEach, describe, expect, it, vi } from 'vitest';
import { startAlerting, type Alerting } from '../src/alerts/alerting.js';
import type { PostableAlert } from '../src/alerts/alertmanager.js';
import type { LogFn } from '../src/alerts/engine.js';
import type { AlertInputs } from '../src/alerts/rules.js';
import { cronExpression, every, type Schedule } from '../src/alerts/scheduler.js';
import { settingsSchema } from '../src/config/schema.js';
import { buildServer } from '../src/server/app.js';
import { renderStatusPage } from '../src/server/page/index.js';
import { buildRegistry } from '../src/telemetry/metrics/registry.js';
import { NOW } from './helpers/health-snapshots.js';
import { calmInputs, downInputs } from './helpers/alert-inputs.js';

const quiet: LogFn = () => undefined;
const open: (Schedule | Alerting)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.stop()));
  vi.useRealTimers();
});

describe('cronExpression', () => {
  it.each([
    [100, undefined],
    [1500, undefined],
    [1000, '*/1 * * * * *'],
    [15_000, '*/15 * * * * *'],
    [7000, undefined],
    [45_000, undefined],
    [60_000, '0 */1 * * * *'],
    [300_000, '0 */5 * * * *'],
    [90_000, undefined],
    [420_000, undefined],
    [3_600_000, '0 0 * * * *'],
    [7_200_000, undefined],
  ])('%i ms → %s', (ms, expected) => {
    expect(cronExpression(ms)).toBe(expected);
  });
});

describe('every', () => {
  it('runs on node-cron on whole-second boundaries and skips a run while the previous one is busy', async () => {
    vi.useFakeTimers({ now: NOW });
    let release: (() => void) | undefined;
    const started: number[] = [];
    const schedule = every(1000, () => {
      started.push(Date.now() - NOW);
      // The second run takes 2.5 s.
      if (started.length === 2) return new Promise<void>((resolve) => (release = resolve));
      return undefined;
    }, quiet);
    open.push(schedule);
    expect(schedule.kind).toBe('cron');
    await vi.advanceTimersByTimeAsync(2000);
    expect(started.map((t) => Math.round(t / 1000))).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(2500); // runs at 3 s and 4 s are skipped: the 2 s run is still busy
    expect(started).toHaveLength(2);
    release?.();
    await vi.advanceTimersByTimeAsync(1000);
    expect(started.length).toBe(3);
  });

  it('uses setInterval for sub-second intervals, without overlap, and stop() waits for the run in progress', async () => {
    vi.useFakeTimers({ now: NOW });
    let release: (() => void) | undefined;
    let runs = 0;
    let finished = false;
    const schedule = every(100, async () => {
      runs += 1;
      if (runs === 3) {
        await new Promise<void>((resolve) => (release = resolve));
        finished = true;
      }
    }, quiet);
    expect(schedule.kind).toBe('interval');
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(3);
    const stopped = schedule.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(500);
    expect(done).toBe(false);
    release?.();
    await stopped;
    expect(finished).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(3);
  });

  it('logs a failed run and keeps going', async () => {
    vi.useFakeTimers({ now: NOW });
    const logs: string[] = [];
    let runs = 0;
    const schedule = every(200, () => {
      runs += 1;
      throw new Error('inputs not ready');
    }, (level, _f, msg) => logs.push(`${level} ${msg}`));
    open.push(schedule);
    await vi.advanceTimersByTimeAsync(400);
    expect(runs).toBe(2);
    expect(logs).toEqual(['error alert evaluation failed: inputs not ready', 'error alert evaluation failed: inputs not ready']);
  });
});

describe('startAlerting', () => {
  function start(inputs: () => AlertInputs): { alerting: Alerting; posts: PostableAlert[][] } {
    const posts: PostableAlert[][] = [];
    const fakeFetch = ((_url: string | URL | Request, init?: RequestInit) => {
      posts.push(JSON.parse(typeof init?.body === 'string' ? init.body : '[]') as PostableAlert[]);
      return Promise.resolve(new Response('', { status: 200 }));
    }) as typeof fetch;
    const settings = settingsSchema.parse({
      server: { listen: '127.0.0.1:9464' },
      alerts: {
        alertmanagers: ['http://am-0:9093'],
        evaluationInterval: '1s',
        rules: [{ alert: 'TunnelConnectorUnhealthy', for: '3s', keepFiringFor: '0s' }],
      },
    });
    const alerting = startAlerting({ settings, inputs, log: quiet, now: () => Date.now(), fetch: fakeFetch });
    open.push(alerting);
    return { alerting, posts };
  }

  it('evaluates at once and on schedule, fires after `for`, and serves /status, the page and the metrics', async () => {
    vi.useFakeTimers({ now: NOW });
    let inputs = downInputs();
    const { alerting, posts } = start(() => inputs);
    expect(alerting.firing().map((f) => f.alertname)).toEqual(['Watchdog']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(alerting.firing().map((f) => f.alertname)).toEqual(['Watchdog']);
    await vi.advanceTimersByTimeAsync(1000); // 3 s after the first evaluation
    expect(alerting.firing().map((f) => f.alertname).sort()).toEqual(['TunnelConnectorUnhealthy', 'Watchdog']);
    expect(posts.flat().map((a) => a.labels.alertname)).toEqual(['Watchdog', 'TunnelConnectorUnhealthy']);
    expect(posts[1]?.[0]?.generatorURL).toBe('http://127.0.0.1:9464/status');

    const registry = buildRegistry({ snapshot: () => inputs.snapshot, connectorMetrics: () => undefined, identity: {}, build: { version: 't', nodeVersion: 'v20' } }, [alerting.metrics]);
    const text = await registry.metrics();
    expect(text).toContain('tunnelwatch_alerts_firing{alertname="TunnelConnectorUnhealthy",severity="critical"} 1');
    expect(text).toContain('tunnelwatch_alerts_firing{alertname="TunnelHALost",severity="critical"} 0');
    expect(text).toContain('tunnelwatch_alerts_firing{alertname="TunnelOriginCertificateExpiring",severity="warning"} 0');
    expect(text).not.toContain('alertname="TunnelReplicasSameZone"');
    expect(text).toContain('tunnelwatch_alertmanager_notifications_total{alertmanager="http://am-0:9093",outcome="success"} 2');

    const app = buildServer({ snapshot: () => inputs.snapshot, registry, server: { listen: '127.0.0.1:9464', readyRequiresOrigins: false }, now: () => Date.now(), alerts: () => alerting.firing() });
    const status = (await app.inject('/status')).json<{ alerts: { alertname: string; firingSince: number }[] }>();
    expect(status.alerts.map((a) => a.alertname).sort()).toEqual(['TunnelConnectorUnhealthy', 'Watchdog']);
    const page = (await app.inject('/')).body;
    expect(page).toContain('<h2>Firing alerts</h2>');
    // The runbook this replica serves itself, at <externalUrl>/runbooks (alerts.runbookBaseUrl unset).
    expect(page).toContain('href="http://127.0.0.1:9464/runbooks/TunnelConnectorUnhealthy.md"');
    await app.close();

    inputs = calmInputs();
    await vi.advanceTimersByTimeAsync(1000);
    expect(alerting.firing().map((f) => f.alertname)).toEqual(['Watchdog']);
    expect(posts.at(-1)?.map((a) => [a.labels.alertname, a.endsAt])).toEqual([['TunnelConnectorUnhealthy', new Date(Date.now()).toISOString()]]);
  });

  it('the page shows no alert section without an alert source, and "None." with no firing alert', () => {
    const s = calmInputs().snapshot;
    expect(renderStatusPage(s, NOW)).not.toContain('Firing alerts');
    expect(renderStatusPage(s, NOW, { alerts: [] })).toContain('<h2>Firing alerts</h2><p class="dim">None.</p>');
  });
});
