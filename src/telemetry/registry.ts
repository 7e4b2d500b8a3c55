// The one Prometheus registry of a tunnelwatch instance: process metrics, identity, the health snapshot, the
// cloudflared re-export, and whatever metric sets the other parts add.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { ConnectorMetrics } from '../cloudflared/connector-metrics.js';
import type { HealthSnapshot } from '../state/snapshot.js';
import { cloudflaredMetrics } from './cloudflared-metrics.js';
import { healthMetrics } from './health-metrics.js';

export const METRIC_PREFIX = 'tunnelwatch_';

/** Adds a group of metrics to the registry (pipeline metrics, collector stats, alert metrics, ...). */
export type MetricSet = (registry: Registry) => void;

/** Who this replica is; each value becomes a `tunnelwatch_tunnel_info` label (empty when unknown). */
export interface Identity {
  readonly tunnelId?: string;
  readonly connectorId?: string;
  readonly replica?: string;
  readonly zone?: string;
}

/** Where the scrape-time metrics read from. Both functions run once per metric on every scrape: keep them cheap. */
export interface MetricSources {
  snapshot(): HealthSnapshot;
  /** The latest typed cloudflared /metrics, or undefined while none has been read. */
  connectorMetrics(): ConnectorMetrics | undefined;
  readonly identity: Identity;
  readonly build: { readonly version: string; readonly nodeVersion: string };
}

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
