// The emulated cloudflared against an edge: registrations go to the API emulator's /__edge routes
// (CFEMU_API) with the fields of edge-protocol.ts, the remote configuration is fetched and applied, and
// requests through the edge proxy reach origins and move the proxy metrics.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConnectorMetrics } from '../src/cloudflared/metrics/connector-metrics.js';
import { parseExposition } from '../src/cloudflared/metrics/exposition.js';
import type { LogEvent } from '../src/cloudflared/log/event.js';
import { startApiEmulator } from '../src/emulator/api/main.js';
import type { RegisterRequest, UnregisterRequest } from '../src/emulator/edge-protocol.js';
import { ACCOUNT_TAG, Emulated, TUNNEL_ID } from './emulator-cloudflared-harness.js';

const running: Emulated[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
  for (const s of servers.splice(0)) s.close();
});
function start(...args: Parameters<typeof Emulated.start>): Emulated {
  const e = Emulated.start(...args);
  running.push(e);
  return e;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => { handler(req, res, body); });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${String((server.address() as { port: number }).port)}`;
}

const send = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
/** GET with a Host header (fetch may not set one). */
function getAs(address: string, host: string, urlPath: string): Promise<{ status: number; body: string }> {
  const [hostname = '', port = ''] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port: Number(port), path: urlPath, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }); });
    });
    req.on('error', reject);
    req.end();
  });
}

const registeredOn = (index: number) => (e: LogEvent): boolean => e.type === 'registered' && e.connIndex === index;

describe('registration through the API emulator (CFEMU_API)', () => {
  it('registers with edge-protocol fields, applies the remote config, unregisters on loss and shutdown', async () => {
    const registers: RegisterRequest[] = [];
    const unregisters: UnregisterRequest[] = [];
    const remote = { ingress: [{ hostname: 'app.example.com', service: 'http://localhost:8080' }, { service: 'http_status:404' }] };
    let version = 3;
    const api = await listen((req, res, body) => {
      if (req.url === '/__edge/register') {
        registers.push(JSON.parse(body) as RegisterRequest);
        send(res, 200, { ok: true, location: 'dfw06' });
      } else if (req.url === '/__edge/unregister') {
        unregisters.push(JSON.parse(body) as UnregisterRequest);
        send(res, 200, { ok: true });
      } else if (req.url === `/__edge/config?tunnelId=${TUNNEL_ID}`) {
        send(res, 200, { version, config: remote });
      } else send(res, 404, { error: 'no' });
    });
    const e = start({ env: { CFEMU_API: `http://${api}` } });
    await e.waitFor(registeredOn(3), 'conn 3 registered');
    const updated = await e.waitFor((x) => x.type === 'config_updated', 'remote config applied');
    expect(updated.type === 'config_updated' && updated.version).toBe(3);
    expect(updated.type === 'config_updated' && JSON.parse(updated.configJson ?? '')).toEqual(remote);
    expect(e.registered().every((r) => r.type === 'registered' && r.location === 'dfw06')).toBe(true);

    const connector = e.events.find((x) => x.type === 'connector_id');
    const first = registers[0];
    expect(first).toMatchObject({
      accountTag: ACCOUNT_TAG,
      tunnelId: TUNNEL_ID,
      tunnelSecret: Buffer.alloc(32, 7).toString('base64'),
      connectorId: connector?.type === 'connector_id' ? connector.connectorId : '?',
      connIndex: 0,
      protocol: 'quic',
      version: '2026.8.2',
      configVersion: -1,
    });
    expect(first?.arch).toMatch(/^linux_/);
    expect(first?.edgeIp).toBe(e.registered()[0]?.ip);
    expect(registers.map((r) => r.connIndex).sort()).toEqual([0, 1, 2, 3]);
    expect(new Set(registers.map((r) => r.connectionId)).size).toBe(4);
    expect(((await (await e.get('/config')).json()) as { version: number }).version).toBe(3);
    // A new dashboard version reaches the running connector without a reconnect.
    version = 4;
    const second = await e.waitFor((x) => x.type === 'config_updated', 'version 4 applied', 2);
    expect(second.type === 'config_updated' && second.version).toBe(4);

    await e.fault({ fault: 'drop', conn: 1 });
    await e.waitFor(registeredOn(1), 'conn 1 registered again', 2);
    expect(unregisters).toEqual([expect.objectContaining({ tunnelId: TUNNEL_ID, pendingReconnect: true })]);
    e.child.kill('SIGTERM');
    expect((await e.exited).code).toBe(0);
    expect(unregisters.filter((u) => !u.pendingReconnect)).toHaveLength(4);
  });

  it('an edge refusing the secret: Register tunnel error from server side, retried, never ready', async () => {
    const api = await listen((req, res) => {
      if (req.url === '/__edge/register') send(res, 200, { ok: false, error: 'Unauthorized: Invalid tunnel secret', retryable: false });
      else send(res, 404, { error: 'no' });
    });
    const e = start({ env: { CFEMU_API: `http://${api}` } });
    await e.waitFor((x) => x.type === 'register_error', 'refusals', 3);
    expect(e.events.filter((x) => x.type === 'register_error').every((x) => x.error === 'Unauthorized: Invalid tunnel secret' && x.connIndex === 0)).toBe(true);
    expect(await e.ready()).toMatchObject({ status: 503 });
    const m = readConnectorMetrics(parseExposition(await e.metrics()));
    expect(m.registerFailByError?.server_error).toBeGreaterThanOrEqual(3);
    expect(m.registerSuccessTotal).toBeUndefined();
  });
});

describe('with the API emulator itself', () => {
  it('registers at its colos, shows as healthy there, and takes its dashboard configuration', async () => {
    const api = await startApiEmulator({
      seed: {
        apiTokens: ['test-token'],
        colos: ['lax01', 'sjc05'],
        accounts: [{ id: ACCOUNT_TAG, tunnels: [{ id: TUNNEL_ID, name: 'demo', secret: Buffer.alloc(32, 7).toString('base64'), config_src: 'cloudflare', config: { version: 2, config: { ingress: [{ service: 'http_status:418' }] } } }] }],
      },
    });
    try {
      const token = api.tunnelToken(ACCOUNT_TAG, TUNNEL_ID) ?? '';
      const e = start({ token: false, env: { CFEMU_API: api.origin, TUNNEL_TOKEN: token } });
      await e.waitFor(registeredOn(3), 'conn 3 registered');
      const updated = await e.waitFor((x) => x.type === 'config_updated', 'dashboard config applied');
      expect(updated.type === 'config_updated' && updated.version).toBe(2);
      expect(e.registered().every((r) => r.type === 'registered' && ['lax01', 'sjc05'].includes(r.location ?? ''))).toBe(true);
      e.child.kill('SIGTERM');
      expect((await e.exited).code).toBe(0);
    } finally {
      await api.close();
    }
  });

  it('is refused with a wrong secret: Unauthorized, retried, never ready', async () => {
    const api = await startApiEmulator({ seed: { apiTokens: ['test-token'], accounts: [{ id: ACCOUNT_TAG, tunnels: [{ id: TUNNEL_ID, name: 'demo', secret: Buffer.alloc(32, 9).toString('base64') }] }] } });
    try {
      const e = start({ env: { CFEMU_API: api.origin } });
      const refused = await e.waitFor((x) => x.type === 'register_error', 'refusals', 2);
      expect(refused.error).toMatch(/^Unauthorized: /);
      expect(await e.ready()).toMatchObject({ status: 503 });
    } finally {
      await api.close();
    }
  });
});

describe('requests through the edge proxy', () => {
  it('serves origins by ingress rule and counts requests, responses and origin errors', async () => {
    const origin = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('hello from origin');
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'cfemu-edge-'));
    const config = path.join(dir, 'config.yml');
    writeFileSync(
      config,
      `ingress:\n  - hostname: app.example.com\n    service: http://${origin}\n  - hostname: down.example.com\n    service: http://127.0.0.1:1\n  - service: http_status:404\n`,
    );
    const e = start({ args: ['tunnel', '--no-autoupdate', '--config', config, '--metrics', '127.0.0.1:0', 'run'] });
    await e.waitFor(registeredOn(3), 'conn 3 registered');
    const { edge } = await e.ports();
    expect(await getAs(edge ?? '', 'app.example.com', '/')).toEqual({ status: 200, body: 'hello from origin' });
    expect((await getAs(edge ?? '', 'down.example.com', '/x')).status).toBe(502);
    await e.waitFor((x) => x.type === 'origin_error', 'origin error line');
    const m = readConnectorMetrics(parseExposition(await e.metrics()));
    expect(m.totalRequests).toBe(2);
    expect(m.requestErrors).toBe(1);
    expect(m.responsesByCode).toEqual({ '200': 1 });
    expect(m.concurrentRequests).toBe(0);
    expect(m.registerSuccessTotal).toBe(4);
  });
});
