// UDP 7844 blocked: the real cloudflared (protocol auto, as with a token and no --protocol) cannot complete a QUIC
// handshake, falls back to HTTP/2 after its retries, and tunnelwatch reports the fallback while the connector is
// otherwise healthy. cloudflared's hidden --max-edge-addr-retries (default 8, with backoff up to 64 s: about four
// minutes) is set to 0 so that the first failed handshake leads to the fallback. Once UDP is open again the
// connector stays on HTTP/2 (cloudflared issue #1534), tunnelwatch says the fallback outlived its cause, and with
// supervisor.restoreQuicAfter it restarts the connector gracefully, which takes QUIC again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causes, codes, diagnosisOf, get, metric, ownRecord, statusUntil } from '../helpers/run-observe.js';
import { trackedProcesses } from '../helpers/run-process.js';
import { startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

describe('the real cloudflared with UDP to the edge blocked', () => {
  let world: RealWorld;
  beforeAll(async () => {
    world = await startRealWorld({ protocol: 'auto' });
    expect(await world.edge.fault({ action: 'block-udp' })).toBe(4);
  });
  afterAll(async () => { await world.stop(); });

  it('falls back to HTTP/2; tunnelwatch shows the fallback, and once QUIC answers again restores it by policy', async () => {
    // The live reachability check looks where cloudflared looks: the --edge addresses, every second.
    const run = p.run(world.env({ TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '1s', TUNNELWATCH_SUPERVISOR_RESTORE_QUIC_AFTER: '8s' }, ['--max-edge-addr-retries=0']), [], world.cloudflared);
    const fellBack = await run.until(() => run.records.find((r) => r.source === 'cloudflared' && r.event === 'fallback'), 'the fallback line', 60_000);
    expect(fellBack.msg).toMatch(/http2/);
    const s = await statusUntil(run, (x) => (x.registeredConnections >= 1 && codes(x).includes('protocol_fallback') ? x : undefined), 'protocol_fallback with a registered connection', 60_000);
    expect(s.reasons.find((r) => r.code === 'protocol_fallback')?.message).toMatch(/fell back to protocol http2/);
    const blocked = diagnosisOf(s, 'udp_7844_blocked');
    expect(blocked).toMatchObject({ domain: 'protocol', confidence: 'high' });
    expect(blocked?.evidence.filter((e) => e.source === 'log').map((e) => e.text).join('\n')).toMatch(/Switching to fallback protocol http2|egress UDP to port 7844|failed to dial to edge with quic/);
    const held = await world.edge.connections();
    expect(held.filter((c) => c.registered).every((c) => c.protocol === 'http2')).toBe(true);

    // UDP works again, but cloudflared stays on HTTP/2 (cloudflared issue #1534): the fallback outlived its cause.
    await world.edge.fault({ action: 'unblock-udp' });
    const after = await statusUntil(run, (x) => (causes(x).includes('quic_fallback_persists') ? x : undefined), 'quic_fallback_persists once UDP answers', 30_000);
    expect(causes(after)).not.toContain('udp_7844_blocked');
    expect(diagnosisOf(after, 'quic_fallback_persists')?.evidence.at(-1)?.text).toMatch(/^UDP 127\.0\.0\.\d+:\d+ answers QUIC now$/);
    expect((await world.edge.connections()).filter((c) => c.registered).every((c) => c.protocol === 'http2')).toBe(true);
    expect(run.connectorPids()).toHaveLength(1);

    // supervisor.restoreQuicAfter: once QUIC has answered for 8 s, a graceful restart, which takes QUIC again.
    const restore = await run.until(() => ownRecord(run, 'cloudflared has stayed on HTTP/2 since its fallback'), 'the restore_quic decision', 30_000);
    expect(restore).toMatchObject({ event: 'restore_quic', after_ms: 8000 });
    expect(String(restore.evidence)).toMatch(/UDP 127\.0\.0\.\d+:\d+ answers QUIC now/);
    await run.until(() => ownRecord(run, 'restarting cloudflared in'), 'the restart', 10_000);
    const restored = await statusUntil(run, (x) => (x.registeredConnections >= 1 && !codes(x).includes('protocol_fallback') ? x : undefined), 'registered again without a fallback', 60_000);
    expect(causes(restored)).not.toContain('quic_fallback_persists');
    expect(restored.connections.filter((c) => c.up).map((c) => c.protocol)).toEqual(expect.arrayContaining(['quic']));
    expect(restored.connections.filter((c) => c.up).every((c) => c.protocol === 'quic')).toBe(true);
    expect(run.connectorPids()).toHaveLength(2);
    expect((await world.edge.connections()).filter((c) => c.registered).some((c) => c.protocol === 'quic')).toBe(true);
    expect(metric((await get(run, '/metrics')).body, 'tunnelwatch_connector_restarts_total', { reason: 'restore_quic' })).toBe(1);
  });
});
