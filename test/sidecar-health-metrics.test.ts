// The re-exported cloudflared metrics are current or absent: after a failed /metrics poll, or once another
// connector process runs, the last values must not go on being exported as if they were read now.
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../src/config/load.js';
import { HealthWatch } from '../src/sidecar/health-watch.js';
import { metricsOf } from './helpers/state-observations.js';
import { createLogger } from '../src/telemetry/logs/index.js';

async function watch(): Promise<HealthWatch> {
  const loaded = loadSettings({ env: { TUNNELWATCH_LOGS_SPOOL_DIR: '/tmp/unused' } });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return HealthWatch.create({ settings: loaded.settings, logger: createLogger({ write: () => undefined }, { level: 'error', labels: {} }), metricsAddress: () => undefined, now: () => 1_790_000_000_000 });
}

describe('HealthWatch: the connector metrics it re-exports', () => {
  it('are the last successful poll, gone after a failed one', async () => {
    const w = await watch();
    w.observe({ kind: 'metrics', at: 1, ok: true, metrics: metricsOf(4) });
    expect(w.connectorMetrics?.haConnections).toBe(4);
    w.observe({ kind: 'metrics', at: 2, ok: false, error: 'connect ECONNREFUSED 127.0.0.1:20241' });
    expect(w.connectorMetrics).toBeUndefined();
  });

  it('are gone once the process changes (a restart), until the new one is polled', async () => {
    const w = await watch();
    w.observe({ kind: 'metrics', at: 1, ok: true, metrics: metricsOf(4) });
    w.observe({ kind: 'process', at: 2, phase: 'backoff', lastExit: 'exit 1' });
    expect(w.connectorMetrics).toBeUndefined();
    w.observe({ kind: 'metrics', at: 3, ok: true, metrics: metricsOf(1) });
    expect(w.connectorMetrics?.haConnections).toBe(1);
  });
});
