// alerts/alertmanager-inhibit.yaml as Alertmanager reads it: amtool accepts it merged into a config, and a real
// Alertmanager (Debian prometheus-alertmanager) holds back exactly the alerts each rule says, for the same tunnel and
// replica only. Alerts are posted through Alertmanager's API v2, as tunnelwatch and Prometheus post them.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, startWebhook, waitFor, type Alertmanager, type Webhook } from '../helpers/obs-servers.js';

const AMTOOL = '/usr/bin/amtool';
const SNIPPET = readFileSync(new URL('../../alerts/alertmanager-inhibit.yaml', import.meta.url), 'utf8');
const BASE = ['route:', '  receiver: webhook', 'receivers:', '  - name: webhook', '    webhook_configs:', '      - url: http://127.0.0.1:9/', ''].join('\n');

interface AmAlert {
  readonly labels: Record<string, string>;
  readonly status: { readonly state: string; readonly inhibitedBy: readonly string[] };
}

let webhook: Webhook;
let am: Alertmanager;
beforeAll(async () => {
  webhook = await startWebhook();
  am = await startAlertmanager(webhook.url, SNIPPET);
});
afterAll(async () => {
  await am.close();
  await webhook.close();
});

async function post(alerts: readonly Record<string, string>[]): Promise<void> {
  const endsAt = new Date(Date.now() + 10 * 60_000).toISOString();
  const res = await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts.map((labels) => ({ labels: { severity: 'warning', ...labels }, annotations: { summary: 'test' }, endsAt }))),
  });
  expect(res.status).toBe(200);
}

async function alerts(): Promise<AmAlert[]> {
  return (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as AmAlert[];
}

/** Waits until Alertmanager has `count` alerts and each one's inhibition is settled, then says which are inhibited. */
async function inhibited(count: number): Promise<string[]> {
  const all = await waitFor(async () => {
    const now = await alerts();
    return now.length === count && now.every((a) => a.status.state !== 'unprocessed') ? now : undefined;
  }, `${String(count)} processed alerts in Alertmanager`);
  return all
    .filter((a) => a.status.inhibitedBy.length > 0)
    .map((a) => `${a.labels.alertname ?? ''}/${a.labels.tunnel_id ?? ''}/${a.labels.replica ?? ''}`)
    .sort();
}

describe('alerts/alertmanager-inhibit.yaml', () => {
  it('amtool check-config accepts it merged into an Alertmanager config', () => {
    try {
      accessSync(AMTOOL, constants.X_OK);
    } catch {
      throw new Error(`${AMTOOL} not found: install the Debian package prometheus-alertmanager to run this test`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'tw-amtool-'));
    try {
      const file = join(dir, 'alertmanager.yml');
      writeFileSync(file, BASE + SNIPPET);
      const run = spawnSync(AMTOOL, ['check-config', file], { encoding: 'utf8', timeout: 30_000 });
      expect(run.stdout + run.stderr).toMatch(/SUCCESS[\s\S]*- 4 inhibit rules/);
      expect(run.status, run.stdout + run.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Unhealthy silences Degraded, Fallback and Storm of its replica only; HALost the per-replica alerts of its tunnel in any cluster; Absent every Down', async () => {
    await post([
      { alertname: 'TunnelConnectorUnhealthy', severity: 'critical', tunnel_id: 't1', replica: 'r1' },
      { alertname: 'TunnelConnectorDegraded', tunnel_id: 't1', replica: 'r1' },
      { alertname: 'TunnelProtocolFallback', tunnel_id: 't1', replica: 'r1' },
      { alertname: 'TunnelReconnectStorm', tunnel_id: 't1', replica: 'r1' },
      // Another replica's degradation is its own page.
      { alertname: 'TunnelConnectorDegraded', tunnel_id: 't1', replica: 'r2' },
      // An unreachable origin is not explained by the connector's state: never inhibited.
      { alertname: 'TunnelOriginUnreachable', tunnel_id: 't1', replica: 'r1', origin: 'web' },
      // HALost is tunnel-wide (no cluster or namespace): it silences the tunnel's replicas wherever they run.
      { alertname: 'TunnelHALost', severity: 'critical', tunnel_id: 't2' },
      { alertname: 'TunnelConnectorUnhealthy', severity: 'critical', tunnel_id: 't2', replica: 'r1', cluster: 'eu-1', namespace: 'edge' },
      { alertname: 'TunnelConnectorDegraded', tunnel_id: 't2', replica: 'r2', cluster: 'us-1', namespace: 'edge' },
      // Same replica name in another cluster: the cluster label keeps the rule from reaching across.
      { alertname: 'TunnelConnectorDegraded', tunnel_id: 't1', replica: 'r1', cluster: 'other' },
      // Nothing scraped at all (no labels) explains a target's own failed scrapes, whatever its namespace.
      { alertname: 'TunnelwatchAbsent', severity: 'critical' },
      { alertname: 'TunnelwatchDown', job: 'tunnelwatch', instance: '10.0.0.7:9464', namespace: 'edge' },
    ]);
    expect(await inhibited(12)).toEqual([
      'TunnelConnectorDegraded/t1/r1',
      'TunnelConnectorDegraded/t2/r2',
      'TunnelConnectorUnhealthy/t2/r1',
      'TunnelProtocolFallback/t1/r1',
      'TunnelReconnectStorm/t1/r1',
      'TunnelwatchDown//',
    ]);
  });
});
