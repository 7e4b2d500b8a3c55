// Hand-made health snapshots and cloudflared metrics for the server and metrics tests.
import { readConnectorMetrics, type ConnectorMetrics } from '../../src/cloudflared/metrics/connector-metrics.js';
import { parseExposition } from '../../src/cloudflared/metrics/exposition.js';
import type { HealthSnapshot, OriginView } from '../../src/state/snapshot.js';
import type { MetricSources } from '../../src/telemetry/metrics/metric-set.js';
import { buildRegistry } from '../../src/telemetry/metrics/registry.js';
import type { Registry } from 'prom-client';
import { readProm } from '../fixtures/metrics/golden.js';

/** 2026-11-27 12:00:00 UTC. */
export const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const MIN = 60_000;

export const TUNNEL_ID = 'c1744f8b-faa1-48a4-9e5c-02ac921467fa';
export const CONNECTOR_ID = '4a2c83e1-5e71-4c4f-8d0b-6f1d3c0a9b21';

/** Healthy connector: 4 connections in 2 colos (lax01, sjc01), one of three origins down. */
export function healthySnapshot(): HealthSnapshot {
  const colo = ['lax01', 'sjc01', 'lax01', 'sjc01'];
  return {
    at: NOW,
    state: 'healthy',
    since: NOW - 42 * MIN,
    reasons: [{ code: 'origins_down', message: '1 of 3 origins down: api', since: NOW - 3 * MIN }],
    tunnelId: TUNNEL_ID,
    connectorId: CONNECTOR_ID,
    version: '2026.8.2',
    expectedConnections: 4,
    registeredConnections: 4,
    connections: colo.map((location, i) => ({
      connIndex: i,
      up: true,
      protocol: 'quic',
      location,
      edgeIp: `198.41.200.${13 + i * 10}`,
      connectionId: `0d1e2f3a-0000-4000-8000-00000000000${i}`,
      since: NOW - (42 - i) * MIN,
    })),
    process: { phase: 'running', pid: 4242 },
    views: { events: 4, ready: 4, haGauge: 4, edge: 4 },
    protocol: 'quic',
    origins: [
      { key: 'rule0:http://web:8080', service: 'http://web:8080', rule: 0, hostname: 'app.example.com', state: 'up', since: NOW - 40 * MIN, lastProbeAt: NOW - 5000, lastDurationMs: 12.5 },
      { key: 'rule1:http://api:9000', service: 'http://api:9000', rule: 1, hostname: 'api.example.com', state: 'down', reason: 'connect ECONNREFUSED 10.0.0.7:9000', since: NOW - 3 * MIN, lastProbeAt: NOW - 4000, lastDurationMs: 1.25 },
      { key: 'rule2:ssh://bastion:22', service: 'ssh://bastion:22', rule: 2, hostname: 'ssh.example.com', state: 'up', since: NOW - 40 * MIN, lastProbeAt: NOW - 6000, lastDurationMs: 3 },
    ],
    edge: {
      status: 'healthy',
      configured: true,
      checkedAt: NOW - 20_000,
      connector: {
        id: CONNECTOR_ID,
        version: '2026.8.2',
        arch: 'linux_amd64',
        connections: colo.map((c, i) => ({ id: `0d1e2f3a-0000-4000-8000-00000000000${i}`, colo: c, pendingReconnect: false })),
      },
      connectors: [
        {
          id: CONNECTOR_ID,
          version: '2026.8.2',
          connections: colo.map((c, i) => ({ id: `0d1e2f3a-0000-4000-8000-00000000000${i}`, colo: c, pendingReconnect: false })),
        },
        { id: '9f8e7d6c-1111-4222-8333-444455556666', version: '2026.7.3', connections: [{ id: 'x1', colo: 'ord02', pendingReconnect: false }, { id: 'x2', colo: 'dfw01', pendingReconnect: true }] },
      ],
    },
    transitions: [
      { at: NOW - 50 * MIN, from: 'unknown', to: 'down', reasons: ['no_connections'] },
      { at: NOW - 45 * MIN, from: 'down', to: 'degraded', reasons: ['connections_missing'] },
      { at: NOW - 42 * MIN, from: 'degraded', to: 'healthy', reasons: [] },
    ],
  };
}

/** Down connector: no connection registered, edge unknown, one origin never probed. */
export function downSnapshot(): HealthSnapshot {
  const base = healthySnapshot();
  return {
    ...base,
    state: 'down',
    since: NOW - 7 * MIN,
    reasons: [
      { code: 'no_connections', message: '0 of 4 HA connections registered', since: NOW - 7 * MIN },
      { code: 'edge_unknown', message: 'Cloudflare API unreachable: fetch failed', since: NOW - 6 * MIN },
    ],
    registeredConnections: 0,
    connections: base.connections.map((c) => ({ ...c, up: false })),
    process: { phase: 'backoff', lastExit: 'exit 1' },
    views: { events: 0, ready: 0, haGauge: 4 },
    origins: [...base.origins.slice(0, 2), { key: 'rule3:http://new:80', service: 'http://new:80', state: 'unknown', since: NOW - MIN }],
    edge: { status: 'unknown', configured: true, error: 'fetch failed', connectors: [] },
  };
}

/** `count` origins, every fourth one down. */
export function manyOrigins(count: number): OriginView[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `target:origin-${String(i).padStart(4, '0')}`,
    service: `http://10.0.${Math.floor(i / 250)}.${i % 250}:8080`,
    state: i % 4 === 0 ? 'down' : 'up',
    ...(i % 4 === 0 ? { reason: 'status 503' } : {}),
    since: NOW - MIN,
    lastDurationMs: 2 + (i % 7),
  }));
}

/** Typed metrics of the healthy 2026.8.2 QUIC fixture exposition. */
export function connectorMetricsFixture(): ConnectorMetrics {
  return readConnectorMetrics(parseExposition(readProm('healthy-2026.8.2')));
}

/** Sources for buildRegistry; `connector` undefined means cloudflared's /metrics was never read. */
export function sources(snapshot: () => HealthSnapshot, connector: ConnectorMetrics | undefined): MetricSources {
  return {
    snapshot,
    connectorMetrics: () => connector,
    identity: { tunnelId: TUNNEL_ID, replica: 'tunnelwatch-0', zone: 'eu-west-1a' },
    build: { version: '0.1.0', nodeVersion: 'v20.20.2' },
  };
}

/** A registry fed with `snapshot` and the healthy cloudflared fixture. */
export function fixtureRegistry(snapshot: HealthSnapshot = healthySnapshot()): Registry {
  return buildRegistry(sources(() => snapshot, connectorMetricsFixture()));
}
