// GET /metrics: the registry in Prometheus text format; every value is computed during this call.
import type { FastifyPluginCallback } from 'fastify';
import type { Registry } from 'prom-client';

export function metricsRoutes(registry: Registry): FastifyPluginCallback {
  return (app, _opts, done) => {
    app.get('/metrics', async (_request, reply) => {
      const body = await registry.metrics();
      return reply.type(registry.contentType).header('cache-control', 'no-store').send(body);
    });
    done();
  };
}
