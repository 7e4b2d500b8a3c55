// GET /status: the health snapshot as JSON, stamped with the time it was served, with the firing alerts when
// built-in alerting runs.
import type { FastifyPluginCallback, onRequestHookHandler } from 'fastify';
import type { FiringAlert } from '../../alerts/engine.js';
import type { HealthSnapshot } from '../../state/snapshot.js';

export function statusRoutes(
  snapshot: () => HealthSnapshot,
  now: () => number,
  guard: onRequestHookHandler | undefined,
  alerts?: () => readonly FiringAlert[],
): FastifyPluginCallback {
  return (app, _opts, done) => {
    if (guard) app.addHook('onRequest', guard);
    app.get('/status', (_request, reply) => {
      void reply.header('cache-control', 'no-store').send({ ...snapshot(), ...(alerts ? { alerts: alerts() } : {}), generatedAt: now() });
    });
    done();
  };
}
