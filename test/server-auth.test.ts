import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/server/app.js';
import { isLoopbackHost, parseListen } from '../src/server/listen.js';
import { Secret } from '../src/base/secret.js';
import { fixtureRegistry, healthySnapshot } from './helpers/health-snapshots.js';

const TOKEN = 'tw-test-token-4f1c9e';
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function serve(listen: string, authToken?: Secret): FastifyInstance {
  app = buildServer({
    snapshot: healthySnapshot,
    registry: fixtureRegistry(),
    server: { listen, readyRequiresOrigins: false, ...(authToken ? { authToken } : {}) },
    now: () => 0,
  });
  return app;
}

const GUARDED = ['/status', '/'];
const OPEN = ['/metrics', '/healthz', '/readyz'];

describe('listen address', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['128.0.0.1', false],
    ['::2', false],
    ['example.com', false],
    ['localhost.example.com', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('splits host and port; an empty host binds every interface', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':9464')).toEqual({ host: '::', port: 9464 });
  });
});

describe('bearer token', () => {
  it('is not needed on loopback', async () => {
    const server = serve('127.0.0.1:9464');
    for (const url of [...GUARDED, ...OPEN]) expect((await server.inject(url)).statusCode, url).not.toBe(401);
  });

  it('without a configured token, refuses /status and / with a message naming the setting', async () => {
    const server = serve('0.0.0.0:9464');
    for (const url of GUARDED) {
      const res = await server.inject(url);
      expect(res.statusCode, url).toBe(401);
      expect(res.json<{ message: string }>().message).toContain('server.authToken');
      expect(res.json<{ message: string }>().message).toContain('TUNNELWATCH_SERVER_AUTH_TOKEN');
    }
    for (const url of OPEN) expect((await server.inject(url)).statusCode, url).not.toBe(401);
  });

  it('accepts the configured token and refuses anything else', async () => {
    const server = serve('[::]:9464', new Secret(TOKEN));
    for (const url of GUARDED) {
      expect((await server.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, url).toBe(200);
      expect((await server.inject({ url, headers: { authorization: `bearer ${TOKEN}` } })).statusCode, url).toBe(200);
      for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
        const res = await server.inject({ url, headers: authorization === undefined ? {} : { authorization } });
        expect(res.statusCode, `${url} ${authorization}`).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="tunnelwatch"');
        expect(res.body).not.toContain(TOKEN);
      }
    }
    for (const url of OPEN) expect((await server.inject(url)).statusCode, url).not.toBe(401);
  });

  it('never shows the token in what the server serves', async () => {
    const server = serve('10.0.0.5:9464', new Secret(TOKEN));
    const headers = { authorization: `Bearer ${TOKEN}` };
    for (const url of [...GUARDED, ...OPEN]) expect((await server.inject({ url, headers })).body, url).not.toContain(TOKEN);
  });

  it('never reaches the request log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    app = buildServer({ snapshot: healthySnapshot, registry: fixtureRegistry(), server: { listen: '0.0.0.0:9464', readyRequiresOrigins: false, authToken: new Secret(TOKEN) }, loggerInstance: pino({ level: 'trace' }, sink) });
    await app.inject({ url: '/status', headers: { authorization: `Bearer ${TOKEN}` } });
    await app.inject({ url: '/', headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(lines.join('')).toContain('"url":"/status"');
    expect(lines.join('')).not.toContain(TOKEN);
  });
});
