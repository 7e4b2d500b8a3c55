// GET /cloudflared/metrics: cloudflared's own families under their own names, for stock dashboards and Cloudflare's
// documented queries. A connector that does not answer is a 503 with the reason, so the scrape's `up` is 0.
import type { FastifyPluginCallback } from 'fastify';

export type ConnectorExposition = () => Promise<{ readonly ok: true; readonly text: string } | { readonly ok: false; readonly why: string }>;

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function connectorMetricsRoutes(exposition: ConnectorExposition): FastifyPluginCallback {
  return (app, _opts, done) => {
    app.get('/cloudflared/metrics', async (_request, reply) => {
      const answer = await exposition();
      reply.header('cache-control', 'no-store');
      if (!answer.ok) return reply.code(503).type('text/plain; charset=utf-8').send(`cloudflared's metrics are not available: ${answer.why}\n`);
      return reply.type(CONTENT_TYPE).send(answer.text);
    });
    done();
  };
}
