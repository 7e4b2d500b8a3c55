import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/server/app.js';
import { readiness } from '../src/server/routes/probes.js';
import type { HealthSnapshot } from '../src/state/snapshot.js';
import { downSnapshot, fixtureRegistry, healthySnapshot, manyOrigins } from './helpers/health-snapshots.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function serve(snapshot: () => HealthSnapshot, readyRequiresOrigins = false): FastifyInstance {
  app = buildServer({ snapshot, registry: fixtureRegistry(), server: { listen: '0.0.0.0:9464', readyRequiresOrigins } });
  return app;
}

describe('/healthz', () => {
  it('answers ok while the event loop runs, whatever the connector does', async () => {
    const res = await serve(downSnapshot).inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('ok');
  });
});

describe('/readyz', () => {
  it('is ready with a registered connection, even with an origin down by default', async () => {
    const res = await serve(healthySnapshot).inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ready: true, reasons: [] });
  });

  it('answers 503 with the reasons when no connection is registered', async () => {
    const res = await serve(downSnapshot).inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ready: false, reasons: ['no registered connection (0 of 4 expected; connector state down)'] });
  });

  it('with readyRequiresOrigins, also needs every origin up', async () => {
    const res = await serve(healthySnapshot, true).inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ready: false, reasons: ['origin rule1:http://api:9000 is down: connect ECONNREFUSED 10.0.0.7:9000'] });

    expect(readiness(downSnapshot(), true).reasons).toEqual([
      'no registered connection (0 of 4 expected; connector state down)',
      'origin rule1:http://api:9000 is down: connect ECONNREFUSED 10.0.0.7:9000',
      'origin rule3:http://new:80 has not been probed yet',
    ]);
    const allUp = { ...healthySnapshot(), origins: healthySnapshot().origins.map((o) => ({ ...o, state: 'up' as const })) };
    expect(readiness(allUp, true)).toEqual({ ready: true, reasons: [] });
  });

  it('keeps the reason list short with many origins down', () => {
    const result = readiness({ ...healthySnapshot(), origins: manyOrigins(1000) }, true);
    expect(result.reasons).toHaveLength(6);
    expect(result.reasons[5]).toBe('245 more origins are not up');
  });
});
