// cloudflared's proxyHTTPRequest for http(s)/ws(s) and unix(+tls) origins: dial, TLS, one round trip, then
// the answer streamed back. Only an answer copied to the end counts in response_by_code (logOriginHTTPResponse
// runs after the copy), and a 101 never does.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { goSplitHostPort } from '../../go/index.js';
import type { OriginService } from '../../cloudflared/config/index.js';
import { OriginError } from './go-errors.js';
import { type DialTarget, dialOrigin, startTls } from './origin-dial.js';
import { endToEndHeaders, type OriginReply, originHeaders, roundTrip } from './origin-http.js';
import { badGateway, ENDED_ABRUPTLY, type Exchange, reportFailure, unreachable, visitorHost } from './proxy-exchange.js';

/** Where an HTTP-speaking rule sends traffic, and the TLS name when it speaks TLS. */
export interface HttpOrigin {
  readonly target: DialTarget;
  readonly tlsName?: string;
}

/** The origin of an http/unix rule, with the TLS name Go's transport would verify. */
export function httpOrigin(ex: Exchange, service: Extract<OriginService, { kind: 'http' | 'unix' }>): HttpOrigin {
  const o = ex.rule.originRequest;
  const hostOnly = (host: string): string => goSplitHostPort(host)?.host ?? host;
  if (service.kind === 'unix') {
    // The unix transport keeps the visitor's URL host, so that is the default TLS name.
    const tlsName = o.originServerName !== '' ? o.originServerName : hostOnly(visitorHost(ex));
    return { target: { network: 'unix', path: service.path }, ...(service.tls ? { tlsName } : {}) };
  }
  const tls = service.scheme === 'https' || service.scheme === 'wss';
  const target: DialTarget = { network: 'tcp', host: service.host, port: service.port ?? (tls ? 443 : 80) };
  if (!tls) return { target };
  // matchSNItoHost dials TLS itself with the (possibly rewritten) Host; else originServerName, else the URL host.
  const sniHost = o.httpHostHeader !== '' ? o.httpHostHeader : visitorHost(ex);
  const tlsName = o.matchSNItoHost ? hostOnly(sniHost) : o.originServerName !== '' ? o.originServerName : service.host;
  return { target, tlsName };
}

/** Connects and sends the request; reports and answers 502 itself when the origin cannot be reached. */
async function reach(ex: Exchange, origin: HttpOrigin, caPool: string | undefined): Promise<{ conn: Duplex; reply: OriginReply } | undefined> {
  const { rule, req, visitor } = ex;
  const o = rule.originRequest;
  const signal = visitor.signal;
  let conn: Duplex | undefined;
  try {
    const dialed = await dialOrigin(origin.target, { connectTimeout: o.connectTimeout, tcpKeepAlive: o.tcpKeepAlive, signal });
    conn = dialed.socket;
    if (origin.tlsName !== undefined) {
      const tlsOptions = { serverName: origin.tlsName, noTLSVerify: o.noTLSVerify, tlsTimeout: o.tlsTimeout, signal };
      conn = await startTls(dialed, caPool === undefined ? tlsOptions : { ...tlsOptions, caPool });
    }
    const websocket = ex.tunnel !== undefined;
    const spec = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: originHeaders(req, { ray: ex.ray, visitorIp: visitorIp(req), connectorId: ex.hooks.connectorId, httpHostHeader: o.httpHostHeader, websocket }),
      disableChunkedEncoding: o.disableChunkedEncoding,
      websocket,
    };
    // A WebSocket handshake goes out without a body (proxy.go clears it).
    return { conn, reply: await roundTrip(conn, dialed, spec, websocket ? undefined : req, signal) };
  } catch (err) {
    conn?.destroy();
    const cause = err instanceof OriginError ? err.message : String(err);
    reportFailure(ex, signal.aborted ? ENDED_ABRUPTLY : unreachable(cause), true);
    badGateway(ex);
    return undefined;
  }
}

function visitorIp(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice('::ffff:'.length) : ip;
}

/** Both directions of an upgraded connection, until either side ends it. */
async function splice(tunnel: NonNullable<Exchange['tunnel']>, reply: Extract<OriginReply, { kind: 'upgrade' }>): Promise<void> {
  tunnel.switchProtocols(new Map(Object.entries(reply.res.headersDistinct).filter((e): e is [string, string[]] => e[1] !== undefined)));
  tunnel.socket.write(reply.head);
  reply.socket.write(tunnel.head);
  await Promise.allSettled([pipeline(reply.socket, tunnel.socket), pipeline(tunnel.socket, reply.socket)]);
}

/** Proxies one request to an HTTP-speaking origin (caPool already read, when set). */
export async function proxyHttp(ex: Exchange, origin: HttpOrigin, caPool: string | undefined): Promise<void> {
  const reached = await reach(ex, origin, caPool);
  if (reached === undefined) return;
  const { conn, reply } = reached;
  try {
    if (reply.kind === 'upgrade' && ex.tunnel !== undefined) {
      await splice(ex.tunnel, reply);
      return;
    }
    const { res } = reply;
    const status = res.statusCode ?? 0;
    try {
      await ex.visitor.stream(status, endToEndHeaders(res.headers, res.headersDistinct), res);
    } catch {
      // The answer is under way, so there is no 502 page: the visitor's connection is cut instead. An origin
      // that stops mid-body makes cfio.Copy fail with io.ErrUnexpectedEOF. (A visitor who leaves mid-body
      // makes the copy fail with a transport-specific write error; the context error stands in for it.)
      reportFailure(ex, ex.visitor.signal.aborted ? ENDED_ABRUPTLY : 'unexpected EOF', true);
      ex.visitor.destroy();
      return;
    }
    ex.hooks.onResponse(status);
  } finally {
    conn.destroy();
  }
}
