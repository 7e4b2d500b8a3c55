// Opens the connection cloudflared's http.Transport / net.Dialer would open to an origin, with its
// deadlines: connectTimeout bounds the name lookup and the TCP (or Unix socket) connect, tlsTimeout the
// handshake. Failures are OriginErrors worded as Go words them.
import { lookup } from 'node:dns/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, rootCertificates, type TLSSocket } from 'node:tls';
import {
  GO_TLS_HANDSHAKE_TIMEOUT,
  goDialError,
  goDialTimeout,
  goJoinHostPort,
  goLookupError,
  goLookupTimeout,
  goReadError,
  goTlsHandshakeError,
  goVerifyError,
  OriginError,
} from './go-errors.js';

export type DialTarget =
  | { readonly network: 'tcp'; readonly host: string; readonly port: number }
  | { readonly network: 'unix'; readonly path: string };

export interface DialOptions {
  readonly connectTimeout: number;
  readonly tcpKeepAlive: number;
  /** Aborted when the visitor goes away (cloudflared's request context). */
  readonly signal: AbortSignal;
}

/** An open origin connection and its addresses as Go prints them in read errors. */
export interface Dialed {
  readonly socket: Socket;
  readonly network: 'tcp' | 'unix';
  readonly local: string;
  readonly remote: string;
}

/**
 * Runs `start` until it settles, the deadline passes, or the visitor aborts; later settles are
 * ignored, and `start`'s cleanup runs on failure. Listeners `start` adds stay, so a late socket error is
 * never unhandled.
 */
function withDeadline<T>(
  ms: number,
  signal: AbortSignal,
  texts: { readonly timeout: string; readonly canceled: string },
  start: (settle: (result: T | Error) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let cleanup = (): void => undefined;
    const settle = (result: T | Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      if (result instanceof Error) {
        cleanup();
        reject(result);
      } else resolve(result);
    };
    const abort = (): void => {
      settle(new OriginError(texts.canceled));
    };
    const timer = setTimeout(() => {
      settle(new OriginError(texts.timeout));
    }, Math.max(ms, 0));
    signal.addEventListener('abort', abort, { once: true });
    cleanup = start(settle);
    if (signal.aborted) abort();
  });
}

function connectOne(target: { host: string; port: number } | { path: string }, label: string, network: 'tcp' | 'unix', ms: number, signal: AbortSignal): Promise<Socket> {
  // Go's dialer reports a canceled context as errCanceled inside the same net.OpError.
  const texts = { timeout: goDialTimeout(network, label), canceled: `dial ${network} ${label}: operation was canceled` };
  return withDeadline<Socket>(ms, signal, texts, (settle) => {
    const socket = netConnect(target);
    socket.once('connect', () => {
      settle(socket);
    });
    socket.on('error', (err) => {
      settle(new OriginError(goDialError(network, label, err)));
    });
    return () => socket.destroy();
  });
}

async function resolve(host: string, deadline: number, signal: AbortSignal): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  const texts = { timeout: goLookupTimeout(host), canceled: `dial tcp: lookup ${host}: operation was canceled` };
  return withDeadline<string[]>(deadline - Date.now(), signal, texts, (settle) => {
    lookup(host, { all: true }).then(
      (found) => {
        settle(found.map((a) => a.address));
      },
      (err: unknown) => {
        settle(new OriginError(goLookupError(host, err as NodeJS.ErrnoException)));
      },
    );
    return () => undefined;
  });
}

/**
 * Dials like net.Dialer: every resolved address in turn within one deadline, reporting the first
 * address's error when all fail (Go races the two address families; trying them in order gives the
 * same error whenever every address refuses).
 */
export async function dialOrigin(target: DialTarget, options: DialOptions): Promise<Dialed> {
  const deadline = Date.now() + options.connectTimeout;
  if (target.network === 'unix') {
    const socket = await connectOne({ path: target.path }, target.path, 'unix', options.connectTimeout, options.signal);
    // Go prints an unbound Unix client address as `@`.
    return { socket, network: 'unix', local: '@', remote: target.path };
  }
  let first: unknown;
  for (const ip of await resolve(target.host, deadline, options.signal)) {
    const label = goJoinHostPort(ip, target.port);
    try {
      const socket = await connectOne({ host: ip, port: target.port }, label, 'tcp', deadline - Date.now(), options.signal);
      socket.setKeepAlive(true, options.tcpKeepAlive);
      return { socket, network: 'tcp', local: goJoinHostPort(socket.localAddress ?? '', socket.localPort ?? 0), remote: label };
    } catch (err) {
      first ??= err;
      if (Date.now() >= deadline || options.signal.aborted) break;
    }
  }
  throw first;
}

export interface TlsOptions {
  /** The name sent as SNI (when not an IP) and verified. */
  readonly serverName: string;
  readonly noTLSVerify: boolean;
  /** PEM text of originRequest.caPool, added to the default roots as cloudflared adds it to the system pool. */
  readonly caPool?: string;
  readonly tlsTimeout: number;
  readonly signal: AbortSignal;
}

/** The TLS handshake of http.Transport, verifying in Go's order unless noTLSVerify. */
export function startTls(dialed: Dialed, options: TlsOptions): Promise<TLSSocket> {
  const readError = (err: NodeJS.ErrnoException) => () => goReadError(dialed.network, dialed.local, dialed.remote, err);
  const texts = { timeout: GO_TLS_HANDSHAKE_TIMEOUT, canceled: 'context canceled' };
  return withDeadline<TLSSocket>(options.tlsTimeout, options.signal, texts, (settle) => {
    const name = options.serverName;
    const socket = tlsConnect({
      socket: dialed.socket,
      ...(isIP(name) === 0 && name !== '' ? { servername: name } : {}),
      ...(options.caPool === undefined ? {} : { ca: [...rootCertificates, options.caPool] }),
      rejectUnauthorized: false,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerX509Certificate();
      const why =
        options.noTLSVerify || cert === undefined
          ? undefined
          : goVerifyError(cert, socket.authorized, name, new Date());
      settle(why === undefined ? socket : new OriginError(why));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      settle(new OriginError(goTlsHandshakeError(err, readError(err))));
    });
    return () => {
      socket.destroy();
      dialed.socket.destroy();
    };
  });
}
