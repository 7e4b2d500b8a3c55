// The request cloudflared sends to an HTTP origin (headers the edge and cloudflared add, proxy.go's
// proxyHTTPRequest and httpService.RoundTrip) and one HTTP/1.1 round trip over an already-open connection.
import { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, request } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { goReadError, goTransportError, OriginError } from './go-errors.js';
import type { Dialed } from './origin-dial.js';

/** Hop-by-hop headers: the edge consumes them, so they never reach cloudflared or the origin. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Go's CanonicalMIMEHeaderKey: cloudflared's http.Header sends every name in this form. */
export function goCanonicalHeader(name: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m: string, sep: string, c: string) => sep + c.toUpperCase());
}

/** Headers worth forwarding end to end, without hop-by-hop ones (and those the Connection header names). */
export function endToEndHeaders(headers: IncomingHttpHeaders, distinct: NodeJS.Dict<string[]>): Map<string, string[]> {
  const named = new Set((headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()));
  const out = new Map<string, string[]>();
  for (const [name, values] of Object.entries(distinct)) {
    if (values !== undefined && !HOP_BY_HOP.has(name) && !named.has(name) && name !== 'host') out.set(name, values);
  }
  return out;
}

export interface RequestContext {
  readonly ray: string;
  readonly visitorIp: string;
  readonly connectorId: string;
  /** originRequest.httpHostHeader ('' = keep the visitor's Host). */
  readonly httpHostHeader: string;
  readonly websocket: boolean;
}

/** The origin request's headers, in Go's canonical case. */
export function originHeaders(req: IncomingMessage, ctx: RequestContext): OutgoingHttpHeaders {
  const h = endToEndHeaders(req.headers, req.headersDistinct);
  // What the edge adds before the request enters the tunnel.
  h.set('cf-ray', [ctx.ray]);
  h.set('cf-connecting-ip', [ctx.visitorIp]);
  h.set('x-forwarded-for', [[...(h.get('x-forwarded-for') ?? []), ctx.visitorIp].join(', ')]);
  h.set('x-forwarded-proto', ['https']);
  h.set('cf-visitor', ['{"scheme":"https"}']);
  // cloudflared's appendTagHeaders: the connector ID tag, always present.
  h.set('cf-warp-tag-id', [...(h.get('cf-warp-tag-id') ?? []), ctx.connectorId]);
  const host = req.headers.host ?? '';
  if (ctx.httpHostHeader !== '') h.set('x-forwarded-host', [host]);
  h.set('host', [ctx.httpHostHeader === '' ? host : ctx.httpHostHeader]);
  if (ctx.websocket) {
    h.set('connection', ['Upgrade']);
    h.set('upgrade', ['websocket']);
    h.set('sec-websocket-version', ['13']);
    h.delete('content-length');
  } else h.set('connection', ['keep-alive']);
  // No User-Agent is added: cloudflared sets it to "" when absent, which Go's client then omits.
  const out: OutgoingHttpHeaders = {};
  for (const [name, values] of h) out[goCanonicalHeader(name)] = values.length === 1 ? values[0] : values;
  return out;
}

export interface OutgoingSpec {
  readonly method: string;
  /** Request target: path and query as the visitor sent them. */
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  /** originRequest.disableChunkedEncoding: a body of unknown length goes out unframed, never chunked. */
  readonly disableChunkedEncoding: boolean;
  /** A WebSocket handshake: a 101 answer hands over the connection. */
  readonly websocket: boolean;
}

export type OriginReply =
  | { readonly kind: 'response'; readonly res: IncomingMessage }
  | { readonly kind: 'upgrade'; readonly res: IncomingMessage; readonly socket: Duplex; readonly head: Buffer };

/** One round trip over `conn` (plain or TLS, already open); failures come back as OriginErrors. */
export function roundTrip(conn: Duplex, dialed: Dialed, spec: OutgoingSpec, body: Readable | undefined, signal: AbortSignal): Promise<OriginReply> {
  return new Promise<OriginReply>((resolve, reject) => {
    const req = request({ createConnection: () => conn, method: spec.method, path: spec.path, headers: spec.headers, setHost: false });
    if (spec.disableChunkedEncoding) req.useChunkedEncodingByDefault = false;
    const readError = (err: NodeJS.ErrnoException) => () => goReadError(dialed.network, dialed.local, dialed.remote, err);
    req.on('error', (err) => {
      reject(new OriginError(goTransportError(err, readError(err))));
    });
    req.on('response', (res) => {
      resolve({ kind: 'response', res });
    });
    // Without a listener Node drops a 101 answer to a plain request, as there is no one to hand it to.
    if (spec.websocket) {
      req.on('upgrade', (res, socket, head) => {
        resolve({ kind: 'upgrade', res, socket, head });
      });
    }
    const abort = (): void => {
      req.destroy();
      reject(new OriginError('context canceled'));
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    if (body === undefined) req.end();
    else body.pipe(req);
  });
}
