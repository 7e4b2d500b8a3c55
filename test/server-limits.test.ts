// The HTTP server listens on 0.0.0.0 by default: a client that sends its headers slowly, or opens connections
// without end, must not hold it. Each socket here is followed to its close (a deadline, no fixed sleeps).
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer, SERVER_LIMITS } from '../src/server/app.js';
import { fixtureRegistry, healthySnapshot } from './helpers/health-snapshots.js';

let app: FastifyInstance | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await app?.close();
  app = undefined;
});

async function listen(): Promise<number> {
  app = buildServer({
    snapshot: healthySnapshot,
    registry: fixtureRegistry(),
    server: { listen: '0.0.0.0:9464', readyRequiresOrigins: false },
    limits: { ...SERVER_LIMITS, headersTimeoutMs: 300, requestTimeoutMs: 600, maxConnections: 4 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

/** Opens a connection that sends a request line and one header, then nothing; resolves with what it got and when it closed. */
function slowHeaders(port: number): Promise<{ reply: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => { socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); });
    sockets.push(socket);
    let reply = '';
    socket.on('data', (d: Buffer) => { reply += d.toString(); });
    socket.once('error', () => undefined);
    socket.once('close', () => { resolve({ reply, ms: Date.now() - started }); });
    setTimeout(() => { reject(new Error('a slow-header connection was still open after 5 s')); }, 5000).unref();
  });
}

describe('server limits', () => {
  it('closes slow-header connections after the header timeout, and those beyond the cap at once', async () => {
    const port = await listen();
    const results = await Promise.all(Array.from({ length: 7 }, () => slowHeaders(port)));
    const timedOut = results.filter((r) => r.reply.startsWith('HTTP/1.1 408'));
    const refused = results.filter((r) => r.reply === '');
    expect(timedOut).toHaveLength(4);
    expect(refused).toHaveLength(3);
    for (const r of timedOut) expect(r.ms).toBeGreaterThanOrEqual(250);
    // Once they are gone, the server answers as usual.
    const res = await fetch(`http://127.0.0.1:${String(port)}/healthz`);
    expect(await res.text()).toBe('ok');
  });

  it('are the documented defaults', () => {
    expect(SERVER_LIMITS).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxRequestsPerSocket: 1000, maxConnections: 256 });
  });
});
