// Connections lost and refused, on the real cloudflared through the loopback edge, over QUIC and HTTP/2: what the
// edge does (close a connection, hold registrations, refuse them) and what tunnelwatch must say about it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { codes, diagnosisOf, get, metric, statusUntil } from '../helpers/run-observe.js';
import { trackedProcesses, type TunnelwatchRun } from '../helpers/run-process.js';
import { startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

/** cloudflared's last lines as tunnelwatch recorded them, for a failure message. */
const tail = (run: TunnelwatchRun): string =>
  run.records.filter((r) => r.source === 'cloudflared').slice(-40).map((r) => String(r.raw)).join('\n');

describe.each(['quic', 'http2'] as const)('connections of the real cloudflared over %s', (protocol) => {
  let world: RealWorld;
  let run: TunnelwatchRun;
  beforeAll(async () => { world = await startRealWorld({ protocol }); });
  afterAll(async () => { await world.stop(); });
  afterEach(async () => {
    await world.edge.fault({ action: 'accept' });
    await world.edge.fault({ action: 'slow', delayMs: 0 });
  });

  const healthy = (r: TunnelwatchRun): Promise<unknown> =>
    statusUntil(r, (s) => (s.state === 'healthy' && s.registeredConnections === 4 ? s : undefined), 'healthy 4 of 4', 60_000);

  it('one connection dropped by the edge: degraded with the missing slot named, then healthy again', async () => {
    run = p.run(world.env(), [], world.cloudflared);
    await healthy(run);
    const [victim] = (await world.edge.registered(4)).filter((c) => c.connIndex === 2);
    expect(await world.edge.fault({ action: 'close', conn: victim?.id ?? 'none' })).toBe(1);
    const degraded = await statusUntil(run, (s) => (s.state === 'degraded' ? s : undefined), 'degraded after the drop', 20_000);
    expect(degraded.reasons.find((r) => r.code === 'connections_missing')?.message).toBe('3 of 4 HA connections registered (missing: 2)');
    await healthy(run);
    const lost = run.records.find((r) => r.source === 'cloudflared' && r.conn_index === 2 && (r.event === 'disconnected' || r.event === 'connection_lost' || r.event === 'serve_error'));
    expect(lost, 'a record of the lost connection 2').toBeDefined();
  });

  it('every connection dropped while the edge holds registrations: down, then healthy once it answers', async () => {
    run = p.run(world.env(), [], world.cloudflared);
    await healthy(run);
    await world.edge.fault({ action: 'slow', delayMs: 120_000 });
    expect(await world.edge.fault({ action: 'close' })).toBe(4);
    const down = await statusUntil(run, (s) => (s.state === 'down' ? s : undefined), 'down', 30_000);
    expect(codes(down)).toContain('no_connections');
    await world.edge.fault({ action: 'slow', delayMs: 0 });
    await healthy(run);
  });

  it('the edge goes away and comes back on the same addresses and CA: down, then healthy with new connections', async () => {
    run = p.run(world.env(), [], world.cloudflared);
    await healthy(run);
    const before = new Set((await world.edge.registered(4)).map((c) => c.id));
    await world.restartEdge(async () => {
      const down = await statusUntil(run, (s) => (s.state === 'down' ? s : undefined), 'down while the edge is away', 30_000);
      expect(codes(down)).toContain('no_connections');
    });
    // cloudflared read --cacert once at start: the restarted edge must be trusted with the CA it kept.
    await healthy(run).catch((e: unknown) => {
      throw new Error(`${String(e)}\ncloudflared's last lines:\n${tail(run)}\nthe edge's last lines:\n${world.edge.log.slice(-4000)}`, { cause: e });
    });
    const after = await world.edge.registered(4);
    expect(after.some((c) => before.has(c.id))).toBe(false);
  });

  it('registration refused (Unauthorized): down, and the cause is named although QUIC logs no words', async () => {
    run = p.run(world.env(), [], world.cloudflared);
    await healthy(run);
    await world.edge.fault({ action: 'refuse', cause: 'Unauthorized: Invalid tunnel secret' });
    await world.edge.fault({ action: 'close' });
    const refused = await statusUntil(run, (s) => (s.state === 'down' && codes(s).includes('registration_refused') ? s : undefined), 'registration_refused', 40_000);
    const message = refused.reasons.find((r) => r.code === 'registration_refused')?.message;
    if (protocol === 'http2') expect(message).toBe('the edge refused registration: Unauthorized: Invalid tunnel secret');
    else expect(message).toMatch(/^the edge refused registration: \d+ registrations? answered with an error \(cloudflared_tunnel_tunnel_register_fail\{error="server_error"\} rose from \d+ to \d+\); cloudflared does not log the reason over QUIC/);
    // The why: named from cloudflared's line over HTTP/2, inferred from the counter over QUIC.
    const rejected = await statusUntil(run, (s) => diagnosisOf(s, 'credentials_rejected'), 'the credentials_rejected diagnosis', 10_000);
    expect(rejected).toMatchObject({ domain: 'credentials', confidence: protocol === 'http2' ? 'high' : 'medium' });
    if (protocol === 'http2') expect(rejected.evidence.map((e) => e.text)).toContain('Register tunnel error from server side: Unauthorized: Invalid tunnel secret');
    expect(rejected.remediation).toMatch(/token/);
    expect(metric((await get(run, '/metrics')).body, 'tunnelwatch_diagnosis', { domain: 'credentials', cause: 'credentials_rejected' })).toBe(1);
    const record = await run.until(() => run.records.find((r) => r.source === 'tunnelwatch' && r.event === 'cause_found' && r.cause === 'credentials_rejected'), 'the cause_found record');
    expect(String(record.msg)).toMatch(/^cause found: The edge rejects the tunnel credentials .*token/);
    await world.edge.fault({ action: 'accept' });
    // Recovery as cloudflared's /ready reports it: after a burst of retries its --output json lines tear. tunnelwatch
    // mends them (src/cloudflared/log/mend.ts), but under a fine interleaving a piece can land in the wrong event, so
    // the test does not wait on the event count.
    const after = await statusUntil(run, (s) => (s.views.ready === 4 && !codes(s).includes('registration_refused') ? s : undefined), '/ready 4 and the refusal gone', 90_000);
    expect(after.registeredConnections).toBeGreaterThan(0);
    await statusUntil(run, (s) => (diagnosisOf(s, 'credentials_rejected') === undefined ? s : undefined), 'the diagnosis cleared', 30_000);
  });
});
