// The detail routes, behind the bearer guard when one applies (registered once for all): GET /status, the
// health snapshot as JSON stamped with the time it was served (with the diagnosis, the firing alerts when
// built-in alerting runs, and the newest incident bundle), GET /, the same for humans as plain HTML that refreshes
// itself, no scripts, no external assets, and POST /incidents, which writes an incident bundle now.
import type { FastifyPluginCallback, onRequestHookHandler } from 'fastify';
import type { FiringAlert } from '../../alerts/index.js';
import type { Diagnosis } from '../../diagnosis/index.js';
import type { HealthSnapshot } from '../../state/index.js';
import { type PageExtras, renderStatusPage } from '../page-render.js';

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
  readonly fence?: () => { readonly fenced: boolean; readonly since?: number; readonly why?: string };
}

/** The page's Actions section: the fence and the newest bundle, when there are any. */
function pageActions(fence: StatusExtras['fence'], incidents: IncidentEndpoint | undefined): Pick<PageExtras, 'fence' | 'incident'> {
  const state = fence?.();
  const last = incidents?.last();
  return { ...(state === undefined ? {} : { fence: state }), ...(last === undefined ? {} : { incident: last }) };
}

/** Bundles on demand at most this often, so the automatic ones are not rotated away by a loop of requests. */
const ON_DEMAND_INTERVAL_MS = 10_000;

// The page carries inline CSS only; the policy makes sure nothing else can ever load or run.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function statusRoutes(
  snapshot: () => HealthSnapshot,
  now: () => number,
  guard: onRequestHookHandler | undefined,
  extras: StatusExtras,
): FastifyPluginCallback {
  const { alerts, diagnosis, incidents, fence } = extras;
  return (app, _opts, done) => {
    if (guard) app.addHook('onRequest', guard);
    app.get('/status', (_request, reply) => {
      const incident = incidents?.last();
      void reply
        .header('cache-control', 'no-store')
        .send({ ...snapshot(), ...(diagnosis ? { diagnosis: diagnosis() } : {}), ...(alerts ? { alerts: alerts() } : {}), ...(incident === undefined ? {} : { incident }), ...(fence ? { fence: fence() } : {}), generatedAt: now() });
    });
    if (incidents) {
      let lastAsked = Number.NEGATIVE_INFINITY;
      // Behind the same guard as /status: off loopback it needs server.authToken. Browsers send an Origin on every
      // cross-site POST: a page open on this host must not be able to write bundles and push the real ones out.
      app.post('/incidents', async (request, reply) => {
        if (request.headers.origin !== undefined) {
          return reply.code(403).send({ error: 'forbidden', message: 'POST /incidents is for tunnelwatch incident and curl, not for web pages: send it without an Origin header' });
        }
        if (now() - lastAsked < ON_DEMAND_INTERVAL_MS) {
          return reply.code(429).header('retry-after', String(ON_DEMAND_INTERVAL_MS / 1000)).send({ error: 'too_many_requests', message: `one incident bundle on demand per ${String(ON_DEMAND_INTERVAL_MS / 1000)}s` });
        }
        lastAsked = now();
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
        .send(renderStatusPage(snapshot(), now(), { ...(alerts ? { alerts: alerts() } : {}), ...(diagnosis ? { diagnosis: diagnosis() } : {}), ...pageActions(fence, incidents) }));
    });
    done();
  };
}
