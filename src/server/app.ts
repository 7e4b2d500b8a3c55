// The sidecar's HTTP server: one fastify instance, one plugin per route group, state passed in (no globals).
// The caller listens (see parseListen) and closes it; close() answers new requests 503 while in-flight ones finish.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { FiringAlert } from '../alerts/engine.js';
import type { Settings } from '../config/schema.js';
import type { HealthSnapshot } from '../state/snapshot.js';
import { bearerGuard } from './auth.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { statusRoutes } from './routes/status.js';

export interface ServerOptions {
  /** The health model's current answer; called on every request, so it must be cheap. */
  readonly snapshot: () => HealthSnapshot;
  readonly registry: Registry;
  readonly server: Pick<Settings['server'], 'listen' | 'authToken' | 'readyRequiresOrigins'>;
  /** Request logs go here; without one the server logs nothing. */
  readonly loggerInstance?: FastifyBaseLogger;
  /** Wall clock in Unix milliseconds (tests pass a fixed one). */
  readonly now?: () => number;
  /** The built-in alerts firing now, shown on /status and the page; without it neither mentions alerts. */
  readonly alerts?: () => readonly FiringAlert[];
}

export function buildServer(options: ServerOptions): FastifyInstance {
  const app: FastifyInstance = options.loggerInstance ? Fastify({ loggerInstance: options.loggerInstance }) : Fastify({ logger: false });
  const now = options.now ?? Date.now;
  const guard = bearerGuard(options.server);
  void app.register(metricsRoutes(options.registry));
  void app.register(healthRoutes(options.snapshot, options.server.readyRequiresOrigins));
  void app.register(statusRoutes(options.snapshot, now, guard, options.alerts));
  return app;
}
