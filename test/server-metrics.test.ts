import { Counter, type Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition, type Exposition } from '../src/cloudflared/metrics/exposition.js';
import { findFamily, findSamples, getValue } from '../src/cloudflared/metrics/exposition-query.js';
import { readConnectorMetrics } from '../src/cloudflared/metrics/connector-metrics.js';
import { buildServer } from '../src/server/app.js';
import { CONNECTOR_STATES, REASON_CODES } from '../src/state/snapshot.js';
import { buildRegistry } from '../src/telemetry/metrics/registry.js';
import { readProm } from './fixtures/metrics/golden.js';
import { CONNECTOR_ID, NOW, connectorMetricsFixture, TUNNEL_ID, downSnapshot, fixtureRegistry, healthySnapshot, manyOrigins, sources } from './helpers/health-snapshots.js';

async function scrape(registry: Registry): Promise<Exposition> {
  const exposition = parseExposition(await registry.metrics());
  expect(exposition.errors).toEqual([]);
  return exposition;
}

describe('health metrics', () => {
  it('show the healthy snapshot', async () => {
    const m = await scrape(fixtureRegistry());
    for (const state of CONNECTOR_STATES) expect(getValue(m, 'tunnelwatch_connector_state', { state })).toBe(state === 'healthy' ? 1 : 0);
    expect(findSamples(m, 'tunnelwatch_connector_reason')).toHaveLength(REASON_CODES.length);
    expect(getValue(m, 'tunnelwatch_connector_reason', { reason: 'origins_down' })).toBe(1);
    expect(getValue(m, 'tunnelwatch_connector_reason', { reason: 'no_connections' })).toBe(0);
    expect(getValue(m, 'tunnelwatch_connector_state_since_timestamp_seconds')).toBe((NOW - 42 * 60_000) / 1000);
    expect(getValue(m, 'tunnelwatch_connector_registered_connections')).toBe(4);
    expect(getValue(m, 'tunnelwatch_connector_expected_connections')).toBe(4);
    expect(getValue(m, 'tunnelwatch_connector_process_phase', { phase: 'running' })).toBe(1);
    expect(findSamples(m, 'tunnelwatch_connection_up').map((s) => [s.labels.conn_index, s.value])).toEqual([['0', 1], ['1', 1], ['2', 1], ['3', 1]]);
    expect(findSamples(m, 'tunnelwatch_connection_info', { conn_index: '1' })[0]?.labels).toEqual({ conn_index: '1', location: 'sjc01', protocol: 'quic' });
    expect(getValue(m, 'tunnelwatch_origin_up', { origin: 'rule1:http://api:9000' })).toBe(0);
    expect(getValue(m, 'tunnelwatch_origin_up', { origin: 'rule0:http://web:8080' })).toBe(1);
    expect(getValue(m, 'tunnelwatch_origin_probe_duration_seconds', { origin: 'rule0:http://web:8080' })).toBe(0.0125);
    expect(getValue(m, 'tunnelwatch_edge_status', { status: 'healthy' })).toBe(1);
    expect(getValue(m, 'tunnelwatch_edge_status', { status: 'unknown' })).toBe(0);
    expect(getValue(m, 'tunnelwatch_edge_connections')).toBe(6);
    expect(findSamples(m, 'tunnelwatch_view_connections').map((s) => s.labels.view)).toEqual(['events', 'ready', 'ha_gauge', 'edge']);
    expect(findSamples(m, 'tunnelwatch_build_info')[0]?.labels).toEqual({ version: '0.1.0', node_version: 'v20.20.2' });
    expect(findSamples(m, 'tunnelwatch_tunnel_info')[0]?.labels).toEqual({ tunnel_id: TUNNEL_ID, connector_id: CONNECTOR_ID, replica: 'tunnelwatch-0', zone: 'eu-west-1a' });
  });

  it('give unknown values no series and follow the snapshot on every scrape', async () => {
    let snapshot = healthySnapshot();
    const registry = buildRegistry(sources(() => snapshot, connectorMetricsFixture()));
    expect(getValue(await scrape(registry), 'tunnelwatch_connector_state', { state: 'healthy' })).toBe(1);

    snapshot = downSnapshot();
    const m = await scrape(registry);
    expect(getValue(m, 'tunnelwatch_connector_state', { state: 'healthy' })).toBe(0);
    expect(getValue(m, 'tunnelwatch_connector_state', { state: 'down' })).toBe(1);
    expect(getValue(m, 'tunnelwatch_connector_reason', { reason: 'origins_down' })).toBe(0);
    expect(getValue(m, 'tunnelwatch_connector_reason', { reason: 'edge_unknown' })).toBe(1);
    expect(getValue(m, 'tunnelwatch_connector_process_phase', { phase: 'backoff' })).toBe(1);
    expect(findSamples(m, 'tunnelwatch_connection_up').every((s) => s.value === 0)).toBe(true);
    // The never-probed origin has no origin_up series; the other two keep theirs.
    expect(findSamples(m, 'tunnelwatch_origin_up').map((s) => s.labels.origin)).toEqual(['rule0:http://web:8080', 'rule1:http://api:9000']);
    expect(getValue(m, 'tunnelwatch_edge_status', { status: 'unknown' })).toBe(1);
    expect(findSamples(m, 'tunnelwatch_edge_connections')).toEqual([]);
    expect(findFamily(m, 'tunnelwatch_edge_connections')?.type).toBe('gauge');
    expect(findSamples(m, 'tunnelwatch_view_connections').map((s) => s.labels.view)).toEqual(['events', 'ready', 'ha_gauge']);
  });

  it('render 1,000 origins as one series each', async () => {
    const snapshot = { ...healthySnapshot(), origins: manyOrigins(1000) };
    const m = await scrape(buildRegistry(sources(() => snapshot, connectorMetricsFixture())));
    expect(findSamples(m, 'tunnelwatch_origin_up')).toHaveLength(1000);
    expect(findSamples(m, 'tunnelwatch_origin_up', { origin: 'target:origin-0004' })[0]?.value).toBe(0);
    expect(findSamples(m, 'tunnelwatch_origin_probe_duration_seconds')).toHaveLength(1000);
  });
});

describe('cloudflared re-export', () => {
  it('uses base units and prefixed names', async () => {
    const m = await scrape(fixtureRegistry());
    expect(getValue(m, 'tunnelwatch_cloudflared_ha_connections')).toBe(4);
    expect(findSamples(m, 'tunnelwatch_cloudflared_server_locations_info').map((s) => [s.labels.conn_index, s.labels.location, s.value])).toEqual([
      ['0', 'lax01', 1],
      ['1', 'sjc01', 1],
      ['2', 'lax08', 1],
      ['3', 'sjc05', 1],
    ]);
    expect(getValue(m, 'tunnelwatch_cloudflared_requests_total')).toBe(18231);
    expect(getValue(m, 'tunnelwatch_cloudflared_request_errors_total')).toBe(12);
    expect(getValue(m, 'tunnelwatch_cloudflared_concurrent_requests')).toBe(2);
    expect(getValue(m, 'tunnelwatch_cloudflared_responses_total', { status_code: '500' })).toBe(6);
    expect(getValue(m, 'tunnelwatch_cloudflared_config_version')).toBe(7);
    expect(findSamples(m, 'tunnelwatch_cloudflared_build_info')[0]?.labels).toEqual({ version: '2026.8.2', go_version: 'go1.26.4' });
    expect(getValue(m, 'tunnelwatch_cloudflared_quic_smoothed_rtt_seconds', { conn_index: '0' })).toBe(0.01);
    expect(getValue(m, 'tunnelwatch_cloudflared_quic_congestion_window_bytes', { conn_index: '0' })).toBe(58080);
    expect(getValue(m, 'tunnelwatch_cloudflared_quic_lost_packets_total', { conn_index: '0', reason: 'time_threshold' })).toBe(41);
    expect(findFamily(m, 'tunnelwatch_cloudflared_requests_total')?.type).toBe('counter');
  });

  it('has no series for what cloudflared did not serve', async () => {
    const none = await scrape(buildRegistry(sources(healthySnapshot, undefined)));
    const cloudflared = none.families.filter((f) => f.name.startsWith('tunnelwatch_cloudflared_'));
    expect(cloudflared.length).toBeGreaterThan(20);
    for (const family of cloudflared) expect(family.samples, family.name).toEqual([]);

    const http2 = readConnectorMetrics(parseExposition(readProm('http2-2026.8.2')));
    const m = await scrape(buildRegistry(sources(healthySnapshot, http2)));
    expect(findSamples(m, 'tunnelwatch_cloudflared_quic_smoothed_rtt_seconds')).toEqual([]);
    expect(findSamples(m, 'tunnelwatch_cloudflared_quic_connections_total')).toEqual([]);
    expect(getValue(m, 'tunnelwatch_cloudflared_ha_connections')).toBe(http2.haConnections);
  });
});

describe('registry', () => {
  it('adds the metric sets of other parts and leaves restarts_total to them', async () => {
    const registry = buildRegistry(sources(healthySnapshot, undefined), [
      (r) => {
        new Counter({ name: 'tunnelwatch_connector_restarts_total', help: 'Restarts.', registers: [r] }).inc(3);
      },
    ]);
    expect(getValue(await scrape(registry), 'tunnelwatch_connector_restarts_total')).toBe(3);
  });

  it('prefixes the default process metrics and drops the gauges promtool rejects', async () => {
    const m = await scrape(fixtureRegistry());
    expect(getValue(m, 'tunnelwatch_process_start_time_seconds')).toBeGreaterThan(0);
    expect(findFamily(m, 'tunnelwatch_nodejs_active_handles')).toBeDefined();
    for (const family of m.families) if (family.name.endsWith('_total')) expect(family.type, family.name).toBe('counter');
  });
});

describe('GET /metrics', () => {
  it('serves the registry in the Prometheus text format without auth', async () => {
    const app = buildServer({ snapshot: healthySnapshot, registry: fixtureRegistry(), server: { listen: '0.0.0.0:9464', readyRequiresOrigins: false } });
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('tunnelwatch_connector_state{state="healthy"} 1');
    await app.close();
  });
});

describe('event-loop delay', () => {
  it('leaves a window without samples out instead of the empty histogram\'s 9.2e9 s minimum and NaN mean', async () => {
    const registry = buildRegistry(sources(() => healthySnapshot(), connectorMetricsFixture()));
    await new Promise((r) => setTimeout(r, 250));
    const first = await registry.metrics();
    expect(first).toMatch(/^tunnelwatch_nodejs_eventloop_lag_min_seconds \d/m);
    // No macrotask between the scrapes: the histogram, reset by the first, cannot have taken a sample.
    const second = await registry.metrics();
    for (const text of [first, second]) {
      expect(text).not.toMatch(/NaN|9223372036/);
    }
    expect(second).not.toMatch(/^tunnelwatch_nodejs_eventloop_lag_(min|mean|stddev)_seconds /m);
    expect(second).toMatch(/^# TYPE tunnelwatch_nodejs_eventloop_lag_min_seconds gauge$/m);
  });
});
