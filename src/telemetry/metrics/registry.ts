// The one Prometheus registry of a tunnelwatch instance: process metrics, identity, the health snapshot, the
// cloudflared re-export, and whatever metric sets the other parts add.
import { Registry, collectDefaultMetrics } from 'prom-client';
import { cloudflaredMetrics } from './cloudflared-metrics.js';
import { healthMetrics } from './health-metrics.js';
import type { MetricSet, MetricSources } from './metric-set.js';

export const METRIC_PREFIX = 'tunnelwatch_';

// Gauges that prom-client names `*_total`: promtool rejects `_total` on a gauge, and each is the sum of the
// `nodejs_active_*{type}` gauge registered beside it.
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Builds a fresh registry (one per app instance, so tests never collide on names). */
export function buildRegistry(sources: MetricSources, sets: readonly MetricSet[] = []): Registry {
  const registry = new Registry();
  healthMetrics(sources)(registry);
  cloudflaredMetrics(() => sources.connectorMetrics())(registry);
  for (const set of sets) set(registry);
  // The event-loop lag monitor samples every 10 ms by default: 100 wake-ups a second for an idle sidecar.
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 100 });
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(METRIC_PREFIX + name);
  return registry;
}
