// The detail routes, behind the bearer guard when one applies (registered once for both): GET /status, the
// health snapshot as JSON stamped with the time it was served (with the firing alerts when built-in alerting
// runs), and GET /, the same for humans as plain HTML that refreshes itself, no scripts, no external assets.
import type { FastifyPluginCallback, onRequestHookHandler } from 'fastify';
import type { FiringAlert } from '../../alerts/index.js';
import type { HealthSnapshot } from '../../state/index.js';
import { renderStatusPage } from '../page-render.js';

// The page carries inline CSS only; the policy makes sure nothing else can ever load or run.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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
    app.get('/', (_request, reply) => {
      void reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', CSP)
        .send(renderStatusPage(snapshot(), now(), alerts?.()));
    });
    done();
  };
}
