// Bearer-token guard for the routes that show details (/status and the status page) when the server can be
// reached from outside loopback. /metrics, /healthz and /readyz stay open for Prometheus and kubelet.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestHookHandler } from 'fastify';
import type { Secret } from '../base/index.js';
import { isLoopbackHost, parseListen } from './listen.js';

export interface AuthOptions {
  /** The `server.listen` setting. */
  readonly listen: string;
  /** The `server.authToken` setting. */
  readonly authToken?: Secret;
}

const NO_TOKEN =
  'This server listens beyond loopback, so /status and the status page need a bearer token: set server.authToken ' +
  '(TUNNELWATCH_SERVER_AUTH_TOKEN) and send "Authorization: Bearer <token>", or listen on 127.0.0.1.';
const BAD_TOKEN = 'Send "Authorization: Bearer <token>" with the token set in server.authToken (TUNNELWATCH_SERVER_AUTH_TOKEN).';

// Hashing both sides first gives equal-length buffers, so the comparison time reveals neither content nor length.
const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** An onRequest hook that enforces the token, or undefined when the server listens on loopback only. */
export function bearerGuard(options: AuthOptions): onRequestHookHandler | undefined {
  if (isLoopbackHost(parseListen(options.listen).host)) return undefined;
  const expected = options.authToken && !options.authToken.isEmpty ? digest(options.authToken.reveal()) : undefined;

  // Answering without calling done() ends the request here (fastify's early-response pattern).
  return (request, reply, done) => {
    if (!expected) {
      void reply.code(401).send({ error: 'unauthorized', message: NO_TOKEN });
      return;
    }
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
    if (match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected)) {
      done();
      return;
    }
    void reply.code(401).header('www-authenticate', 'Bearer realm="tunnelwatch"').send({ error: 'unauthorized', message: BAD_TOKEN });
  };
}
