// One request travelling edge → tunnel connection → cloudflared → origin, and the lines cloudflared logs
// when it fails (proxy/logger.go, connection/quic_connection.go, connection/http2.go).
import type { IncomingMessage } from 'node:http';
import { formatOriginService, type IngressRule } from '../../cloudflared/config/index.js';
import type { FieldValue } from '../../cloudflared/log/index.js';
import { sendEdgeError, type Tunnel, type Visitor } from './edge-visitor.js';
import type { ProxyHooks } from './hooks.js';

/** ProxyHooks plus what the edge proxy may additionally ask the process core. */
export interface EdgeProxyHooks extends ProxyHooks {
  /**
   * The transport of a connection. cloudflared words the follow-up line of a failed request per transport
   * (`Request failed` on QUIC, `failed to serve incoming request` on HTTP/2); absent means QUIC.
   */
  readonly protocol?: (connIndex: number) => 'quic' | 'http2' | undefined;
}

export interface Exchange {
  readonly hooks: EdgeProxyHooks;
  readonly req: IncomingMessage;
  readonly visitor: Visitor;
  /** Present for WebSocket upgrade requests (QUIC ConnectionTypeWebsocket). */
  readonly tunnel?: Tunnel;
  readonly connIndex: number;
  readonly ray: string;
  readonly rule: IngressRule;
  /** 0-based index of the matched rule (log field `ingressRule`). */
  readonly ruleIndex: number;
}

/** The error proxyHTTPRequest wraps round-trip failures in. */
export function unreachable(cause: string): string {
  return `Unable to reach the origin service. The service may be down or it may not be responding to traffic from cloudflared: ${cause}`;
}

/** What proxyHTTPRequest reports when the request context ended first (the visitor went away). */
export const ENDED_ABRUPTLY = 'Incoming request ended abruptly: context canceled';

/** The host the visitor asked for, as the edge's Host. */
export function visitorHost(ex: Exchange): string {
  return ex.req.headers.host ?? '';
}

/**
 * Reports a request ProxyHTTP failed. `counted`: it went through logRequestError, i.e. the message-less
 * ERR line (fields from newHTTPLogger, plus `extra`) and cloudflared_tunnel_request_errors. Then the
 * transport's own line for the error ProxyHTTP returned.
 */
export function reportFailure(ex: Exchange, error: string, counted: boolean, extra: Readonly<Record<string, FieldValue>> = {}): void {
  const { hooks, connIndex } = ex;
  if (counted) {
    const originService = formatOriginService(ex.rule.service, ex.rule.serviceText);
    hooks.log('error', '', { cfRay: ex.ray, connIndex, event: 1, ingressRule: ex.ruleIndex, originService, ...extra }, error);
    hooks.onError();
  }
  if (hooks.protocol?.(connIndex) === 'http2') {
    // The HTTP/2 connection logs through the process logger, without connection fields.
    hooks.log('error', 'failed to serve incoming request', undefined, `Failed to proxy HTTP: ${error}`);
    return;
  }
  const ip = hooks.edgeIp(connIndex);
  const dest = `https://${visitorHost(ex)}${ex.req.url ?? '/'}`;
  const type = ex.tunnel === undefined ? 'http' : 'ws';
  hooks.log('error', 'Request failed', { connIndex, event: 0, ...(ip === undefined ? {} : { ip }), type, dest }, error);
}

/** The edge's 502 once cloudflared reported an error, unless the visitor is already gone. */
export function badGateway(ex: Exchange): void {
  if (!ex.visitor.signal.aborted) sendEdgeError(ex.visitor, 502, ex.ray, visitorHost(ex));
}
