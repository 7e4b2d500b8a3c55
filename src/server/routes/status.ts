// The detail routes, behind the bearer guard when one applies (registered once for all): GET /status, the
// health snapshot as JSON stamped with the time it was served (with who this replica is, the service state beside
// the connector's, the diagnosis, the firing and pending alerts when built-in alerting runs, and the newest
// incident bundle; every Unix ms time has an ISO 8601 twin, see iso-times.ts), GET /, the same for humans as plain
// HTML that refreshes itself, with the trends, no scripts, no external assets, and POST /incidents, which writes an
// incident bundle now.
import type { FastifyPluginCallback, onRequestHookHandler } from 'fastify';
import type { FiringAlert, PendingAlert } from '../../alerts/index.js';
import type { Diagnosis } from '../../diagnosis/index.js';
import { type HealthSnapshot, type HistoryView, serviceView } from '../../state/index.js';
import { type PageExtras, type PageIdentity, renderStatusPage } from '../page/index.js';
import { withIsoTimes } from './iso-times.js';

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
  readonly pending?: () => readonly PendingAlert[];
  readonly diagnosis?: () => readonly Diagnosis[];
  readonly incidents?: IncidentEndpoint;
  readonly fence?: () => { readonly fenced: boolean; readonly since?: number; readonly why?: string };
  /** The page's trends; not on /status, which siblings read every few seconds. */
  readonly history?: () => HistoryView;
  readonly identity?: () => PageIdentity;
  readonly runbookBaseUrl?: string;
}

/** The optional parts the page shows, read once per request. */
function pageExtras(x: StatusExtras): PageExtras {
  const fence = x.fence?.();
  const incident = x.incidents?.last();
  return {
    ...(x.alerts ? { alerts: x.alerts() } : {}),
    ...(x.pending ? { pending: x.pending() } : {}),
    ...(x.diagnosis ? { diagnosis: x.diagnosis() } : {}),
    ...(x.history ? { history: x.history() } : {}),
    ...(x.identity ? { identity: x.identity() } : {}),
    ...(x.runbookBaseUrl === undefined ? {} : { runbookBaseUrl: x.runbookBaseUrl }),
    ...(fence === undefined ? {} : { fence }),
    ...(incident === undefined ? {} : { incident }),
  };
}

/** Bundles on demand at most this often, so the automatic ones are not rotated away by a loop of requests. */
const ON_DEMAND_INTERVAL_MS = 10_000;

// The page carries inline CSS and SVG only; the policy makes sure nothing else can ever load or run.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function statusRoutes(
  snapshot: () => HealthSnapshot,
  now: () => number,
  guard: onRequestHookHandler | undefined,
  extras: StatusExtras,
): FastifyPluginCallback {
  const { alerts, pending, diagnosis, incidents, fence, identity } = extras;
  return (app, _opts, done) => {
    if (guard) app.addHook('onRequest', guard);
    app.get('/status', (_request, reply) => {
      const s = snapshot();
      const incident = incidents?.last();
      void reply.header('cache-control', 'no-store').send(
        withIsoTimes({
          ...s,
          service: serviceView(s),
          ...(identity ? { identity: identity() } : {}),
          ...(diagnosis ? { diagnosis: diagnosis() } : {}),
          ...(alerts ? { alerts: alerts() } : {}),
          ...(pending ? { pendingAlerts: pending() } : {}),
          ...(incident === undefined ? {} : { incident }),
          ...(fence ? { fence: fence() } : {}),
          generatedAt: now(),
        }),
      );
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
        .send(renderStatusPage(snapshot(), now(), pageExtras(extras)));
    });
    done();
  };
}
