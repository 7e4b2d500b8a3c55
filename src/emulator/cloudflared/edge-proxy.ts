// An HTTP listener standing in for Cloudflare's edge plus one emulated connector: each visitor request gets a
// Ray ID and a tunnel connection, is matched against the ingress rules by Host (port stripped) and decoded
// path exactly as cloudflared matches it, and is served the way cloudflared's proxy.ProxyHTTP serves it,
// with its metrics hooks and log lines.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { findMatchingRule } from '../../cloudflared/config/index.js';
import { goSplitHostPort, parseGoUrl } from '../../go/index.js';
import { responseVisitor, sendEdgeError, socketVisitor, type Tunnel, type Visitor } from './edge-visitor.js';
import { goJoinHostPort, goPathError } from './go-errors.js';
import { badGateway, type EdgeProxyHooks, type Exchange, reportFailure } from './proxy-exchange.js';
import { httpOrigin, proxyHttp } from './proxy-http.js';
import { proxyStream } from './proxy-stream.js';

export type { EdgeProxyHooks } from './proxy-exchange.js';

export interface EdgeProxy {
  /** `host:port` the listener is bound to. */
  readonly address: string;
  close(): Promise<void>;
}

/** A Ray ID as the edge prints it: 16 hex digits and the colo. */
function newRay(): string {
  return `${randomBytes(8).toString('hex')}-LAX`;
}

/** The built-in hello_world page (cloudflared serves it from its own TLS server, and counts the 200). */
const HELLO_WORLD =
  '<!DOCTYPE html>\n<html><head><title>Cloudflare Tunnel Hello World</title></head>\n' +
  '<body><h1>Congrats! You created a tunnel!</h1></body></html>\n';

/** Reads originRequest.caPool files once each, as cloudflared reads them once when its ingress starts. */
function caPoolReader(): (path: string) => Promise<{ pem: string } | { error: string }> {
  const cache = new Map<string, Promise<{ pem: string } | { error: string }>>();
  return (path) => {
    let pending = cache.get(path);
    if (pending === undefined) {
      pending = readFile(path, 'utf8').then(
        (pem) => ({ pem }),
        (err: unknown) => ({
          error: `Error loading cert pool: unable to read the file ${path} for --origin-ca-pool: ${goPathError('open', path, err as NodeJS.ErrnoException)}`,
        }),
      );
      cache.set(path, pending);
    }
    return pending;
  };
}

/** Serves one exchange once the rule is known: ProxyHTTP's switch on the service type. */
async function serveRule(ex: Exchange, readCaPool: ReturnType<typeof caPoolReader>): Promise<void> {
  const service = ex.rule.service;
  switch (service.kind) {
    case 'http_status':
      ex.visitor.send(service.status, {}, '');
      ex.hooks.onResponse(service.status);
      return;
    case 'hello_world':
      ex.visitor.send(200, { 'content-type': 'text/html; charset=utf-8' }, HELLO_WORLD);
      ex.hooks.onResponse(200);
      return;
    case 'stream':
    case 'bastion':
    case 'socks_proxy':
      await proxyStream(ex);
      return;
    case 'http':
    case 'unix': {
      const origin = httpOrigin(ex, service);
      const caPath = ex.rule.originRequest.caPool;
      const ca = origin.tlsName === undefined || caPath === '' ? undefined : await readCaPool(caPath);
      if (ca !== undefined && 'error' in ca) {
        // cloudflared would not have started with an unreadable caPool; say why rather than pretend.
        reportFailure(ex, ca.error, true);
        badGateway(ex);
        return;
      }
      await proxyHttp(ex, origin, ca?.pem);
      return;
    }
    case 'invalid':
      // cloudflared refuses to start with such a rule, so the process core never hands one over.
      badGateway(ex);
      return;
  }
}

/** Starts the listener (`host:port`, port 0 for any). */
export async function startEdgeProxy(listen: string, hooks: EdgeProxyHooks): Promise<EdgeProxy> {
  const split = goSplitHostPort(listen);
  if (split === undefined) throw new Error(`edge proxy listen address ${listen} is not host:port`);
  const readCaPool = caPoolReader();
  const upgraded = new Set<Duplex>();

  const handle = async (req: IncomingMessage, open: (ray: string) => { visitor: Visitor; tunnel?: Tunnel }): Promise<void> => {
    const ray = newRay();
    const { visitor, tunnel } = open(ray);
    const host = req.headers.host ?? '';
    const connIndex = hooks.pickConnIndex();
    if (connIndex === undefined) {
      sendEdgeError(visitor, 530, ray, host);
      return;
    }
    const parsed = parseGoUrl(req.url ?? '/');
    const match = 'url' in parsed ? findMatchingRule(hooks.rules(), host, parsed.url.path) : undefined;
    if (match === undefined || !match.ok) {
      // An unparsable request target never leaves the edge; rules are never empty (the default is http_status:503).
      visitor.send(400, { 'content-type': 'text/plain' }, 'Bad Request\n');
      return;
    }
    hooks.onRequestStart();
    try {
      const ex: Exchange = { hooks, req, visitor, connIndex, ray, rule: match.rule, ruleIndex: match.index, ...(tunnel ? { tunnel } : {}) };
      await serveRule(ex, readCaPool);
    } finally {
      hooks.onRequestEnd();
    }
  };

  const server = createServer();
  server.on('request', (req, res) => {
    void handle(req, (ray) => ({ visitor: responseVisitor(res, ray) }));
  });
  // Node hands WebSocket handshakes over as raw sockets (other upgrades too; the edge only forwards WebSockets).
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    void handle(req, (ray) => {
      const visitor = socketVisitor(socket, head, ray);
      return { visitor, tunnel: visitor };
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(split.port), split.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : Number(split.port);
  return {
    address: goJoinHostPort(split.host, port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }),
  };
}
