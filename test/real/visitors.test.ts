// Visitors through the loopback edge's public listener, into the real cloudflared and on to the origins, over QUIC
// and HTTP/2: a live origin answers, a dead one is a 502 from Cloudflare, cloudflared's origin-error line reaches
// tunnelwatch's records with the request's Ray id, and the origin probe finds the same origin down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnosisOf, statusUntil } from '../helpers/run-observe.js';
import { trackedProcesses } from '../helpers/run-process.js';
import { HOSTS, startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

describe.each(['quic', 'http2'] as const)('visitors through the real cloudflared over %s', (protocol) => {
  let world: RealWorld;
  beforeAll(async () => { world = await startRealWorld({ protocol }); });
  afterAll(async () => { await world.stop(); });

  it("a live origin answers; a dead one is a 502 with a Ray id, cloudflared's origin-error record and a probe down", async () => {
    const run = p.run(world.env(), [], world.cloudflared);
    await statusUntil(run, (s) => (s.state === 'healthy' && s.registeredConnections === 4 ? s : undefined), 'healthy 4 of 4', 60_000);

    const live = await world.edge.visit(HOSTS.app, '/hello');
    expect(live.status).toBe(200);
    expect(live.headers.get('server')).toBe('cloudflare');
    expect((await world.edge.visit('nobody.real.example')).status).toBe(404);

    const dead = await world.edge.visit(HOSTS.dead, '/orders');
    expect(dead.status).toBe(502);
    const ray = dead.headers.get('cf-ray');
    expect(ray).toMatch(/^[0-9a-f]{16}-[A-Z]{3}$/);
    const record = await run.until(() => run.records.find((r) => r.source === 'cloudflared' && r.event === 'origin_error'), 'the origin-error record');
    expect(record.level).toBe(50);
    expect(record).toMatchObject({ fields: { originService: `http://${world.deadAddress}`, ingressRule: 1 } });
    // The origin saw the Ray id, but 2026.8.2 never logs it: proxy/logger.go drops zerolog's Context.Str result.
    expect(record.fields?.cfRay).toBeUndefined();
    expect(String(record.error)).toContain('connect: connection refused');

    const s = await statusUntil(run, (x) => (x.origins.find((o) => o.hostname === HOSTS.dead)?.state === 'down' ? x : undefined), 'the dead origin probed down', 30_000);
    expect(s.origins.find((o) => o.hostname === HOSTS.app)?.state).toBe('up');
    expect(s.origins.find((o) => o.hostname === HOSTS.dead)?.reason).toContain('ECONNREFUSED');
    // The why, from the probe and from cloudflared's own origin-error line.
    const refused = diagnosisOf(s, 'origin_refused');
    expect(refused).toMatchObject({ domain: 'origin', confidence: 'high' });
    expect(refused?.evidence.map((e) => e.source).sort()).toEqual(['log', 'probe']);
    expect(refused?.evidence.find((e) => e.source === 'probe')?.text).toMatch(new RegExp(`^${HOSTS.dead.replace(/\./g, '\\.')} -> http://${world.deadAddress}: connect ECONNREFUSED`));
  });
});
