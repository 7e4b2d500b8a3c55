import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Secret } from '../src/base/secret.js';
import { buildServer } from '../src/server/app.js';
import type { IncidentEndpoint } from '../src/server/routes/status.js';
import { NOW, fixtureRegistry, healthySnapshot } from './helpers/health-snapshots.js';

const TOKEN = 'tw-incident-token-8d2a';
const WRITTEN = { path: '/var/lib/tunnelwatch/spool/incidents/incident-20261127T120000000Z-on_demand.json', at: NOW, bytes: 4242, trigger: 'on_demand' };
const EARLIER = { path: '/var/lib/tunnelwatch/spool/incidents/incident-20261127T115000000Z-down.json', at: NOW - 600_000, bytes: 999, trigger: 'down' };

/** A bundle as /status shows it: with the ISO 8601 twin of its time. */
const onStatus = (bundle: typeof WRITTEN): typeof WRITTEN & { atIso: string } => ({ ...bundle, atIso: new Date(bundle.at).toISOString() });

let app: FastifyInstance | undefined;
// The server's clock: POST /incidents answers one request per 10 s by it.
let clock = NOW;
afterEach(async () => {
  await app?.close();
  app = undefined;
  clock = NOW;
});

/** A fake IncidentBundles: remembers the last bundle and counts writes; `fail` makes the next writes throw. */
function endpoint(last?: typeof WRITTEN): IncidentEndpoint & { writes: number; fail?: Error } {
  const e: IncidentEndpoint & { writes: number; fail?: Error } = {
    writes: 0,
    last: () => last,
    write: () => {
      e.writes++;
      if (e.fail) return Promise.reject(e.fail);
      last = WRITTEN;
      return Promise.resolve(WRITTEN);
    },
  };
  return e;
}

function serve(incidents: IncidentEndpoint | undefined, listen = '127.0.0.1:9464', authToken?: Secret): FastifyInstance {
  app = buildServer({
    snapshot: healthySnapshot,
    registry: fixtureRegistry(),
    server: { listen, readyRequiresOrigins: false, ...(authToken ? { authToken } : {}) },
    now: () => clock,
    ...(incidents ? { incidents } : {}),
  });
  return app;
}

describe('/status and incident bundles', () => {
  it('carries the newest bundle', async () => {
    const res = await serve(endpoint(EARLIER)).inject('/status');
    expect(res.statusCode).toBe(200);
    expect(res.json<{ incident: unknown }>().incident).toEqual(onStatus(EARLIER));
  });

  it('has no incident before the first bundle, nor without bundles at all', async () => {
    expect(await serve(endpoint()).inject('/status').then((r) => r.json<object>())).not.toHaveProperty('incident');
    await app?.close();
    expect(await serve(undefined).inject('/status').then((r) => r.json<object>())).not.toHaveProperty('incident');
  });
});

describe('POST /incidents', () => {
  it('writes a bundle and answers 201 with it; /status then shows it', async () => {
    const incidents = endpoint(EARLIER);
    const server = serve(incidents);
    const res = await server.inject({ method: 'POST', url: '/incidents' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual(WRITTEN);
    expect(incidents.writes).toBe(1);
    expect((await server.inject('/status')).json<{ incident: unknown }>().incident).toEqual(onStatus(WRITTEN));
  });

  it('answers 500 with the reason when the bundle cannot be written', async () => {
    const incidents = endpoint();
    incidents.fail = new Error("EACCES: permission denied, mkdir '/var/lib/tunnelwatch/incidents'");
    const res = await serve(incidents).inject({ method: 'POST', url: '/incidents' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'incident_bundle_failed', message: "EACCES: permission denied, mkdir '/var/lib/tunnelwatch/incidents'" });
  });

  it('does not exist without bundles, and GET does not write one', async () => {
    expect((await serve(undefined).inject({ method: 'POST', url: '/incidents' })).statusCode).toBe(404);
    await app?.close();
    const incidents = endpoint();
    expect((await serve(incidents).inject('/incidents')).statusCode).toBe(404);
    expect(incidents.writes).toBe(0);
  });

  it('beyond loopback, needs the bearer token, as /status does', async () => {
    const incidents = endpoint(EARLIER);
    const server = serve(incidents, '0.0.0.0:9464', new Secret(TOKEN));
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Basic ${TOKEN}` }]) {
      expect((await server.inject({ method: 'POST', url: '/incidents', headers })).statusCode, JSON.stringify(headers)).toBe(401);
      expect((await server.inject({ url: '/status', headers })).statusCode, JSON.stringify(headers)).toBe(401);
    }
    // A refused request writes nothing.
    expect(incidents.writes).toBe(0);

    const authorization = `Bearer ${TOKEN}`;
    const res = await server.inject({ method: 'POST', url: '/incidents', headers: { authorization } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual(WRITTEN);
    expect(incidents.writes).toBe(1);
    expect((await server.inject({ url: '/status', headers: { authorization } })).json<{ incident: unknown }>().incident).toEqual(onStatus(WRITTEN));
  });

  it('beyond loopback without a configured token, refuses it', async () => {
    const incidents = endpoint();
    const res = await serve(incidents, '[::]:9464').inject({ method: 'POST', url: '/incidents' });
    expect(res.statusCode).toBe(401);
    expect(res.json<{ message: string }>().message).toContain('server.authToken');
    expect(incidents.writes).toBe(0);
  });

  it('refuses a request with an Origin header (a browser) with 403, and writes nothing', async () => {
    const incidents = endpoint(EARLIER);
    const server = serve(incidents);
    for (const origin of ['http://127.0.0.1:9464', 'https://evil.example', 'null']) {
      const res = await server.inject({ method: 'POST', url: '/incidents', headers: { origin } });
      expect(res.statusCode, origin).toBe(403);
      expect(res.json<{ error: string; message: string }>()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('Origin') as unknown });
    }
    expect(incidents.writes).toBe(0);
    expect((await server.inject('/status')).json<{ incident: unknown }>().incident).toEqual(onStatus(EARLIER));
    // A refused request does not use up the one bundle per 10 s: curl, without an Origin, still gets one.
    expect((await server.inject({ method: 'POST', url: '/incidents' })).statusCode).toBe(201);
    expect(incidents.writes).toBe(1);
  });

  it('beyond loopback, asks for the token before it looks at the Origin', async () => {
    const incidents = endpoint();
    const server = serve(incidents, '0.0.0.0:9464', new Secret(TOKEN));
    expect((await server.inject({ method: 'POST', url: '/incidents', headers: { origin: 'https://evil.example' } })).statusCode).toBe(401);
    expect((await server.inject({ method: 'POST', url: '/incidents', headers: { origin: 'https://evil.example', authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(403);
    expect(incidents.writes).toBe(0);
  });

  it('writes one bundle on demand per 10 s: 429 with retry-after within, 201 again after', async () => {
    const incidents = endpoint();
    const server = serve(incidents);
    const post = () => server.inject({ method: 'POST', url: '/incidents' });
    expect((await post()).statusCode).toBe(201);

    for (const after of [0, 5000, 9999]) {
      clock = NOW + after;
      const res = await post();
      expect(res.statusCode, `after ${String(after)} ms`).toBe(429);
      expect(res.headers['retry-after']).toBe('10');
      expect(res.json()).toEqual({ error: 'too_many_requests', message: 'one incident bundle on demand per 10s' });
    }
    expect(incidents.writes).toBe(1);

    // Counted from the bundle written, not from the refused requests.
    clock = NOW + 10_000;
    expect((await post()).statusCode).toBe(201);
    expect(incidents.writes).toBe(2);
    clock = NOW + 15_000;
    expect((await post()).statusCode).toBe(429);
    expect(incidents.writes).toBe(2);
  });
});
