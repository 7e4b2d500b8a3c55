// The sidecar's HTTP server: one fastify instance, one plugin per route group, state passed in (no globals).
// The caller listens (see parseListen) and closes it; close() answers new requests 503 while in-flight ones finish.
import { createServer, type RequestListener } from 'node:http';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { packageRoot } from '../base/index.js';
import type { FiringAlert, PendingAlert } from '../alerts/index.js';
import type { Diagnosis } from '../diagnosis/index.js';
import type { Settings } from '../config/index.js';
import type { HealthSnapshot, HistoryView } from '../state/index.js';
import { bearerGuard } from './auth.js';
import { healthRoutes } from './routes/probes.js';
import { metricsRoutes } from './routes/metrics.js';
import { runbookRoutes } from './routes/runbooks.js';
import { connectorMetricsRoutes, type ConnectorExposition } from './routes/connector-metrics.js';
import type { PageIdentity } from './page/index.js';
import { statusRoutes, type IncidentEndpoint, type StatusExtras } from './routes/status.js';

/**
 * What one client may hold of a server that listens on 0.0.0.0 by default: headers within 10 s, a whole request
 * within 30 s, idle keep-alive sockets closed after 5 s, at most 256 connections (further ones are closed at once).
 * Scrapers and probes need a fraction of this.
 */
export interface ServerLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxRequestsPerSocket: number;
  readonly maxConnections: number;
}

export const SERVER_LIMITS: ServerLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxRequestsPerSocket: 1000, maxConnections: 256 };

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
  /** Why the connector is in its state, shown on /status and the page; without it neither has a why. */
  readonly diagnosis?: () => readonly Diagnosis[];
  /** Incident bundles: the newest one on /status, and POST /incidents to write one now. */
  readonly incidents?: IncidentEndpoint;
  /** Self-fencing, on /status (siblings read it there: a fenced replica is no sibling to count on). */
  readonly fence?: () => { readonly fenced: boolean; readonly since?: number; readonly why?: string };
  /** The built-in alerts pending now, with when they fire: on /status and the page. */
  readonly pendingAlerts?: () => readonly PendingAlert[];
  /** The sampled history the page draws as trends. */
  readonly history?: () => HistoryView;
  /** Replica, zone and tunnel, at the top of the page and on /status. */
  readonly identity?: () => PageIdentity;
  /** Where the page's generic next steps link their runbooks (alerts.runbookBaseUrl). */
  readonly runbookBaseUrl?: string;
  /** The directory whose runbooks GET /runbooks/<Name>.md serves (docs/runbooks of the package by default). */
  readonly runbooksDir?: string;
  /** cloudflared's own families for GET /cloudflared/metrics; without it the path is not served. */
  readonly connectorExposition?: ConnectorExposition;
  /** SERVER_LIMITS unless a test asks for tighter ones. */
  readonly limits?: ServerLimits;
}

/**
 * The routes take no bodies and declare no schemas, so fastify's default compilers (Ajv with its formats and
 * fast-json-stringify, about 250 modules) are never needed; these stand-ins keep them from loading at all.
 */
const noSchemas = (): never => {
  throw new Error('tunnelwatch\'s HTTP routes declare no JSON schemas; check a route\'s input in its handler instead');
};

export function buildServer(options: ServerOptions): FastifyInstance {
  const limits = options.limits ?? SERVER_LIMITS;
  // Node checks the header and request deadlines every connectionsCheckingInterval (30 s by default); fastify's
  // own requestTimeout of 0 would turn that check off and let slow-header clients stay for ever.
  const serverFactory = (handler: RequestListener): ReturnType<typeof createServer> => {
    const server = createServer(
      { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs) },
      handler,
    );
    server.maxConnections = limits.maxConnections;
    return server;
  };
  const common = {
    serverFactory,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } },
  };
  const app: FastifyInstance = options.loggerInstance ? Fastify({ ...common, loggerInstance: options.loggerInstance }) : Fastify({ ...common, logger: false });
  const now = options.now ?? Date.now;
  const guard = bearerGuard(options.server);
  void app.register(metricsRoutes(options.registry));
  void app.register(healthRoutes(options.snapshot, options.server.readyRequiresOrigins));
  void app.register(runbookRoutes(options.runbooksDir ?? join(packageRoot(), 'docs', 'runbooks')));
  if (options.connectorExposition) void app.register(connectorMetricsRoutes(options.connectorExposition));
  const { alerts, pendingAlerts: pending, diagnosis, incidents, fence, history, identity, runbookBaseUrl } = options;
  const extras: StatusExtras = { alerts, pending, diagnosis, incidents, fence, history, identity, runbookBaseUrl };
  void app.register(statusRoutes(options.snapshot, now, guard, extras));
  return app;
}
