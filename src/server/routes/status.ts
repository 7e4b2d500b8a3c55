// The detail routes, behind the bearer guard when one applies (registered once for both): GET /status, the
// health snapshot as JSON stamped with the time it was served (with the diagnosis, and the firing alerts when
// built-in alerting runs), and GET /, the same for humans as plain HTML that refreshes itself, no scripts, no external assets.
import type { FastifyPluginCallback, onRequestHookHandler } from 'fastify';
import type { FiringAlert } from '../../alerts/index.js';
import type { Diagnosis } from '../../diagnosis/index.js';
import type { HealthSnapshot } from '../../state/index.js';
import { renderStatusPage } from '../page-render.js';

/** What a running sidecar adds to the snapshot: without them /status and the page do not mention them. */
export interface StatusExtras {
  readonly alerts?: () => readonly FiringAlert[];
  readonly diagnosis?: () => readonly Diagnosis[];
}

// The page carries inline CSS only; the policy makes sure nothing else can ever load or run.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function statusRoutes(
  snapshot: () => HealthSnapshot,
  now: () => number,
  guard: onRequestHookHandler | undefined,
  extras: StatusExtras,
): FastifyPluginCallback {
  const { alerts, diagnosis } = extras;
  return (app, _opts, done) => {
    if (guard) app.addHook('onRequest', guard);
    app.get('/status', (_request, reply) => {
      void reply.header('cache-control', 'no-store').send({ ...snapshot(), ...(diagnosis ? { diagnosis: diagnosis() } : {}), ...(alerts ? { alerts: alerts() } : {}), generatedAt: now() });
    });
    app.get('/', (_request, reply) => {
      void reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', CSP)
        .send(renderStatusPage(snapshot(), now(), { ...(alerts ? { alerts: alerts() } : {}), ...(diagnosis ? { diagnosis: diagnosis() } : {}) }));
    });
    done();
  };
}
