// The shapes shared by the registry and every group of metrics it is built from.
import type { Registry } from 'prom-client';
import type { ConnectorMetrics } from '../../cloudflared/metrics/index.js';
import type { HealthSnapshot } from '../../state/index.js';

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
