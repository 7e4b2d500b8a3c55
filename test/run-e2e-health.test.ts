// End to end: the built `tunnelwatch run` with the emulated connector in the emulated Cloudflare world (API
// emulator, origins app, ssh and dead). Each emulator fault must drive the state and reasons the health
// model promises, seen from outside as an operator would: /status, /metrics, the page and the stdout records.
// One tunnelwatch serves every scenario of the first describe; faults are cleared and health restored
// before each, so the scenarios stay independent. Protocol fallback needs QUIC blocked from the start (a
// connector that ever registered over QUIC never falls back), so it has its own run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HealthSnapshot } from '../src/state/snapshot.js';
import { apiFault, apiFaultsCleared, codes, connectorFault, get, metric, metricsUntil, status, statusUntil } from './helpers/run-observe.js';
import { trackedProcesses, type TunnelwatchRun } from './helpers/run-process.js';

const p = trackedProcesses();

const POLL_MS = 200;
const FAST = {
  TUNNELWATCH_CLOUDFLARED_POLL_INTERVAL: `${String(POLL_MS)}ms`,
  TUNNELWATCH_ORIGINS_INTERVAL: '1s',
  TUNNELWATCH_ORIGINS_FAILURES_TO_DOWN: '2',
  TUNNELWATCH_EDGE_POLL_INTERVAL: '1s',
  TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
};

const allUp = (s: HealthSnapshot): boolean => s.state === 'healthy' && s.registeredConnections === 4 && s.connections.filter((c) => c.up).length === 4;

/**
 * Waits for a fully healthy connector and an answering API. The edge's own status may read `degraded` for
 * minutes after a drop (the API keeps a lost connection as pending reconnect), as Cloudflare's does.
 */
async function healthy(run: TunnelwatchRun, timeoutMs = 15_000): Promise<HealthSnapshot> {
  return statusUntil(run, (s) => (allUp(s) && s.edge.status !== 'unknown' && !codes(s).includes('edge_unknown') ? s : undefined), 'a healthy connector and an answering API', timeoutMs);
}

/** The `state_change` record into `to` made at or after `t0` (by its own time: stdout may lag /status). */
function stateChange(run: TunnelwatchRun, to: string, t0: number): Promise<Record<string, unknown>> {
  return run.until(() => run.records.find((r) => typeof r.time === 'number' && r.time >= t0 && r.event === 'state_change' && r.to === to), `a state_change record to ${to}`);
}

describe('tunnelwatch run: the health model against emulator faults', () => {
  const shared = p.shared(FAST);

  beforeEach(async () => {
    const run = shared();
    await connectorFault(run, { fault: 'clear' }, 20_000);
    await apiFaultsCleared(run);
    await healthy(run, 20_000);
  }, 45_000);

  it('is healthy once all four HA connections registered, each with its edge location and protocol', async () => {
    const run = shared();
    const s = await status(run);
    expect(s.expectedConnections).toBe(4);
    expect(s.registeredConnections).toBe(4);
    expect(s.process.phase).toBe('running');
    expect(s.connections).toHaveLength(4);
    for (const c of s.connections) {
      expect(c.up).toBe(true);
      expect(c.location).toMatch(/^[a-z]{3}\d{2}$/);
      expect(c.protocol).toBe('quic');
    }
    const text = (await get(run, '/metrics')).body;
    expect(metric(text, 'tunnelwatch_connector_state', { state: 'healthy' })).toBe(1);
    expect(metric(text, 'tunnelwatch_connector_state', { state: 'down' })).toBe(0);
    expect(metric(text, 'tunnelwatch_connector_registered_connections')).toBe(4);
    expect((await get(run, '/healthz')).status).toBe(200);
    expect((await get(run, '/readyz')).status).toBe(200);
  });

  it('reports the dead origin down with its connect error while the connector stays healthy', async () => {
    const run = shared();
    const s = await statusUntil(run, (x) => (x.origins.find((o) => o.hostname === 'dead.demo.example')?.state === 'down' ? x : undefined), 'the dead origin down');
    const dead = s.origins.find((o) => o.hostname === 'dead.demo.example');
    expect(dead?.reason).toMatch(/ECONNREFUSED/);
    expect(dead?.key).toMatch(/^rule2:/);
    expect(s.state).toBe('healthy');
    expect(codes(s)).toContain('origins_down');
    expect(s.origins.filter((o) => o.hostname !== 'dead.demo.example').map((o) => o.state)).toEqual(['up', 'up']);
    const text = (await get(run, '/metrics')).body;
    expect(metric(text, 'tunnelwatch_origin_up', { origin: dead?.key ?? '' })).toBe(0);
    for (const o of s.origins.filter((x) => x !== dead)) expect(metric(text, 'tunnelwatch_origin_up', { origin: o.key })).toBe(1);
    expect(metric(text, 'tunnelwatch_connector_state', { state: 'healthy' })).toBe(1);
  });

  it('serves the status page as plain HTML showing the state', async () => {
    const run = shared();
    const page = await get(run, '/');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<html/i);
    expect(page.body).toContain('healthy');
    expect(page.body).toContain('dead.demo.example');
  });

  it('goes degraded with connections_missing when one connection drops, and healthy again on reconnect', async () => {
    const run = shared();
    const t0 = Date.now();
    await connectorFault(run, { fault: 'drop', conn: 2 });
    const change = await stateChange(run, 'degraded', t0);
    expect(change.from).toBe('healthy');
    expect(change.reasons).toContain('connections_missing');
    expect(change.msg).toContain('3 of 4 HA connections registered (missing: 2)');
    await stateChange(run, 'healthy', t0);
    const s = await healthy(run);
    const drop = s.transitions.findLast((t) => t.to === 'degraded');
    expect(drop?.reasons).toContain('connections_missing');
  });

  it('goes down with no_connections when every connection drops and the edge stays unreachable', async () => {
    const run = shared();
    await connectorFault(run, { fault: 'edge_unreachable' });
    await connectorFault(run, { fault: 'drop_all' });
    const s = await statusUntil(run, (x) => (x.state === 'down' ? x : undefined), 'state down');
    expect(codes(s)).toContain('no_connections');
    expect(s.registeredConnections).toBe(0);
    expect(s.connections.every((c) => !c.up)).toBe(true);
    const text = (await get(run, '/metrics')).body;
    expect(metric(text, 'tunnelwatch_connector_state', { state: 'down' })).toBe(1);
    expect(metric(text, 'tunnelwatch_connector_state', { state: 'healthy' })).toBe(0);
    expect(metric(text, 'tunnelwatch_connector_registered_connections')).toBe(0);
  });

  it('stays down under the ha_connections defect and reports the gauge disagreeing after the grace', async () => {
    const run = shared();
    await connectorFault(run, { fault: 'ha_gauge_defect' });
    const s = await statusUntil(run, (x) => (x.state === 'down' && codes(x).includes('ha_gauge_disagrees') ? x : undefined), 'down with ha_gauge_disagrees');
    expect(codes(s)).toContain('no_connections');
    const disagreement = s.reasons.find((r) => r.code === 'ha_gauge_disagrees');
    // Reported only once the mismatch has lasted the grace (two connector polls) since the drop made it.
    expect((disagreement?.since ?? 0) - s.since).toBeGreaterThanOrEqual(2 * POLL_MS);
    expect(disagreement?.message).toContain('cloudflared_tunnel_ha_connections reads');
    // The gauge moves as slots retry; what matters is the moment it reads 1 with nothing registered.
    await metricsUntil(
      run,
      (text) => (metric(text, 'tunnelwatch_cloudflared_ha_connections') === 1 && metric(text, 'tunnelwatch_connector_registered_connections') === 0 ? true : undefined),
      'tunnelwatch_cloudflared_ha_connections 1 with tunnelwatch_connector_registered_connections 0',
    );
    const text = (await get(run, '/metrics')).body;
    expect(metric(text, 'tunnelwatch_connector_state', { state: 'down' })).toBe(1);
    expect(metric(text, 'tunnelwatch_connector_reason', { reason: 'ha_gauge_disagrees' })).toBe(1);
  });

  it('shows the edge as unknown, never down, while the API answers 429, and leaves the connector healthy', async () => {
    const run = shared();
    const t0 = Date.now();
    await apiFault(run, { status: 429, count: 3, retryAfter: 0.5 });
    const s = await statusUntil(run, (x) => (x.edge.status === 'unknown' && codes(x).includes('edge_unknown') ? x : undefined), 'edge unknown');
    expect(s.state).toBe('healthy');
    expect(s.registeredConnections).toBe(4);
    expect(s.edge.configured).toBe(true);
    expect(s.transitions.filter((t) => t.at >= t0)).toEqual([]);
    // Records are compared by their own time: stdout may still carry lines from before the fault.
    const record = await run.until(
      () => run.records.find((r) => typeof r.time === 'number' && r.time >= t0 && r.event === 'edge_change' && r.to === 'unknown'),
      'the edge view change record',
    );
    expect(record.msg).toMatch(/^edge view \w+ -> unknown: /);
    expect(run.records.filter((r) => typeof r.time === 'number' && r.time >= t0 && r.event === 'state_change').map((r) => r.msg)).toEqual([]);
    await healthy(run);
  });

  it('shows the edge as unknown while the API answers 500, and leaves the connector healthy', async () => {
    const run = shared();
    await apiFault(run, { status: 500, count: 3 });
    const s = await statusUntil(run, (x) => (x.edge.status === 'unknown' ? x : undefined), 'edge unknown');
    expect(codes(s)).toContain('edge_unknown');
    expect(s.state).toBe('healthy');
    const text = (await get(run, '/metrics')).body;
    expect(metric(text, 'tunnelwatch_connector_state', { state: 'healthy' })).toBe(1);
    expect(metric(text, 'tunnelwatch_connector_reason', { reason: 'edge_unknown' })).toBe(1);
  });
});

describe('tunnelwatch run: protocol fallback', () => {
  const shared = p.shared((dir) => {
    const scenario = join(dir, 'quic-blocked.json');
    writeFileSync(scenario, JSON.stringify({ steps: [{ at: 0, fault: 'quic_blocked' }] }));
    return { ...FAST, CFEMU_SCENARIO: scenario };
  });

  it('shows protocol_fallback once QUIC is blocked and the connections register over http2', { timeout: 30_000 }, async () => {
    const run = shared();
    const s = await statusUntil(run, (x) => (allUp(x) && codes(x).includes('protocol_fallback') ? x : undefined), 'four http2 connections with protocol_fallback', 20_000);
    expect(s.connections.map((c) => c.protocol)).toEqual(['http2', 'http2', 'http2', 'http2']);
    expect(s.protocol).toBe('http2');
    expect(s.reasons.find((r) => r.code === 'protocol_fallback')?.message).toContain('http2');
    const text = (await get(run, '/metrics')).body;
    expect(metric(text, 'tunnelwatch_connector_reason', { reason: 'protocol_fallback' })).toBe(1);
    expect(metric(text, 'tunnelwatch_connector_state', { state: 'healthy' })).toBe(1);
  });
});
