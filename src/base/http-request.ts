// One HTTP request over node:http or node:https on a shared keep-alive agent, its answer read whole up to a bound.
// The calls tunnelwatch makes while it runs (the connector's /metrics every few seconds, the Cloudflare API, Loki,
// Alertmanager) go through here instead of Node's fetch: undici compiles its HTTP parser to WebAssembly and holds it
// with its memory, and builds web streams and a client per request. Measured on Node 20.20: a process polling with
// fetch had 13 MB more RSS than one polling through node:http, and the connector polls cost a fraction of the CPU.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface WholeRequest {
  readonly method?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: Buffer;
  readonly signal?: AbortSignal;
  /** Reading stops beyond this many bytes (by Content-Length, or while read). */
  readonly maxBytes: number;
  /**
   * Past maxBytes: the error to fail with (`what` is "N bytes" (declared) or "longer" (seen while reading)), or
   * 'keep-head' to resolve with the first maxBytes bytes, `cut` set, leaving the rest unread.
   */
  readonly tooLarge: ((what: string) => Error) | 'keep-head';
}

export interface WholeAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  /** Name, value, name, value, ... as received. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  /** The body went on past maxBytes and was not read further ('keep-head' only). */
  readonly cut?: true;
}

// Idle sockets close after 20 s: a socket that a NAT or load balancer dropped silently would otherwise take the next
// request with it until that request's timeout. cloudflared keeps an idle metrics socket for 10 s.
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 16, maxFreeSockets: 8, timeout: 20_000, scheduling: 'lifo' } as const;
const agents = { http: new HttpAgent(AGENT_OPTIONS), https: new HttpsAgent(AGENT_OPTIONS) };
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Sends one request and reads the answer whole; rejects with the transport's error or the signal's reason. A request
 * on a reused socket that the server closed meanwhile (its idle timeout racing ours) is sent once more on a new one,
 * as Node's docs advise, when the method is idempotent.
 */
export async function requestWhole(url: URL, o: WholeRequest): Promise<WholeAnswer> {
  try {
    return await once(url, o);
  } catch (error) {
    if (!(error instanceof ReusedSocketReset)) throw error;
    if (IDEMPOTENT.has(o.method ?? 'GET')) return once(url, o);
    throw error.cause;
  }
}

class ReusedSocketReset extends Error {}

function once(url: URL, o: WholeRequest): Promise<WholeAnswer> {
  return new Promise((resolve, reject) => {
    o.signal?.throwIfAborted();
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') throw new TypeError(`${url.protocol} URLs are not requested; use http: or https:`);
    const send = secure ? httpsRequest : httpRequest;
    const req = send(url, { method: o.method ?? 'GET', headers: o.headers ?? {}, agent: secure ? agents.https : agents.http });
    const done = (): void => { o.signal?.removeEventListener('abort', onAbort); };
    const fail = (error: unknown): void => {
      done();
      req.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const onAbort = (): void => { fail(o.signal?.reason); };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    // `on`, not `once`: destroying a request can emit a second error, which must not go unheard.
    req.on('error', (error: NodeJS.ErrnoException) => {
      fail(req.reusedSocket && error.code === 'ECONNRESET' ? new ReusedSocketReset(error.message, { cause: error }) : error);
    });
    req.once('response', (res) => {
      const { tooLarge } = o;
      const declared = Number(res.headers['content-length'] ?? Number.NaN);
      if (declared > o.maxBytes && tooLarge !== 'keep-head') {
        fail(tooLarge(`${String(declared)} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const answer = (cut: boolean): void => {
        done();
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks, size), ...(cut ? { cut } : {}) });
      };
      res.on('data', (chunk: Buffer) => {
        if (size + chunk.byteLength <= o.maxBytes) {
          chunks.push(chunk);
          size += chunk.byteLength;
        } else if (tooLarge !== 'keep-head') {
          fail(tooLarge('longer'));
        } else {
          chunks.push(chunk.subarray(0, o.maxBytes - size));
          size = o.maxBytes;
          answer(true);
          req.destroy();
        }
      });
      res.on('error', fail);
      res.once('end', () => { answer(false); });
    });
    req.end(o.body);
  });
}
