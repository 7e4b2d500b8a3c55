// tunnelwatch's own verdict as metrics, computed from the health snapshot on every scrape. Every label value
// comes from a bounded set: states and reasons are constants, connection indexes are HA slots, origins come
// from the config.
import type { Registry } from 'prom-client';
import { CONNECTOR_STATES, PROCESS_PHASES, REASON_CODES, TUNNEL_STATUSES, type HealthSnapshot } from '../../state/index.js';
import { computedGauge, oneOf, single, type Series } from './computed-metric.js';
import type { MetricSet, MetricSources } from './metric-set.js';

const EDGE_STATUSES = [...TUNNEL_STATUSES, 'unknown'] as const;
const PHASES = [...PROCESS_PHASES, 'unknown'] as const;
const VIEWS = [
  ['events', 'events'],
  ['ready', 'ready'],
  ['ha_gauge', 'haGauge'],
  ['edge', 'edge'],
] as const;

const seconds = (ms: number): number => ms / 1000;

/** The snapshot metrics, plus `tunnelwatch_build_info` and `tunnelwatch_tunnel_info`. */
export function healthMetrics(sources: MetricSources): MetricSet {
  return (registry: Registry) => {
    const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[], read: (s: HealthSnapshot) => Iterable<Series<L>>): void => {
      computedGauge(registry, { name: `tunnelwatch_${name}`, help, labelNames, read: () => read(sources.snapshot()) });
    };

    computedGauge(registry, {
      name: 'tunnelwatch_build_info',
      help: 'Always 1; labels give the tunnelwatch version and the Node.js version running it.',
      labelNames: ['version', 'node_version'],
      read: () => [{ labels: { version: sources.build.version, node_version: sources.build.nodeVersion }, value: 1 }],
    });
    gauge('tunnel_info', 'Always 1; labels identify the tunnel, the connector and this replica (empty when unknown).', ['tunnel_id', 'connector_id', 'replica', 'zone'], (s) => {
      const id = sources.identity;
      return [{ labels: { tunnel_id: id.tunnelId ?? s.tunnelId ?? '', connector_id: id.connectorId ?? s.connectorId ?? '', replica: id.replica ?? '', zone: id.zone ?? '' }, value: 1 }];
    });

    gauge('connector_state', 'Connector state as tunnelwatch judges it: 1 for the current state, 0 for the others.', ['state'], (s) => oneOf('state', CONNECTOR_STATES, s.state));
    // A timestamp rather than a duration: it stays right however late the scrape is and needs no clock here;
    // time in state is `time() - tunnelwatch_connector_state_since_timestamp_seconds`.
    gauge('connector_state_since_timestamp_seconds', 'Unix time when the connector entered its current state.', [], (s) => single(seconds(s.since)));
    gauge('connector_reason', 'Why the connector is in its state: 1 for each reason code that applies now, 0 for the others.', ['reason'], (s) => {
      const active = new Set(s.reasons.map((r) => r.code));
      return REASON_CODES.map((code) => ({ labels: { reason: code }, value: active.has(code) ? 1 : 0 }));
    });
    gauge('connector_registered_connections', 'HA connections registered with the edge, by the best local evidence (log events, else /ready).', [], (s) => single(s.registeredConnections));
    gauge('connector_expected_connections', 'HA connections the connector is expected to hold.', [], (s) => single(s.expectedConnections));
    gauge('connector_process_phase', "The supervisor's view of the cloudflared process: 1 for the current phase, 0 for the others.", ['phase'], (s) => oneOf('phase', PHASES, s.process.phase));

    gauge('connection_up', '1 when the HA connection slot is registered with the edge, else 0.', ['conn_index'], (s) =>
      s.connections.map((c) => ({ labels: { conn_index: String(c.connIndex) }, value: c.up ? 1 : 0 })),
    );
    gauge('connection_info', 'Always 1; labels give the edge location (colo) and protocol of each HA connection slot (empty when unknown).', ['conn_index', 'location', 'protocol'], (s) =>
      s.connections.map((c) => ({ labels: { conn_index: String(c.connIndex), location: c.location ?? '', protocol: c.protocol ?? s.protocol ?? '' }, value: 1 })),
    );

    // Origins that were never probed have no series: unknown is not down.
    gauge('origin_up', '1 when the origin answers its probe, 0 when it is down; no series before the first verdict.', ['origin'], function* (s) {
      for (const o of s.origins) if (o.state !== 'unknown') yield { labels: { origin: o.key }, value: o.state === 'up' ? 1 : 0 };
    });
    gauge('origin_probe_duration_seconds', 'Duration of the latest probe of the origin.', ['origin'], function* (s) {
      for (const o of s.origins) if (o.lastDurationMs !== undefined) yield { labels: { origin: o.key }, value: seconds(o.lastDurationMs) };
    });

    gauge('edge_status', 'Tunnel status as the Cloudflare API reports it: 1 for the current status, 0 for the others; unknown when the API is unreachable or not configured.', ['status'], (s) =>
      oneOf('status', EDGE_STATUSES, s.edge.status),
    );
    gauge('edge_connections', 'Connections the Cloudflare API lists for the whole tunnel, every connector (replica) included; no series while the edge view is unknown.', [], (s) =>
      single(s.edge.status === 'unknown' ? undefined : s.edge.connectors.reduce((n, c) => n + c.connections.length, 0)),
    );
    gauge('edge_connectors', 'Connectors (replicas) the Cloudflare API lists for the tunnel with at least one connection not waiting to reconnect; no series while the edge view is unknown.', [], (s) =>
      single(s.edge.status === 'unknown' ? undefined : s.edge.connectors.filter((c) => c.connections.some((k) => !k.pendingReconnect)).length),
    );
    gauge('edge_connector_versions', 'Distinct cloudflared versions among the connectors the Cloudflare API lists for the tunnel (above 1 means version skew); no series while the edge view is unknown.', [], (s) =>
      single(s.edge.status === 'unknown' ? undefined : new Set(s.edge.connectors.map((c) => c.version ?? '')).size),
    );
    gauge('view_connections', "Registered connections of this connector as each view reports them (log events, cloudflared's /ready, its ha_connections gauge, the Cloudflare API); no series for a view without data.", ['view'], function* (s) {
      for (const [view, key] of VIEWS) {
        const value = s.views[key];
        if (value !== undefined) yield { labels: { view }, value };
      }
    });
  };
}
