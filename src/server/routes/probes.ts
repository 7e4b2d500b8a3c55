// Probes for Kubernetes: /healthz answers while the sidecar's event loop runs; /readyz while the connector
// holds at least one registered connection (and, if configured, every origin is up).
import type { FastifyPluginCallback } from 'fastify';
import type { HealthSnapshot } from '../../state/index.js';

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready; empty when ready. Bounded so a thousand down origins stay a short answer. */
  readonly reasons: readonly string[];
}

const MAX_REASONS = 5;

/** Decides readiness from the snapshot (pure, so the rule is testable without a server). */
export function readiness(snapshot: HealthSnapshot, requireOrigins: boolean): Readiness {
  const reasons: string[] = [];
  if (snapshot.registeredConnections < 1) {
    reasons.push(`no registered connection (0 of ${snapshot.expectedConnections} expected; connector state ${snapshot.state})`);
  }
  if (requireOrigins) {
    const notUp = snapshot.origins.filter((o) => o.state !== 'up');
    for (const o of notUp.slice(0, MAX_REASONS)) {
      reasons.push(o.state === 'down' ? `origin ${o.key} is down${o.reason ? `: ${o.reason}` : ''}` : `origin ${o.key} has not been probed yet`);
    }
    if (notUp.length > MAX_REASONS) reasons.push(`${notUp.length - MAX_REASONS} more origins are not up`);
  }
  return { ready: reasons.length === 0, reasons };
}

export function healthRoutes(snapshot: () => HealthSnapshot, requireOrigins: boolean): FastifyPluginCallback {
  return (app, _opts, done) => {
    app.get('/healthz', (_request, reply) => {
      void reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('ok');
    });
    app.get('/readyz', (_request, reply) => {
      const result = readiness(snapshot(), requireOrigins);
      void reply.code(result.ready ? 200 : 503).header('cache-control', 'no-store').send(result);
    });
    done();
  };
}
