// Requests through the tunnel (settings.endToEnd) as a visitor makes them, with the loopback edge's public listener
// as Cloudflare's entrance, into the real cloudflared over HTTP/2. An edge that stops answering on its connections
// is never noticed by cloudflared over HTTP/2 (its /ready stays 200): the check through the tunnel names it
// (tunnel_not_serving) within one interval and a timeout, and clears once the edge answers again. A dead origin is
// told apart (tunnel_origin_error, with the origin probe's finding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causes, diagnosisOf, get, metric, statusUntil } from '../helpers/run-observe.js';
import { trackedProcesses } from '../helpers/run-process.js';
import { HOSTS, startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();
const INTERVAL_MS = 4000;
const TIMEOUT_MS = 3000;

describe('checks through the tunnel, into the real cloudflared over HTTP/2', () => {
  let world: RealWorld;
  beforeAll(async () => { world = await startRealWorld({ protocol: 'http2' }); });
  afterAll(async () => { await world.stop(); });

  it('names a muted edge that cloudflared never notices, and tells a dead origin apart', async () => {
    const app = `http://${HOSTS.app}/hello`;
    const dead = `http://${HOSTS.dead}/orders`;
    const run = p.run(world.env({
      TUNNELWATCH_END_TO_END_URLS: `${app},${dead}`,
      TUNNELWATCH_END_TO_END_ENTRANCE: world.edge.info.public,
      TUNNELWATCH_END_TO_END_INTERVAL: `${String(INTERVAL_MS)}ms`,
      TUNNELWATCH_END_TO_END_TIMEOUT: `${String(TIMEOUT_MS)}ms`,
    }), [], world.cloudflared);
    await statusUntil(run, (s) => (s.state === 'healthy' && s.registeredConnections === 4 ? s : undefined), 'healthy 4 of 4', 60_000);

    // Served through the tunnel; the dead origin is a 502 from Cloudflare, explained by this replica's probe.
    const served = await statusUntil(run, (s) => (diagnosisOf(s, 'tunnel_origin_error') !== undefined ? s : undefined), 'tunnel_origin_error for the dead origin', 30_000);
    const originError = diagnosisOf(served, 'tunnel_origin_error');
    expect(originError?.evidence[0]?.text).toMatch(new RegExp(`^GET ${dead.replace(/[./]/g, '\\$&')} through the tunnel: 502 \\(error code: 502\\) after \\d+\\.\\d s, ray [0-9a-f]{16}-[A-Z]{3}$`));
    expect(originError?.evidence[1]?.text).toMatch(new RegExp(`this replica's probe finds ${HOSTS.dead.replace(/\./g, '\\.')} down: connect ECONNREFUSED`));
    expect(causes(served)).not.toContain('tunnel_not_serving');
    const text = (await get(run, '/metrics')).body;
    expect(metric(text, 'tunnelwatch_end_to_end_success', { url: app })).toBe(1);
    expect(metric(text, 'tunnelwatch_end_to_end_status_code', { url: app })).toBe(200);
    expect(metric(text, 'tunnelwatch_end_to_end_verdict', { url: dead, verdict: 'origin_error' })).toBe(1);

    // The edge stops answering on every connection: cloudflared keeps them and /ready stays 200.
    expect(await world.edge.fault({ action: 'mute' })).toBe(4);
    const mutedAt = Date.now();
    const silent = await statusUntil(run, (s) => (diagnosisOf(s, 'tunnel_not_serving') !== undefined ? s : undefined), 'tunnel_not_serving', INTERVAL_MS + TIMEOUT_MS + 10_000);
    const detectedMs = Date.now() - mutedAt;
    console.log(`silent HTTP/2 hang: named tunnel_not_serving ${String(detectedMs)} ms after the edge went silent (endToEnd.interval ${String(INTERVAL_MS)} ms, timeout ${String(TIMEOUT_MS)} ms); cloudflared: never`);
    expect(silent.state).toBe('healthy');
    expect(silent.registeredConnections).toBe(4);
    const notServing = diagnosisOf(silent, 'tunnel_not_serving');
    expect(notServing).toMatchObject({ domain: 'end_to_end', confidence: 'high' });
    expect(notServing?.evidence.map((e) => e.text).join('\n')).toMatch(/through the tunnel: timeout after 3s in first_byte[\s\S]*cloudflared reports 4 registered connection\(s\)/);
    const readyAddress = /Starting metrics server on (\S+)\/metrics/.exec(String(run.records.find((r) => typeof r.msg === 'string' && r.msg.startsWith('Starting metrics server'))?.msg))?.[1];
    expect((await fetch(`http://${String(readyAddress)}/ready`)).status).toBe(200);
    expect(metric((await get(run, '/metrics')).body, 'tunnelwatch_end_to_end_verdict', { url: app, verdict: 'not_serving' })).toBe(1);

    // The edge answers again on the same connections (cloudflared never dropped them): the next checks are served
    // and the cause clears, with no restart. (This test used to see the connections stay useless after the unmute;
    // that was the loopback edge forwarding the probes' `Connection: close` into the tunnel connection, which x/net
    // then refused to reuse.)
    await world.edge.fault({ action: 'unmute' });
    await statusUntil(run, (s) => (s.registeredConnections === 4 && !causes(s).includes('tunnel_not_serving') ? s : undefined), 'served again after the unmute', 2 * INTERVAL_MS + TIMEOUT_MS + 10_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\nthe edge's last lines:\n${world.edge.log.slice(-6000)}`, { cause: e });
    });
    expect(run.connectorPids()).toHaveLength(1);
    expect(metric((await get(run, '/metrics')).body, 'tunnelwatch_end_to_end_success', { url: app })).toBe(1);
  });
});
