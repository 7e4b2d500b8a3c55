// The metrics server's routes (metrics/metrics.go newMetricsHandler, metrics/readiness.go,
// diagnostic/handlers.go) behind Go's ServeMux: any method, unclean paths redirected, unknown paths
// `404 page not found`. Bodies and content types are what the Go handlers write (Go sniffs text/plain for
// bodies written without a Content-Type).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { EmulatorLogger } from './logger.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores';
const SNIFFED_TEXT = 'text/plain; charset=utf-8';

export interface TunnelStateView {
  readonly tunnelId: string;
  readonly connectorId: string;
  readonly connections: readonly { readonly index: number; readonly protocol: 'quic' | 'http2'; readonly edgeAddress: string }[];
  readonly icmpSources: readonly string[];
}

/** What the routes read from the running emulator. */
export interface MetricsSource {
  readonly log: EmulatorLogger;
  readonly connectorId: string;
  readyConnections(): number;
  /** Prometheus text; `inFlight` is promhttp's own in-flight gauge for this scrape. */
  exposition(): Promise<string>;
  configJson(): string;
  tunnelState(): TunnelStateView;
  /** `/diag/configuration` map (uid included). */
  diagConfiguration(): Readonly<Record<string, string>>;
  /** `/diag/system` body (without the trailing newline). */
  systemInfo(): string;
  /** The hang fault: requests are accepted and never answered. */
  hung(): boolean;
  /** promhttp's request counters. */
  scrapeStarted(): void;
  scrapeFinished(code: '200' | '500' | '503'): void;
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'Content-Length': String(buf.length), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : buf);
}

/** http.Error: text/plain, nosniff, message plus newline. */
function httpError(res: ServerResponse, status: number, message: string): void {
  send(res, status, `${message}\n`, { 'Content-Type': SNIFFED_TEXT, 'X-Content-Type-Options': 'nosniff' });
}

/** Go's cleanPath: path.Clean keeping a trailing slash. */
function cleanPath(p: string): string {
  if (p === '') return '/';
  const withRoot = p.startsWith('/') ? p : `/${p}`;
  let clean = posix.normalize(withRoot).replace(/\/+$/, '') || '/';
  if (withRoot.endsWith('/') && clean !== '/') clean += '/';
  return clean;
}

function redirect(res: ServerResponse, location: string): void {
  const method = res.req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') {
    send(res, 301, `<a href="${location}">Moved Permanently</a>.\n\n`, { Location: location, 'Content-Type': 'text/html; charset=utf-8' });
  } else {
    res.writeHead(301, { Location: location, 'Content-Length': '0' });
    res.end();
  }
}

/** JSON encoding as Go's json.Encoder writes it (HTML-escaped, trailing newline). */
export function goEncode(value: unknown): string {
  return `${JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** encoding/json writes map keys sorted. */
function sortedMap(map: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function tunnelStateBody(view: TunnelStateView): string {
  const connections = view.connections.map((c) => ({
    isConnected: true,
    ...(c.protocol === 'quic' ? { protocol: 1 } : {}),
    ...(c.edgeAddress === '' ? {} : { edgeAddress: c.edgeAddress }),
    ...(c.index === 0 ? {} : { index: c.index }),
  }));
  return goEncode({
    tunnelID: view.tunnelId,
    connectorID: view.connectorId,
    ...(connections.length === 0 ? {} : { connections }),
    ...(view.icmpSources.length === 0 ? {} : { icmp_sources: view.icmpSources }),
  });
}

async function serveMetrics(src: MetricsSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  src.scrapeStarted();
  try {
    const text = await src.exposition();
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    if (gzip) send(res, 200, gzipSync(text), { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Encoding': 'gzip' });
    else send(res, 200, text, { 'Content-Type': METRICS_CONTENT_TYPE });
    src.scrapeFinished('200');
  } catch (e) {
    httpError(res, 500, `An error has occurred while serving metrics:\n\n${e instanceof Error ? e.message : String(e)}`);
    src.scrapeFinished('500');
  }
}

function collect(src: MetricsSource, collector: string, body: () => string, res: ServerResponse): void {
  src.log.emit('info', 'Collection started', [['collector', collector]]);
  send(res, 200, body(), { 'Content-Type': SNIFFED_TEXT });
  src.log.emit('info', 'Collection finished', [['collector', collector]]);
}

function route(src: MetricsSource, req: IncomingMessage, res: ServerResponse): void {
  // req.url is the request target as sent ('//ready' must not become a URL with host "ready").
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const search = q === -1 ? '' : target.slice(q);
  const clean = cleanPath(path);
  if (clean !== path) {
    redirect(res, clean + search);
    return;
  }
  switch (path) {
    case '/metrics':
      void serveMetrics(src, req, res);
      return;
    case '/healthcheck':
      send(res, 200, 'OK\n', { 'Content-Type': SNIFFED_TEXT });
      return;
    case '/ready': {
      const ready = src.readyConnections();
      const status = ready > 0 ? 200 : 503;
      send(res, status, JSON.stringify({ status, readyConnections: ready, connectorId: src.connectorId }), { 'Content-Type': SNIFFED_TEXT });
      return;
    }
    case '/quicktunnel':
      send(res, 200, '{"hostname":""}', { 'Content-Type': SNIFFED_TEXT });
      return;
    case '/config':
      send(res, 200, src.configJson(), { 'Content-Type': SNIFFED_TEXT });
      return;
    case '/diag/tunnel':
      collect(src, 'tunnelState', () => tunnelStateBody(src.tunnelState()), res);
      return;
    case '/diag/configuration':
      collect(src, 'configuration', () => goEncode(sortedMap(src.diagConfiguration())), res);
      return;
    case '/diag/system':
      collect(src, 'system', () => `${src.systemInfo()}\n`, res);
      return;
    case '/debug/pprof/cmdline':
      httpError(res, 403, 'forbidden');
      return;
    case '/debug':
      redirect(res, `/debug/${search}`);
      return;
    default:
      httpError(res, 404, '404 page not found');
  }
}

/** Serves the routes on a bound server; returns how to stop it (Shutdown waits up to 15 s). */
export function serveMetricsRoutes(server: Server, src: MetricsSource): { close(): Promise<void> } {
  const hung = new Set<ServerResponse>();
  server.keepAliveTimeout = 10_000;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (src.hung()) {
      hung.add(res);
      return;
    }
    route(src, req, res);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        const timer = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, 15_000);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
