// GET /status: the health snapshot as JSON, stamped with the time it was served.
import type { FastifyPluginCallback, onRequestHookHandler } from 'fastify';
import type { HealthSnapshot } from '../../state/snapshot.js';

export function statusRoutes(snapshot: () => HealthSnapshot, now: () => number, guard: onRequestHookHandler | undefined): FastifyPluginCallback {
  return (app, _opts, done) => {
    if (guard) app.addHook('onRequest', guard);
    app.get('/status', (_request, reply) => {
      void reply.header('cache-control', 'no-store').send({ ...snapshot(), generatedAt: now() });
    });
    done();
  };
}
