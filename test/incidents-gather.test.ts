import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTOR_PATHS, gatherConnector } from '../src/incidents/index.js';

const READY = '{"status":503,"readyConnections":0,"connectorId":"4a2c83e1-5e71-4c4f-8d0b-6f1d3c0a9b21"}';
const METRICS = '# HELP cloudflared_tunnel_ha_connections Number of active ha connections\n# TYPE cloudflared_tunnel_ha_connections gauge\ncloudflared_tunnel_ha_connections 0\n';
const CONFIG = '{"version":3,"config":{"ingress":[{"service":"http_status:404"}]}}';

let servers: Server[] = [];
afterEach(async () => {
  for (const s of servers) {
    // Hanging requests would keep close() waiting for ever.
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  servers = [];
});

/** A stand-in for cloudflared's metrics server; resolves with its host:port. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

/** cloudflared before /diag existed: /ready not ready yet, /metrics and /config served, /diag/* 404. */
function cloudflared(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/ready') res.writeHead(503, { 'content-type': 'application/json' }).end(READY);
  else if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(METRICS);
  else if (req.url === '/config') res.writeHead(200, { 'content-type': 'application/json' }).end(CONFIG);
  else res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
}

describe('gatherConnector', () => {
  it('keeps every answer with its status and body, errors included', async () => {
    const address = await serve(cloudflared);
    const got = await gatherConnector(address, 2000, 64 * 1024);
    expect(got).toEqual({
      '/ready': { status: 503, body: READY },
      '/metrics': { status: 200, body: METRICS },
      '/config': { status: 200, body: CONFIG },
      '/diag/tunnel': { status: 404, body: '404 page not found\n' },
      '/diag/configuration': { status: 404, body: '404 page not found\n' },
      '/diag/system': { status: 404, body: '404 page not found\n' },
    });
    expect(Object.keys(got)).toEqual([...CONNECTOR_PATHS]);
  });

  it('gives up on a path that does not answer within the timeout, and keeps the others', async () => {
    const address = await serve((req, res) => {
      if (req.url === '/diag/system') return; // never answers
      cloudflared(req, res);
    });
    const started = performance.now();
    const got = await gatherConnector(address, 200, 64 * 1024);
    const took = performance.now() - started;
    expect(got['/diag/system']?.error).toMatch(/timeout|aborted/i);
    expect(got['/diag/system']?.status).toBeUndefined();
    expect(got['/ready']).toEqual({ status: 503, body: READY });
    // The paths are read together: one slow path costs the timeout once, not six times.
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(1500);
  });

  it('gives up on a body that stops halfway, after the timeout', async () => {
    const address = await serve((req, res) => {
      if (req.url !== '/metrics') {
        cloudflared(req, res);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('# HELP partial\n'); // and nothing more
    });
    const got = await gatherConnector(address, 200, 64 * 1024);
    expect(got['/metrics']?.error).toMatch(/timeout|aborted/i);
    expect(got['/config']).toEqual({ status: 200, body: CONFIG });
  });

  it('keeps the first maxBytes bytes of a longer answer and says the rest was not read, declared or streamed', async () => {
    const big = 'z'.repeat(5000);
    const address = await serve((req, res) => {
      if (req.url === '/metrics') res.writeHead(200, { 'content-length': String(big.length) }).end(big);
      else if (req.url === '/config') {
        // No Content-Length: only reading tells.
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        res.write(big.slice(0, 2500));
        res.end(big.slice(2500));
      } else cloudflared(req, res);
    });
    const got = await gatherConnector(address, 2000, 4096);
    const kept = `${'z'.repeat(4096)}\n… more than 4096 bytes, not read`;
    expect(got['/metrics']).toEqual({ status: 200, body: kept });
    expect(got['/config']).toEqual({ status: 200, body: kept });
    expect(got['/ready']).toEqual({ status: 503, body: READY });
  });

  it('keeps an answer of exactly maxBytes whole, without a note', async () => {
    const exact = 'z'.repeat(4096);
    const address = await serve((req, res) => {
      if (req.url === '/metrics') res.writeHead(200, { 'content-length': String(exact.length) }).end(exact);
      else cloudflared(req, res);
    });
    expect((await gatherConnector(address, 2000, 4096))['/metrics']).toEqual({ status: 200, body: exact });
  });

  it('does not read on past maxBytes: an endless answer ends at the bound, well before the timeout', async () => {
    const address = await serve((req, res) => {
      if (req.url !== '/metrics') {
        cloudflared(req, res);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      // More than the bound at once, then chunks for as long as the client reads (afterEach's close ends it).
      res.write('x'.repeat(5000));
      const more = (): void => {
        if (res.destroyed) return;
        if (res.write('x'.repeat(999))) setImmediate(more);
        else res.once('drain', more);
      };
      more();
    });
    const started = performance.now();
    const got = await gatherConnector(address, 5000, 4096);
    expect(performance.now() - started).toBeLessThan(2500);
    expect(got['/metrics']).toEqual({ status: 200, body: `${'x'.repeat(4096)}\n… more than 4096 bytes, not read` });
  });

  it('says the rest was not read when the chunks end exactly at maxBytes', async () => {
    const address = await serve((req, res) => {
      if (req.url !== '/metrics') {
        cloudflared(req, res);
        return;
      }
      res.writeHead(200, { 'content-length': String(2 * 4096) });
      res.write('x'.repeat(4096));
      // The first 4096 bytes arrive alone; the rest well after.
      setTimeout(() => { if (!res.destroyed) res.end('y'.repeat(4096)); }, 500);
    });
    const got = await gatherConnector(address, 2000, 4096);
    expect(got['/metrics']).toEqual({ status: 200, body: `${'x'.repeat(4096)}\n… more than 4096 bytes, not read` });
  });

  it('names the cause when nothing listens', async () => {
    const address = await serve(cloudflared);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const got = await gatherConnector(address, 2000, 4096);
    for (const path of CONNECTOR_PATHS) expect(got[path]?.error, path).toContain('ECONNREFUSED');
  });

  it('without an address, says for every path that cloudflared has not announced it', async () => {
    const got = await gatherConnector(undefined, 200, 4096);
    expect(Object.keys(got)).toEqual([...CONNECTOR_PATHS]);
    for (const path of CONNECTOR_PATHS) {
      expect(got[path], path).toEqual({ error: expect.stringContaining('has not announced its metrics address') as unknown });
    }
  });
});
