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

// Read from an event-loop delay histogram that prom-client resets on every scrape. A scrape that comes before the
// histogram took a sample (right after start, or two scrapes closer than its resolution) read its empty state: a
// minimum of 9223372036.85 s (the largest int64 of nanoseconds) and a NaN mean and deviation.
const EVENT_LOOP_HISTOGRAM = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map((s) => `nodejs_eventloop_lag_${s}_seconds`);
/** Far above any real event-loop delay, far below the empty histogram's minimum. */
const NO_SAMPLE_SECONDS = 1e9;

/** A window without samples has no figures: its series are left out of that scrape rather than made up. */
function dropEmptyWindow(registry: Registry): void {
  for (const name of EVENT_LOOP_HISTOGRAM) {
    const gauge = registry.getSingleMetric(METRIC_PREFIX + name);
    if (gauge === undefined) continue;
    const get = gauge.get.bind(gauge);
    gauge.get = async () => {
      const metric = await get();
      return { ...metric, values: metric.values.filter((v) => Number.isFinite(v.value) && v.value < NO_SAMPLE_SECONDS) };
    };
  }
}

/** Builds a fresh registry (one per app instance, so tests never collide on names). */
export function buildRegistry(sources: MetricSources, sets: readonly MetricSet[] = []): Registry {
  const registry = new Registry();
  healthMetrics(sources)(registry);
  cloudflaredMetrics(() => sources.connectorMetrics())(registry);
  for (const set of sets) set(registry);
  // The event-loop lag monitor samples every 10 ms by default: 100 wake-ups a second for an idle sidecar.
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 100 });
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(METRIC_PREFIX + name);
  dropEmptyWindow(registry);
  return registry;
}
