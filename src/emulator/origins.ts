// Small real origin servers for the emulator's demo and tests, each showing one origin behaviour cloudflared
// reports differently: an HTTP app, the same over TLS, an SSH-like TCP service, a server that accepts and
// never answers, an address that never accepts, and a port with nothing listening.
import { type IncomingMessage, type ServerResponse, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { goSplitHostPort } from '../go/index.js';
import { goJoinHostPort } from './cloudflared/go-errors.js';
import { createSelfSigned } from './self-signed-cert.js';

export interface RunningOrigin {
  /** `host:port`, or the socket path for a Unix socket listener. */
  readonly address: string;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 for any) or, when `listen` starts with `/`, a Unix socket path. */
async function listenOn(server: Server, listen: string): Promise<RunningOrigin> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    // A peer resetting the connection (a proxy that dials and hangs up) must not crash the demo.
    socket.on('error', () => undefined);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const split = listen.startsWith('/') ? undefined : goSplitHostPort(listen);
  if (!listen.startsWith('/') && split === undefined) throw new Error(`origin listen address ${listen} is not host:port or a socket path`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (split === undefined) server.listen(listen, done);
    else server.listen(Number(split.port), split.host, done);
  });
  const bound = server.address();
  const address = split === undefined || typeof bound !== 'object' || bound === null ? listen : goJoinHostPort(split.host, bound.port);
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * The demo app: `/status/NNN` answers NNN, `/slow?ms=N` answers after N ms, `/drop` closes the connection
 * without answering; everything else is a 200. Bodies are JSON naming the origin and echoing the request.
 */
function app(name: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://origin');
      if (url.pathname === '/drop') {
        req.socket.destroy();
        return;
      }
      const status = /^\/status\/([1-9][0-9]{2})$/.exec(url.pathname)?.[1];
      const body = JSON.stringify({ origin: name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const answer = (): void => {
        res.writeHead(status === undefined ? 200 : Number(status), { 'content-type': 'application/json' });
        res.end(body);
      };
      if (url.pathname !== '/slow') {
        answer();
        return;
      }
      const timer = setTimeout(answer, Number(url.searchParams.get('ms') ?? '0'));
      res.once('close', () => {
        clearTimeout(timer);
      });
    });
  };
}

export function startHttpOrigin(options: { readonly listen: string; readonly name: string }): Promise<RunningOrigin> {
  return listenOn(createHttpServer(app(options.name)), options.listen);
}

/**
 * The demo app over TLS with a certificate made at start-up (self-signed, valid for `altNames`, by default
 * localhost and the loopback addresses). `cert` is its PEM, to use as a rule's caPool.
 */
export async function startTlsOrigin(options: {
  readonly listen: string;
  readonly name: string;
  readonly altNames?: readonly string[];
  readonly notAfter?: Date;
}): Promise<RunningOrigin & { readonly cert: string }> {
  const altNames = options.altNames ?? ['localhost', '127.0.0.1', '::1'];
  const { cert, key } = createSelfSigned({
    commonName: options.name,
    altNames,
    ...(options.notAfter === undefined ? {} : { notBefore: new Date(options.notAfter.getTime() - 86_400_000), notAfter: options.notAfter }),
  });
  const running = await listenOn(createHttpsServer({ cert, key }, app(options.name)), options.listen);
  return { ...running, cert };
}

/** An SSH-like TCP service: sends its identification line, then echoes whatever it receives. */
export function startTcpOrigin(options: { readonly listen: string; readonly banner?: string }): Promise<RunningOrigin> {
  const banner = options.banner ?? 'SSH-2.0-OpenSSH_9.2p1 Debian-2';
  return listenOn(
    createNetServer((socket) => {
      socket.write(`${banner}\r\n`);
      socket.pipe(socket);
    }),
    options.listen,
  );
}

/** Accepts connections and reads them, but never answers: a hung app (cloudflared has no response timeout). */
export function startSilentOrigin(options: { readonly listen: string }): Promise<RunningOrigin> {
  return listenOn(
    createNetServer((socket) => {
      socket.resume();
    }),
    options.listen,
  );
}

/** Worker body: listen with an accept queue of 2, report the port, then block so nothing is ever accepted. */
const BLACKHOLE_WORKER = `
const { parentPort } = require('node:worker_threads');
const server = require('node:net').createServer();
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});`;

/**
 * A loopback address where connection attempts go unanswered, like an origin behind a firewall that drops
 * packets: only connectTimeout ends them. A listener whose event loop is blocked never accepts; once two
 * connections fill its accept queue (backlog 1) Linux drops further SYNs, so connects hang in SYN-SENT.
 * Linux-specific; a non-routable address is no substitute, as a sandbox may answer or refuse it at once.
 */
export async function startBlackholeOrigin(): Promise<RunningOrigin> {
  const worker = new Worker(BLACKHOLE_WORKER, { eval: true });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    fillers.push(socket);
  }
  return {
    address: `127.0.0.1:${String(port)}`,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      await worker.terminate();
    },
  };
}

/**
 * A loopback port with nothing listening (connection refused): bound to learn a free port, then closed.
 * Another process could take the port in between; ports are handed out at random from a large range, so a
 * test or demo meeting that race is very unlikely.
 */
export async function reserveDeadPort(host = '127.0.0.1'): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const bound = server.address();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  if (typeof bound !== 'object' || bound === null) throw new Error('no port reserved');
  return bound.port;
}
