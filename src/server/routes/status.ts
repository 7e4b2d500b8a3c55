// The detail routes, behind the bearer guard when one applies (registered once for all): GET /status, the
// health snapshot as JSON stamped with the time it was served (with the diagnosis, the firing alerts when
// built-in alerting runs, and the newest incident bundle), GET /, the same for humans as plain HTML that refreshes
// itself, no scripts, no external assets, and POST /incidents, which writes an incident bundle now.
import type { FastifyPluginCallback, onRequestHookHandler } from 'fastify';
import type { FiringAlert } from '../../alerts/index.js';
import type { Diagnosis } from '../../diagnosis/index.js';
import type { HealthSnapshot } from '../../state/index.js';
import { renderStatusPage } from '../page-render.js';

/** Incident bundles as the server offers them. */
export interface IncidentEndpoint {
  /** The newest bundle written, for /status. */
  last(): { readonly path: string; readonly at: number; readonly bytes: number; readonly trigger: string } | undefined;
  /** Writes one now; resolves with where. */
  write(): Promise<{ readonly path: string; readonly at: number; readonly bytes: number; readonly trigger: string }>;
}

/** What a running sidecar adds to the snapshot: without them /status and the page do not mention them. */
export interface StatusExtras {
  readonly alerts?: () => readonly FiringAlert[];
  readonly diagnosis?: () => readonly Diagnosis[];
  readonly incidents?: IncidentEndpoint;
}

// The page carries inline CSS only; the policy makes sure nothing else can ever load or run.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function statusRoutes(
  snapshot: () => HealthSnapshot,
  now: () => number,
  guard: onRequestHookHandler | undefined,
  extras: StatusExtras,
): FastifyPluginCallback {
  const { alerts, diagnosis, incidents } = extras;
  return (app, _opts, done) => {
    if (guard) app.addHook('onRequest', guard);
    app.get('/status', (_request, reply) => {
      const incident = incidents?.last();
      void reply
        .header('cache-control', 'no-store')
        .send({ ...snapshot(), ...(diagnosis ? { diagnosis: diagnosis() } : {}), ...(alerts ? { alerts: alerts() } : {}), ...(incident === undefined ? {} : { incident }), generatedAt: now() });
    });
    if (incidents) {
      // Behind the same guard as /status: off loopback it needs server.authToken.
      app.post('/incidents', async (_request, reply) => {
        try {
          return await reply.code(201).send(await incidents.write());
        } catch (error) {
          return reply.code(500).send({ error: 'incident_bundle_failed', message: (error as Error).message });
        }
      });
    }
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
