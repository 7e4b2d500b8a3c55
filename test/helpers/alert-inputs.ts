// Alert rule inputs for the alert tests: a calm baseline (only Watchdog fires) and ways to break it.
import type { AlertInputs } from '../../src/alerts/rules.js';
import type { HealthSnapshot } from '../../src/state/snapshot.js';
import { TUNNEL_ID, healthySnapshot } from './health-snapshots.js';

export const REPLICA = 'tw-0';

/** A healthy connector, every origin up, two connectors on the edge with one version. */
export function calmSnapshot(): HealthSnapshot {
  const s = healthySnapshot();
  return {
    ...s,
    reasons: [],
    origins: s.origins.map((o) => ({ ...o, state: 'up' as const, reason: undefined })),
    edge: { ...s.edge, connectors: s.edge.connectors.map((c) => ({ ...c, version: '2026.8.2', connections: c.connections.map((x) => ({ ...x, pendingReconnect: false })) })) },
  };
}

export function calmInputs(snapshot: HealthSnapshot = calmSnapshot()): AlertInputs {
  return {
    snapshot,
    restarts: { recentTimestamps: [] },
    breakerOpen: false,
    spool: { oldestAgeSeconds: 0, dropped: 0 },
    certificates: new Map(),
    configFindings: [],
    identity: { tunnel_id: TUNNEL_ID, replica: REPLICA, zone: 'eu-west-1a' },
    diagnosis: [],
    endToEnd: [{ url: 'https://app.example.com/healthz', served: true }],
  };
}

/** The calm inputs with the connector down (no registered connection). */
export function downInputs(): AlertInputs {
  const s = calmSnapshot();
  return calmInputs({ ...s, state: 'down', registeredConnections: 0, connections: s.connections.map((c) => ({ ...c, up: false })) });
}
