// The fetch over node:http that the Cloudflare SDK, Loki and Alertmanager clients use, against real local servers:
// what it sends (method, headers in each form fetch takes, body), what it answers (a real Response, rawHeaders kept,
// null bodies, compressed bodies decoded), and where it differs from fetch (no redirect followed, TLS verified,
// streams refused).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpFetch } from '../src/base/index.js';
import { createSelfSigned, type SelfSigned } from '../src/emulator/self-signed-cert.js';
import { ROOT } from './helpers/cli.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => {
    s.closeAllConnections();
    s.close(resolve);
  })));
});

interface Seen {
  readonly method: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void, tls?: SelfSigned): Promise<{ url: string; seen: Seen[]; sockets: Set<Socket> }> {
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createServer();
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res);
    });
  });
  server.on('connection', (s: Socket) => sockets.add(s));
  server.on('secureConnection', (s: Socket) => sockets.add(s));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${String((server.address() as AddressInfo).port)}/api`, seen, sockets };
}

const httpFetch = createHttpFetch({ maxBytes: 1 << 20 });

describe('createHttpFetch', () => {
  it('sends method, headers given as a Headers object, pairs or a record, and a body', async () => {
    const { url, seen } = await serve((_req, res) => res.end());
    await httpFetch(url, { method: 'post', headers: new Headers({ Authorization: 'Bearer x', 'X-One': '1' }), body: '{"a":1}' });
    await httpFetch(url, { method: 'PUT', headers: [['X-Two', '2']], body: new TextEncoder().encode('bytes') });
    await httpFetch(new URL(url), { headers: { 'X-Three': '3' } });
    expect(seen.map((s) => [s.method, s.body])).toEqual([['POST', '{"a":1}'], ['PUT', 'bytes'], ['GET', '']]);
    expect(seen[0]?.headers).toMatchObject({ authorization: 'Bearer x', 'x-one': '1', 'content-length': '7' });
    expect(seen[1]?.headers['x-two']).toBe('2');
    expect(seen[2]?.headers['x-three']).toBe('3');
  });

  it('answers a real Response with status, status text, headers and body, on one kept-alive socket', async () => {
    const { url, sockets } = await serve((_req, res) => {
      res.writeHead(429, 'Slow Down', { 'content-type': 'application/json', 'retry-after': '7' }).end('{"success":false}');
    });
    const res = await httpFetch(url);
    expect(res).toBeInstanceOf(Response);
    expect([res.status, res.statusText, res.ok]).toEqual([429, 'Slow Down', false]);
    expect(res.headers.get('Retry-After')).toBe('7');
    expect(await res.json()).toEqual({ success: false });
    await (await httpFetch(url)).text();
    expect(sockets.size).toBe(1);
  });

  it('gives a null body for 204 and HEAD, as fetch does', async () => {
    const { url } = await serve((req, res) => res.writeHead(req.method === 'HEAD' ? 200 : 204, { 'content-length': '0' }).end());
    expect((await httpFetch(url)).body).toBeNull();
    expect((await httpFetch(url, { method: 'HEAD' })).body).toBeNull();
  });

  it('decodes a gzip answer, and bounds what it decodes to', async () => {
    const { url } = await serve((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('x'.repeat(4096))));
    expect((await httpFetch(url)).headers.get('content-encoding')).toBe('gzip');
    expect(await (await httpFetch(url)).text()).toBe('x'.repeat(4096));
    await expect(createHttpFetch({ maxBytes: 1024 })(url)).rejects.toThrow('the answer is longer, more than the 1024 bytes read at most');
  });

  it('says when a body claims an encoding it is not in', async () => {
    const { url } = await serve((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end('plain'));
    await expect(httpFetch(url)).rejects.toThrow("the answer's gzip body does not decode");
  });

  it('returns a redirect instead of following it', async () => {
    const { url, seen } = await serve((_req, res) => res.writeHead(302, { location: '/elsewhere' }).end());
    const res = await httpFetch(url);
    expect([res.status, res.headers.get('location'), seen.length]).toEqual([302, '/elsewhere', 1]);
  });

  it('rejects with the signal\'s reason, as fetch does, so the SDK can tell a timeout', async () => {
    const { url } = await serve(() => undefined);
    await expect(httpFetch(url, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const controller = new AbortController();
    const pending = httpFetch(url, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('verifies TLS: a self-signed server is refused with the certificate error', async () => {
    const cert = createSelfSigned({ commonName: 'api.internal', altNames: ['127.0.0.1'], notAfter: new Date(Date.now() + 86_400_000) });
    const { url, seen } = await serve((_req, res) => res.end('secret answer'), cert);
    expect(url.startsWith('https://')).toBe(true);
    await expect(httpFetch(url)).rejects.toThrow(/self[- ]signed certificate/);
    expect(seen).toEqual([]);
  });

  it('fetches over https from a server whose CA the process trusts (NODE_EXTRA_CA_CERTS, as fetch honours it)', async () => {
    const cert = createSelfSigned({ commonName: 'api.internal', altNames: ['127.0.0.1'], notAfter: new Date(Date.now() + 86_400_000) });
    const { url, seen } = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}'), cert);
    const dir = mkdtempSync(join(tmpdir(), 'tw-https-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), cert.cert);
      // A fresh process, since Node reads NODE_EXTRA_CA_CERTS at start; the built module, as the sidecar runs it.
      const script = `const { createHttpFetch } = await import('./dist/src/base/index.js');
const res = await createHttpFetch({ maxBytes: 1024 })(process.env.URL, { headers: { authorization: 'Bearer t' } });
console.log(JSON.stringify({ status: res.status, body: await res.json() }));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, URL: url, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') } });
      expect(JSON.parse(stdout)).toEqual({ status: 200, body: { success: true } });
      expect(seen[0]?.headers.authorization).toBe('Bearer t');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bodies it would have to stream, and schemes other than http and https', async () => {
    const { url } = await serve((_req, res) => res.end());
    await expect(httpFetch(url, { method: 'POST', body: new ReadableStream() })).rejects.toThrow('a request body here is a string or bytes');
    await expect(httpFetch('ftp://127.0.0.1/x')).rejects.toThrow('ftp: URLs are not requested; use http: or https:');
  });

  it('does not send a POST again when its reused socket is reset: that retry is the caller\'s to choose', async () => {
    const served = new WeakMap<Socket, number>();
    const { url, seen } = await serve((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n === 2) req.socket.destroy();
      else res.end('ok');
    });
    await (await httpFetch(url, { method: 'POST', body: 'a' })).text();
    await expect(httpFetch(url, { method: 'POST', body: 'b' })).rejects.toThrow('socket hang up');
    expect(seen.map((s) => s.body)).toEqual(['a', 'b']);
    expect(await (await httpFetch(url)).text()).toBe('ok');
  });
});
