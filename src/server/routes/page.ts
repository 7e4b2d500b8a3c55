// GET /: the status page for humans; plain HTML that refreshes itself, no scripts, no external assets.
import type { FastifyPluginCallback, onRequestHookHandler } from 'fastify';
import type { FiringAlert } from '../../alerts/engine.js';
import type { HealthSnapshot } from '../../state/snapshot.js';
import { renderStatusPage } from '../page-render.js';

// The page carries inline CSS only; the policy makes sure nothing else can ever load or run.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function pageRoutes(
  snapshot: () => HealthSnapshot,
  now: () => number,
  guard: onRequestHookHandler | undefined,
  alerts?: () => readonly FiringAlert[],
): FastifyPluginCallback {
  return (app, _opts, done) => {
    if (guard) app.addHook('onRequest', guard);
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
