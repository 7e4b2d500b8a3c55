import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import type { ConnectorMetrics } from '../../src/cloudflared/metrics/connector-metrics.js';
import type { HealthSnapshot } from '../../src/state/snapshot.js';
import { buildRegistry } from '../../src/telemetry/metrics/registry.js';
import { connectorMetricsFixture, downSnapshot, healthySnapshot, manyOrigins, sources } from '../helpers/health-snapshots.js';

// The real `promtool check metrics` (Debian package `prometheus`) lints what /metrics serves: naming, units,
// `_total` only on counters, help text. A missing promtool fails the suite; it is never skipped.
const PROMTOOL = '/usr/bin/promtool';

function requirePromtool(): void {
  try {
    accessSync(PROMTOOL, constants.X_OK);
  } catch {
    throw new Error(`${PROMTOOL} not found: install the Debian package prometheus (apt-get install prometheus) to run this test`);
  }
}

async function served(snapshot: HealthSnapshot, connector: ConnectorMetrics | undefined): Promise<string> {
  const app = buildServer({ snapshot: () => snapshot, registry: buildRegistry(sources(() => snapshot, connector)), server: { listen: '127.0.0.1:0', readyRequiresOrigins: false } });
  try {
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    return res.body;
  } finally {
    await app.close();
  }
}

function promtool(exposition: string): { status: number | null; output: string } {
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('promtool check metrics', () => {
  it('passes on a rich snapshot with the cloudflared re-export', async () => {
    requirePromtool();
    const healthy = healthySnapshot();
    const rich: HealthSnapshot = { ...healthy, origins: [...healthy.origins, ...manyOrigins(50), ...downSnapshot().origins.slice(2)] };
    const exposition = await served(rich, connectorMetricsFixture());
    expect(exposition).toContain('tunnelwatch_cloudflared_quic_smoothed_rtt_seconds{conn_index="0"} 0.01');
    expect(exposition).toContain('tunnelwatch_origin_up{origin="target:origin-0049"} 1');
    expect(promtool(exposition)).toEqual({ status: 0, output: '' });
  });

  it('passes on a down connector with no cloudflared metrics', async () => {
    requirePromtool();
    expect(promtool(await served(downSnapshot(), undefined))).toEqual({ status: 0, output: '' });
  });
});
