// The emulator's HTTP server: /client/v4 (the Cloudflare API as the SDK calls it), /__edge (the emulated
// connectors' control plane) and /__emulator (test controls). An API call passes, in order: injected latency,
// an injected failure, the bearer-token check, the token's rate limit, then the route. Tokens are compared,
// never logged or echoed.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Secret } from '../../base/index.js';
import { authenticationError, failure, noRoute, rateLimited, type Reply } from './envelope.js';
import type { Faults } from './faults.js';
import { json, readJson, sendReply, type Incoming } from './http.js';
import type { RateLimiter } from './rate-limit.js';
import { routeControl } from './routes-control.js';
import { routeEdge } from './routes-edge.js';
import { routeApi } from './routes-v4.js';
import type { EmulatorState } from './state.js';

export const API_PREFIX = '/client/v4';

/** One answered request, for tests that count calls or react to a status (no headers, so no token). */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface ApiServerParts {
  readonly state: EmulatorState;
  readonly faults: Faults;
  readonly limiter: RateLimiter;
  readonly apiTokens: readonly Secret[];
  /** Called once per request, just before its response is written. */
  readonly onRequest?: (record: RequestRecord) => void;
}

export interface ApiServer {
  readonly server: Server;
  /** Stops listening, cuts open connections and cancels pending injected delays. */
  close(): Promise<void>;
}

// Which configured token the Authorization header carries, by index, so nothing downstream holds token text.
function tokenIndex(header: string | undefined, tokens: readonly Secret[]): number | undefined {
  const match = /^Bearer (\S+)$/.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const given = Buffer.from(match[1]);
  const index = tokens.findIndex((token) => {
    const known = Buffer.from(token.reveal());
    return known.length === given.length && timingSafeEqual(known, given);
  });
  return index < 0 ? undefined : index;
}

async function answerApi(parts: ApiServerParts, call: Incoming, authorization: string | undefined, signal: AbortSignal): Promise<Reply> {
  if (parts.faults.latencyMs > 0) await sleep(parts.faults.latencyMs, undefined, { signal });
  const injected = parts.faults.take(call.path);
  if (injected) return injected;
  const key = tokenIndex(authorization, parts.apiTokens);
  if (key === undefined) return authenticationError();
  const decision = parts.limiter.take(key);
  if (!decision.allowed) return rateLimited(decision.headers);
  const reply = await routeApi(parts.state, call);
  return { ...reply, headers: { ...decision.headers, ...reply.headers } };
}

async function answer(parts: ApiServerParts, req: IncomingMessage, signal: AbortSignal): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const call: Incoming = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, readBody: () => readJson(req) };
  if (url.pathname.startsWith('/__edge/')) return (await routeEdge(parts.state, call)) ?? json(404, { error: 'unknown edge route' });
  if (url.pathname.startsWith('/__emulator/')) {
    return (await routeControl(parts.state, parts.faults, call)) ?? json(404, { error: 'unknown control route' });
  }
  if (url.pathname !== API_PREFIX && !url.pathname.startsWith(`${API_PREFIX}/`)) return noRoute();
  return answerApi(parts, { ...call, path: url.pathname.slice(API_PREFIX.length) }, req.headers.authorization, signal);
}

export function createApiServer(parts: ApiServerParts): ApiServer {
  const closing = new AbortController();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let reply: Reply;
    try {
      reply = await answer(parts, req, closing.signal);
    } catch (error) {
      if (closing.signal.aborted) {
        res.destroy();
        return;
      }
      reply = failure(500, { code: 500, message: `emulator error: ${error instanceof Error ? error.message : String(error)}` });
    }
    parts.onRequest?.({ method: req.method ?? 'GET', path: new URL(req.url ?? '/', 'http://emulator').pathname, status: reply.status });
    sendReply(res, reply);
  };
  const server = createServer((req, res) => void handle(req, res));
  return {
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
