// The emulated cloudflared as a real child process: start sequence, readiness, metrics, signals, exit
// statuses and the metrics port fallback. Time is compressed (CFEMU_TIME_SCALE) and every wait is on an
// event (a log line, the ports file, /ready changing).
import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConnectorMetrics } from '../src/cloudflared/metrics/connector-metrics.js';
import { parseExposition } from '../src/cloudflared/metrics/exposition.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import { expectInOrder, isType, message, registeredOn, trackedEmulators, TUNNEL_ID } from './emulator-cloudflared-harness.js';

const start = trackedEmulators();

describe('start-up', () => {
  it('logs the start sequence, is 503 until conn 0 registers, then ready with 4 connections', async () => {
    const e = start({ env: { CFEMU_SCENARIO: path.resolve('test/fixtures/emulator/scenario-unreachable-at-start.yaml') } });
    await e.waitFor(isType('dial_error'), 'a first dial failure');
    expect(await e.ready()).toMatchObject({ status: 503, body: { status: 503, readyConnections: 0 } });
    await e.fault({ fault: 'clear' });
    await e.waitFor(registeredOn(3), 'conn 3 registered');
    await e.readyUntil((r) => r.status === 200 && r.body.readyConnections === 4, '200 with 4 connections');
    const ready = await e.ready();
    const connectorId = e.events.find((x) => x.type === 'connector_id');
    expect(ready.body.connectorId).toBe(connectorId?.type === 'connector_id' ? connectorId.connectorId : 'missing');

    expectInOrder(e.events, [
      (x) => x.type === 'starting' && x.tunnelId === TUNNEL_ID,
      isType('version'),
      message('GOOS: linux, GOVersion: go1.26.0, GoArch: amd64'),
      (x) => x.message.startsWith('Settings: map['),
      isType('connector_id'),
      (x) => x.type === 'initial_protocol' && x.protocol === 'quic',
      (x) => x.message.startsWith('ICMP proxy will use '),
      isType('metrics_server'),
      message('Tunnel connection curve preferences: [X25519MLKEM768 CurveID(65074) CurveP256]'),
      registeredOn(0),
      registeredOn(1),
      registeredOn(2),
      registeredOn(3),
    ]);
    expect(e.events.every((x) => x.format === 'console')).toBe(true);
    for (const r of e.registered()) {
      if (r.type !== 'registered') continue;
      expect(r.protocol).toBe('quic');
      expect(r.ip).toMatch(/^198\.41\.(192|200)\.\d+$/);
      expect(r.location).toMatch(/^[a-z]{3}\d{2}$/);
      expect(r.connectionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.fields.event).toBe(0);
    }
  });

  it('serves metrics cloudflared-shaped and moving with the connections', async () => {
    const e = start();
    await e.waitFor(registeredOn(3), 'conn 3 registered');
    await e.readyUntil((r) => r.body.readyConnections === 4, '4 ready');
    const text = await e.metrics();
    const exposition = parseExposition(text);
    expect(exposition.errors).toEqual([]);
    const m = readConnectorMetrics(exposition);
    expect(m.anomalies).toEqual([]);
    expect(m.haConnections).toBe(4);
    expect(m.registerSuccessTotal).toBe(4);
    expect(m.currentLocations?.map((l) => l.connIndex).sort()).toEqual([0, 1, 2, 3]);
    expect(m.buildInfo?.version).toBe('2026.8.2');
    expect(m.quic?.totalConnections).toBe(4);
    expect(m.quic?.connections.map((c) => c.connIndex).sort()).toEqual([0, 1, 2, 3]);
    expect(m.quic?.connections.every((c) => (c.smoothedRttMs ?? 0) > 0)).toBe(true);
    expect(m.configVersion).toBe(0);
    const types = Object.fromEntries(exposition.families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      cloudflared_tunnel_total_requests: 'counter',
      cloudflared_tunnel_request_errors: 'counter',
      cloudflared_tunnel_concurrent_requests_per_tunnel: 'gauge',
      cloudflared_proxy_connect_latency: 'histogram',
      cloudflared_rpc_client_latency_secs: 'histogram',
      go_gc_duration_seconds: 'summary',
      process_cpu_seconds_total: 'counter',
    });
    expect(types).not.toHaveProperty('cloudflared_tunnel_response_by_code');
    const tunnel = (await (await e.get('/diag/tunnel')).json()) as { connections: unknown[]; tunnelID: string };
    expect(tunnel.tunnelID).toBe(TUNNEL_ID);
    expect(tunnel.connections).toHaveLength(4);
    expect(((await (await e.get('/config')).json()) as { version: number }).version).toBe(-1);
  });

  it('writes JSON with --output json and a JSON log file with --logfile', async () => {
    const e = start({ args: ['tunnel', '--no-autoupdate', '--output', 'json', '--logfile', '{dir}/logs/cloudflared.json', '--metrics', '127.0.0.1:0', 'run'] });
    await e.waitFor(registeredOn(0), 'conn 0 registered');
    expect(e.events.every((x) => x.format === 'json')).toBe(true);
    expect(e.lines[0]).toMatch(/^\{"level":"info","message":"Starting tunnel","time":"[^"]+","tunnelID":"/);
    const file = readFileSync(path.join(e.dir, 'logs/cloudflared.json'), 'utf8').split('\n').filter((l) => l !== '');
    expect(file.length).toBeGreaterThan(3);
    expect(parseLogLine(file[0] ?? '').type).toBe('starting');
    expect(file[0]).toMatch(/^\{"level":"info","tunnelID":"[^"]+","time":"[^"]+","message":"Starting tunnel"\}$/);
  });
});

describe('signals and exit statuses', () => {
  it('SIGTERM: the graceful sequence of §4.5, then exit 0', async () => {
    const e = start();
    await e.waitFor(registeredOn(3), 'conn 3 registered');
    e.child.kill('SIGTERM');
    expect(await e.exited).toEqual({ code: 0, signal: null });
    expectInOrder(e.events, [
      (x) => x.type === 'shutdown' && x.phase === 'signal' && x.signal === 'terminated',
      isType('unregistered'),
      isType('retrying'),
      isType('terminated'),
      (x) => x.type === 'shutdown' && x.phase === 'drained',
      (x) => x.type === 'shutdown' && x.phase === 'stopped',
      message('Metrics server stopped'),
    ]);
    expect(e.count(isType('unregistered'))).toBe(4);
    expect(e.count(isType('terminated'))).toBe(4);
    const terminated = e.events.filter(isType('terminated'));
    expect(terminated.every((x) => x.error === undefined && x.level === 'error')).toBe(true);
  });

  it('slow drain: /ready flips to 503 at once, exit 0 after the grace period', async () => {
    const e = start({ args: ['tunnel', '--no-autoupdate', '--grace-period', '1m', '--metrics', '127.0.0.1:0', 'run'] });
    await e.waitFor(registeredOn(3), 'conn 3 registered');
    await e.fault({ fault: 'slow_shutdown' });
    const t0 = Date.now();
    e.child.kill('SIGINT');
    await e.waitFor(isType('unregistered'), 'all unregistered', 4);
    expect(await e.ready()).toMatchObject({ status: 503, body: { readyConnections: 0 } });
    expect(await e.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(e.events.find((x) => x.type === 'shutdown' && x.phase === 'signal')?.message).toBe('Initiating graceful shutdown due to signal interrupt ...');
    expect(e.count((x) => x.message === 'failed to serve tunnel connection' && x.error === 'control stream encountered a failure while serving')).toBe(4);
    expect(e.count((x) => x.type === 'shutdown' && x.phase === 'drained')).toBe(0);
  });

  it('a second SIGTERM kills by signal', async () => {
    const e = start();
    await e.waitFor(registeredOn(3), 'conn 3 registered');
    await e.fault({ fault: 'slow_shutdown' });
    e.child.kill('SIGTERM');
    await e.waitFor((x) => x.type === 'shutdown' && x.phase === 'signal', 'graceful shutdown started');
    e.child.kill('SIGTERM');
    expect(await e.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('SIGHUP is not handled: death by signal', async () => {
    const e = start();
    await e.waitFor(registeredOn(0), 'conn 0 registered');
    e.child.kill('SIGHUP');
    expect(await e.exited).toEqual({ code: null, signal: 'SIGHUP' });
  });

  it('crash: Go panic text and exit 2, or a given exit code', async () => {
    const e = start();
    await e.waitFor(registeredOn(0), 'conn 0 registered');
    await e.fault({ fault: 'crash' }).catch(() => undefined);
    expect(await e.exited).toEqual({ code: 2, signal: null });
    expect(e.lines).toContain('panic: runtime error: invalid memory address or nil pointer dereference');
    expect(e.lines.some((l) => /^goroutine \d+ \[running\]:$/.test(l))).toBe(true);
    const f = start();
    await f.waitFor(registeredOn(0), 'conn 0 registered');
    await f.fault({ fault: 'crash', exitCode: 7, message: 'fatal error: out of memory' }).catch(() => undefined);
    expect(await f.exited).toEqual({ code: 7, signal: null });
    expect(f.lines.at(-1)).toBe('fatal error: out of memory');
  });

  it('hang: stops logging and answering HTTP while alive', async () => {
    const e = start();
    await e.waitFor(registeredOn(3), 'conn 3 registered');
    await e.fault({ fault: 'hang' });
    const before = e.lines.length;
    await e.fault({ fault: 'drop', conn: 1 });
    await expect(e.get('/ready', { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(e.child.exitCode).toBeNull();
    expect(e.lines.length).toBe(before);
    expect((await e.state()).faults).toEqual(['hang']);
    await e.fault({ fault: 'clear', what: 'hang' });
    expect((await e.ready()).status).toBe(200);
  });
});

describe('metrics address (§2.1)', () => {
  const KNOWN = [20241, 20242, 20243, 20244, 20245];

  function hold(port: number): Promise<Server | undefined> {
    return new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => { resolve(undefined); });
      s.listen({ port, host: '127.0.0.1', exclusive: true }, () => { resolve(s); });
    });
  }

  it('tries 127.0.0.1:20241..20245 then a random port, logging where it bound', async () => {
    const held = await Promise.all(KNOWN.map(hold));
    try {
      const e = start({ args: ['tunnel', '--no-autoupdate', 'run'] });
      const bound = await e.waitFor(isType('metrics_server'), 'metrics server line');
      const address = bound.type === 'metrics_server' ? bound.address : '';
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(KNOWN.map((p) => `127.0.0.1:${String(p)}`)).not.toContain(address);
      expect((await e.ports()).metrics).toBe(address);

      // Free 20243 only: the next emulator takes it, the first free one of the list.
      const freed = held[2];
      if (freed) await new Promise<void>((resolve) => freed.close(() => { resolve(); }));
      held[2] = undefined;
      const f = start({ args: ['tunnel', '--no-autoupdate', 'run'] });
      const second = await f.waitFor(isType('metrics_server'), 'metrics server line');
      const got = second.type === 'metrics_server' ? second.address : '';
      if (got !== '127.0.0.1:20243') {
        // Only acceptable if something outside this test grabbed 20243 in between.
        const retaken = await hold(20243);
        expect(retaken).toBeUndefined();
        retaken?.close();
      }
      expect(got === '127.0.0.1:20243' || !KNOWN.map((p) => `127.0.0.1:${String(p)}`).includes(got)).toBe(true);
    } finally {
      for (const s of held) s?.close();
    }
  });
});
