// The keep-alive GET the connector polls use, against real local HTTP servers: one socket across polls, a body
// bound, a timeout, and the one retry for a reused socket the server closed as the poll went out.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { localGet, LocalGetTimeout } from '../src/collectors/local-get.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => {
    s.closeAllConnections();
    s.close(resolve);
  })));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on('connection', (s: Socket) => sockets.add(s));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/metrics`, sockets };
}

const options = { signal: new AbortController().signal, timeoutMs: 2000, maxBytes: 1024, tooLargeHint: 'is it the metrics address?' };

describe('localGet', () => {
  it('answers status and body, and polls again on the same socket', async () => {
    const { url, sockets } = await serve((_req, res) => res.writeHead(503).end('not yet'));
    expect(await localGet(url, options)).toEqual({ status: 503, text: 'not yet' });
    expect(await localGet(url, options)).toEqual({ status: 503, text: 'not yet' });
    expect(sockets.size).toBe(1);
  });

  it('stops reading a body beyond the bound, saying what to check', async () => {
    const { url } = await serve((_req, res) => res.writeHead(200).end('x'.repeat(4096)));
    await expect(localGet(url, options)).rejects.toThrow('the answer is larger than 0.0009765625 MiB; is it the metrics address?');
  });

  it('times out against a server that never answers', async () => {
    const { url } = await serve(() => undefined);
    await expect(localGet(url, { ...options, timeoutMs: 50 })).rejects.toBeInstanceOf(LocalGetTimeout);
  });

  it('rejects with the signal\'s reason when aborted', async () => {
    const { url } = await serve(() => undefined);
    const controller = new AbortController();
    const pending = localGet(url, { ...options, signal: controller.signal });
    controller.abort(new Error('run stopped'));
    await expect(pending).rejects.toThrow('run stopped');
  });

  it('sends once more on a new socket when the server closed the reused one as the poll went out', async () => {
    const served = new WeakMap<Socket, number>();
    let closed = 0;
    const { url, sockets } = await serve((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n === 2 && closed === 0) {
        closed += 1;
        req.socket.destroy();
        return;
      }
      res.writeHead(200).end('ok');
    });
    await localGet(url, options);
    expect(await localGet(url, options)).toEqual({ status: 200, text: 'ok' });
    expect(closed).toBe(1);
    expect(sockets.size).toBe(2);
  });

  it('does not send again when a new socket is reset: that is the server\'s answer', async () => {
    let requests = 0;
    const { url } = await serve((req) => {
      requests += 1;
      req.socket.destroy();
    });
    await expect(localGet(url, options)).rejects.toThrow('socket hang up');
    expect(requests).toBe(1);
  });
});
