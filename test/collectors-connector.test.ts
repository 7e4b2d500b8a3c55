// The connector collector against a real emulated cloudflared (bin/cloudflared-emulator) and against small
// local HTTP servers for the ways a metrics address can fail: refused, 503, hanging, garbage.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CollectContext } from '../src/collectors/collector.js';
import { connectorCollector } from '../src/collectors/connector.js';
import type { MetricsObservation, Observation, ReadyObservation } from '../src/state/observations.js';
import { isType, registeredOn, trackedEmulators } from './emulator-cloudflared-harness.js';

const startEmulator = trackedEmulators();
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => {
    s.closeAllConnections();
    s.close(resolve);
  })));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

const ctx = (signal = new AbortController().signal): CollectContext => ({ signal, now: () => 1234 });
const ready = (obs: readonly Observation[]) => obs.find((o): o is ReadyObservation => o.kind === 'ready');
const metrics = (obs: readonly Observation[]) => obs.find((o): o is MetricsObservation => o.kind === 'metrics');

describe('against an emulated cloudflared', () => {
  it('reports 503 while connecting, then 200 with 4 connections, the connector id, metrics and /config once', async () => {
    const e = startEmulator({ env: { CFEMU_SCENARIO: path.resolve('test/fixtures/emulator/scenario-unreachable-at-start.yaml') } });
    const { metrics: address } = await e.ports();
    const configs: { version: number; body: string }[] = [];
    const collector = connectorCollector({ metricsAddress: () => address, intervalMs: 2000, onConfig: (version, body) => configs.push({ version, body }) });

    await e.waitFor(isType('dial_error'), 'a first dial failure');
    const connecting = await collector.collect(ctx());
    expect(ready(connecting)).toMatchObject({ kind: 'ready', at: 1234, ok: true, status: 503, readyConnections: 0 });
    // (No value check: cloudflared's ha_connections gauge is known to read 1 with nothing connected.)
    expect(metrics(connecting)?.ok).toBe(true);

    await e.fault({ fault: 'clear' });
    await e.waitFor(registeredOn(3), 'conn 3 registered');
    await e.readyUntil((r) => r.body.readyConnections === 4, '4 ready');
    const connected = await collector.collect(ctx());
    const connectorEvent = e.events.find((x) => x.type === 'connector_id');
    const connectorId = connectorEvent?.type === 'connector_id' ? connectorEvent.connectorId : 'missing';
    expect(ready(connected)).toEqual({ kind: 'ready', at: 1234, ok: true, status: 200, readyConnections: 4, connectorId });
    const m = metrics(connected);
    if (!m?.ok) throw new Error(`metrics failed: ${JSON.stringify(m)}`);
    expect(m.metrics.haConnections).toBe(4);
    expect(m.metrics.buildInfo?.version).toMatch(/^\d{4}\.\d+\.\d+$/);
    expect(m.metrics.anomalies).toEqual([]);

    // The same /config twice is delivered once.
    expect(configs).toHaveLength(1);
    expect(configs[0]?.version).toBe(-1);
    expect(JSON.parse(configs[0]?.body ?? '')).toMatchObject({ config: { ingress: [{ service: 'http_status:503' }] } });
    expect(configs[0]?.body).toBe(await (await e.get('/config')).text());
  });

  it('times out against a hung metrics server and names the URL', async () => {
    const e = startEmulator();
    const { metrics: address } = await e.ports();
    await e.fault({ fault: 'hang' });
    const obs = await connectorCollector({ metricsAddress: () => address, intervalMs: 1000, timeoutMs: 150 }).collect(ctx());
    expect(ready(obs)).toEqual({ kind: 'ready', at: 1234, ok: false, error: `GET http://${address}/ready timed out after 0.15s` });
    expect(metrics(obs)).toEqual({ kind: 'metrics', at: 1234, ok: false, error: `GET http://${address}/metrics timed out after 0.15s` });
  });
});

describe('failure cases', () => {
  it('produces nothing, and makes no request, while the metrics address is unknown', async () => {
    let calls = 0;
    const collector = connectorCollector({ metricsAddress: () => undefined, intervalMs: 1000, get: () => { calls += 1; return Promise.reject(new Error('no')); } });
    expect(await collector.collect(ctx())).toEqual([]);
    expect(calls).toBe(0);
  });

  it('reports a refused connection naming the URL', async () => {
    const address = await serve(() => undefined);
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    const obs = await connectorCollector({ metricsAddress: () => address, intervalMs: 1000 }).collect(ctx());
    expect(ready(obs)).toMatchObject({ ok: false });
    const r = ready(obs);
    expect(r?.ok === false && r.error).toBe(`GET http://${address}/ready failed: connect ECONNREFUSED ${address}`);
    const m = metrics(obs);
    expect(m?.ok === false && m.error).toMatch(new RegExp(`^GET http://${address}/metrics failed: .*ECONNREFUSED`));
  });

  it('takes a 503 with /ready JSON as an answer, and reads a partly malformed exposition', async () => {
    const address = await serve((req, res) => {
      if (req.url === '/ready') {
        res.writeHead(503).end('{"status":503,"readyConnections":0,"connectorId":"11111111-2222-4333-8444-555555555555"}');
      } else {
        res.writeHead(200).end('# TYPE cloudflared_tunnel_ha_connections gauge\ncloudflared_tunnel_ha_connections 2\nthis is { not a sample\n');
      }
    });
    const obs = await connectorCollector({ metricsAddress: () => address, intervalMs: 1000 }).collect(ctx());
    expect(ready(obs)).toEqual({ kind: 'ready', at: 1234, ok: true, status: 503, readyConnections: 0, connectorId: '11111111-2222-4333-8444-555555555555' });
    expect(metrics(obs)).toMatchObject({ ok: true, metrics: { haConnections: 2 } });
  });

  it('reports a garbage /ready body and a non-200 /metrics, and keeps the last /config on a bad one', async () => {
    let configBody = '{"version":3,"config":{"ingress":[{"service":"http://localhost:8080"}]}}';
    const address = await serve((req, res) => {
      if (req.url === '/ready') res.writeHead(200).end('<html>hello</html>');
      else if (req.url === '/config') res.writeHead(200).end(configBody);
      else res.writeHead(500).end('An error has occurred while serving metrics:\n\nboom\n');
    });
    const versions: number[] = [];
    const collector = connectorCollector({ metricsAddress: () => `0.0.0.0:${address.split(':')[1] ?? ''}`, intervalMs: 1000, onConfig: (v) => versions.push(v) });
    const obs = await collector.collect(ctx());
    const r = ready(obs);
    // A wildcard listen address is polled on loopback.
    expect(r?.ok === false && r.error).toBe(`GET http://${address}/ready answered HTTP 200 with a body that is not cloudflared's /ready JSON: "<html>hello</html>"`);
    const m = metrics(obs);
    expect(m?.ok === false && m.error).toBe(`GET http://${address}/metrics answered HTTP 500: "An error has occurred while serving metrics:\\n\\nboom\\n"`);
    expect(versions).toEqual([3]);
    configBody = 'ERR: json: unsupported value';
    await collector.collect(ctx());
    configBody = '{"version":4,"config":{"ingress":[]}}';
    await collector.collect(ctx());
    expect(versions).toEqual([3, 4]);
  });

  it('asks /config again only when the metrics show another config version, or do not show one', async () => {
    let version = 3;
    let metricsOk = true;
    const asked: string[] = [];
    const address = await serve((req, res) => {
      asked.push(req.url ?? '');
      if (req.url === '/ready') res.writeHead(200).end('{"status":200,"readyConnections":4}');
      else if (req.url === '/config') res.writeHead(200).end(`{"version":${String(version)},"config":{"ingress":[]}}`);
      else if (metricsOk) res.writeHead(200).end(`# TYPE cloudflared_orchestration_config_version gauge\ncloudflared_orchestration_config_version ${String(version)}\n`);
      else res.writeHead(500).end('boom');
    });
    const versions: number[] = [];
    const collector = connectorCollector({ metricsAddress: () => address, intervalMs: 1000, onConfig: (v) => versions.push(v) });
    const configAsks = (): number => asked.filter((u) => u === '/config').length;
    await collector.collect(ctx());
    await collector.collect(ctx());
    expect([configAsks(), versions]).toEqual([1, [3]]);
    version = 4;
    await collector.collect(ctx());
    expect([configAsks(), versions]).toEqual([2, [3, 4]]);
    metricsOk = false;
    await collector.collect(ctx());
    expect(configAsks()).toBe(3);
  });

  it('stops at once when the run is aborted, naming the URL', async () => {
    const address = await serve(() => undefined);
    const controller = new AbortController();
    const collecting = connectorCollector({ metricsAddress: () => address, intervalMs: 10_000 }).collect(ctx(controller.signal));
    controller.abort(new Error('collector connector missed its deadline of 10s'));
    const r = ready(await collecting);
    expect(r?.ok === false && r.error).toBe(`GET http://${address}/ready aborted: collector connector missed its deadline of 10s`);
  });
});
