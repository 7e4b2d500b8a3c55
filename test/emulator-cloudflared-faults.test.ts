// Every fault of the emulated cloudflared produces cloudflared's log events (checked through parseLogLine),
// and /ready and /metrics move accordingly. Faults are applied through the control endpoint or a scenario.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConnectorMetrics } from '../src/cloudflared/metrics/connector-metrics.js';
import { parseExposition } from '../src/cloudflared/metrics/exposition.js';
import type { LogEvent } from '../src/cloudflared/log/event.js';
import { Emulated, registeredOn, trackedEmulators } from './emulator-cloudflared-harness.js';

const start = trackedEmulators();

async function allUp(e: Emulated): Promise<void> {
  await e.waitFor(registeredOn(3), 'conn 3 registered');
  await e.readyUntil((r) => r.body.readyConnections === 4, '4 ready');
}

async function metricsNow(e: Emulated): Promise<ReturnType<typeof readConnectorMetrics>> {
  return readConnectorMetrics(parseExposition(await e.metrics()));
}

/** The events of one slot after `from`, as [type, message, error] triples. */
function slotTrace(events: readonly LogEvent[], index: number, from: number): [string, string, string | undefined][] {
  return events.slice(from).filter((e) => e.connIndex === index).map((e) => [e.type, e.message, e.error]);
}

describe('connection losses', () => {
  it('quic_timeout on conn 2: the §4.5 blip sequence, backoff, re-registration', async () => {
    const e = start();
    await allUp(e);
    const from = e.events.length;
    await e.fault({ fault: 'drop', conn: 2, reason: 'quic_timeout' });
    await e.waitFor(registeredOn(2), 'conn 2 registered again', 2);
    expect(slotTrace(e.events, 2, from).slice(0, 8)).toEqual([
      ['serve_error', 'failed to accept incoming stream requests', 'failed to accept QUIC stream: timeout: no recent network activity'],
      ['serve_error', 'failed to run the datagram handler', 'timeout: no recent network activity'],
      ['serve_error', 'failed to serve tunnel connection', 'accept stream listener encountered a failure while serving'],
      ['serve_error', 'Serve tunnel error', 'accept stream listener encountered a failure while serving'],
      ['retrying', 'Retrying connection in up to 1s', undefined],
      ['terminated', 'Connection terminated', 'accept stream listener encountered a failure while serving'],
      ['other', 'Tunnel connection curve preferences: [X25519MLKEM768 CurveID(65074) CurveP256]', undefined],
      ['registered', 'Registered tunnel connection', undefined],
    ]);
    const retry = e.events.slice(from).find((x) => x.type === 'retrying');
    expect(retry?.type === 'retrying' ? retry.delayMs : 0).toBe(1000);
    // Other slots stay up, so the losses log at WRN.
    expect(e.events.slice(from).find((x) => x.message === 'Serve tunnel error')?.level).toBe('warn');
    await e.readyUntil((r) => r.body.readyConnections === 4, '4 ready again');
    const m = await metricsNow(e);
    expect(m.registerSuccessTotal).toBe(5);
    expect(m.haConnections).toBe(4);
    expect(m.quic?.closedConnections).toBe(1);
  });

  it('goaway on conn 0: retried in place (no Connection terminated for slot 0)', async () => {
    const e = start();
    await allUp(e);
    const from = e.events.length;
    await e.fault({ fault: 'drop', conn: 0, reason: 'goaway' });
    await e.waitFor(registeredOn(0), 'conn 0 registered again', 2);
    const trace = slotTrace(e.events, 0, from);
    expect(trace[0]).toEqual(['serve_error', 'failed to accept incoming stream requests', 'failed to accept QUIC stream: Application error 0x0 (remote)']);
    expect(trace.map(([t]) => t)).not.toContain('terminated');
  });

  it('edge_closed over HTTP/2: Lost connection with the edge, and slot 0 falls back to the supervisor', async () => {
    const e = start({ args: ['tunnel', '--no-autoupdate', '--protocol', 'http2', '--metrics', '127.0.0.1:0', 'run'] });
    await allUp(e);
    expect(e.registered().every((r) => r.type === 'registered' && r.protocol === 'http2')).toBe(true);
    const from = e.events.length;
    await e.fault({ fault: 'drop', conn: 0, reason: 'edge_closed' });
    await e.waitFor(registeredOn(0), 'conn 0 registered again', 2);
    expect(slotTrace(e.events, 0, from).slice(0, 4)).toEqual([
      ['connection_lost', 'Lost connection with the edge', undefined],
      ['serve_error', 'Serve tunnel error', 'connection with edge closed'],
      ['retrying', 'Retrying connection in up to 1s', undefined],
      ['terminated', 'Connection terminated', 'connection with edge closed'],
    ]);
    expect((await metricsNow(e)).quic).toBeUndefined();
  });

  it('drop_all: readiness falls to 0 and every slot registers again', async () => {
    const e = start();
    await allUp(e);
    await e.fault({ fault: 'drop_all', reason: 'quic_timeout' });
    for (const i of [0, 1, 2, 3]) await e.waitFor(registeredOn(i), `conn ${String(i)} registered again`, 2);
    await e.readyUntil((r) => r.body.readyConnections === 4, '4 ready again');
    // The last slot to fail had no other connection left: its loss logs at ERR.
    expect(e.events.filter((x) => x.message === 'Serve tunnel error').some((x) => x.level === 'error')).toBe(true);
    expect((await metricsNow(e)).registerSuccessTotal).toBe(8);
  });

  it('reconnect storm: count drops at the given interval', async () => {
    const e = start();
    await allUp(e);
    await e.fault({ fault: 'reconnect_storm', count: 3, interval: '2s' });
    await e.until(() => (e.registered().length >= 7 ? true : undefined), 'three re-registrations');
    expect(e.count((x) => x.message === 'failed to accept incoming stream requests')).toBe(3);
  });
});

describe('edge faults', () => {
  it('edge unreachable from the start: dial errors with growing backoff, never registers, gauge at 1', async () => {
    const e = start({
      args: ['tunnel', '--no-autoupdate', '--protocol', 'quic', '--metrics', '127.0.0.1:0', 'run'],
      env: { CFEMU_SCENARIO: path.resolve('test/fixtures/emulator/scenario-unreachable-at-start.yaml') },
    });
    await e.waitFor((x) => x.type === 'retrying', 'six retries', 6);
    const delays = e.events.flatMap((x) => (x.type === 'retrying' ? [x.delayMs] : []));
    expect(delays.slice(0, 6)).toEqual([2000, 4000, 8000, 16000, 32000, 64000]);
    expect(e.events.find((x) => x.type === 'dial_error')).toMatchObject({
      message: 'Failed to dial a quic connection',
      error: 'failed to dial to edge with quic: timeout: no recent network activity',
      level: 'error',
      connIndex: 0,
    });
    expect(e.registered()).toEqual([]);
    expect(await e.ready()).toMatchObject({ status: 503, body: { readyConnections: 0 } });
    const m = await metricsNow(e);
    expect(m.haConnections).toBe(1);
    expect(m.quic?.totalConnections).toBeGreaterThanOrEqual(6);
    // An explicit protocol never falls back, however long QUIC fails.
    expect(e.count((x) => x.type === 'fallback')).toBe(0);
    await e.fault({ fault: 'clear', what: 'edge_unreachable' });
    await allUp(e);
  });

  it('QUIC blocked with --protocol auto: falls back to http2 after the edge-address retries', async () => {
    const e = start({ scale: 0.005, env: { CFEMU_SCENARIO: path.resolve('test/fixtures/emulator/scenario-quic-blocked.yaml') } });
    const fallback = await e.waitFor((x) => x.type === 'fallback', 'Switching to fallback protocol', 1, 15_000);
    expect(fallback).toMatchObject({ protocol: 'http2', connIndex: 0, level: 'info' });
    expect(e.count((x) => x.type === 'dial_error')).toBe(9);
    // The hint is one event with a newline in its message, so it spans two console lines as in cloudflared.
    const at = e.events.indexOf(fallback);
    expect(e.events[at - 1]).toMatchObject({ format: 'plain', message: expect.stringMatching(/^If you are using private routing to this Tunnel/) as unknown });
    const hint = e.events[at - 2];
    expect(hint?.level).toBe('warn');
    expect(hint?.message.startsWith('If this log occurs persistently, and cloudflared is unable to connect to Cloudflare Network with `quic` protocol')).toBe(true);
    await allUp(e);
    expect(e.registered().every((r) => r.type === 'registered' && r.protocol === 'http2')).toBe(true);
    const m = await metricsNow(e);
    expect(m.quic?.totalConnections).toBe(9);
    expect(m.quic?.closedConnections).toBe(9);
  });

  it('registration refused: Register tunnel error from server side, /ready 0, until cleared', async () => {
    const e = start();
    await allUp(e);
    await e.fault({ fault: 'register_refused', drop: true });
    await e.waitFor((x) => x.type === 'register_error', 'a refused registration');
    const refused = e.events.find((x) => x.type === 'register_error');
    expect(refused?.error).toBe('Unauthorized: Invalid tunnel secret');
    await e.readyUntil((r) => r.status === 503 && r.body.readyConnections === 0, '503');
    const m = await metricsNow(e);
    expect(m.registerFailByError?.server_error).toBeGreaterThanOrEqual(1);
    await e.fault({ fault: 'clear', what: 'register_refused' });
    await e.readyUntil((r) => r.body.readyConnections === 4, '4 ready again');
  });

  it('ha_connections defect: the gauge reads 1 while nothing is registered', async () => {
    const e = start();
    await allUp(e);
    await e.fault({ fault: 'ha_gauge_defect' });
    const deadline = Date.now() + 8000;
    for (;;) {
      const [ready, m] = await Promise.all([e.ready(), metricsNow(e)]);
      if (ready.body.readyConnections === 0 && m.haConnections === 1) break;
      if (Date.now() > deadline) throw new Error(`gauge never read 1 with 0 ready: ${String(m.haConnections)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  });
});

describe('configuration and control', () => {
  it('remote configuration update: Updated to new configuration, /config and the version metric follow', async () => {
    const e = start();
    await allUp(e);
    const config = { ingress: [{ hostname: 'app.example.com', service: 'http://localhost:8080' }, { service: 'http_status:404' }], 'warp-routing': {} };
    await e.fault({ fault: 'config_update', version: 5, config });
    const updated = await e.waitFor((x) => x.type === 'config_updated', 'Updated to new configuration');
    expect(updated.type === 'config_updated' && updated.version).toBe(5);
    expect(updated.type === 'config_updated' && JSON.parse(updated.configJson ?? '')).toEqual(config);
    expect(((await (await e.get('/config')).json()) as { version: number }).version).toBe(5);
    expect((await metricsNow(e)).configVersion).toBe(5);
    await e.fault({ fault: 'config_update', version: 6, config: { ingress: [{ hostname: 'x.example.com', service: 'http://localhost:1' }] } });
    const failed = await e.waitFor((x) => x.type === 'config_error', 'Failed to update ingress');
    expect(failed.error).toBe('The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)');
    expect((await metricsNow(e)).configVersion).toBe(5);
  });

  it('rejects malformed fault input with a clear error', async () => {
    const e = start();
    await e.ports();
    const bad = await e.control('/faults', { fault: 'drop', conn: -1, reason: 'bored' });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { ok: boolean; error: string };
    expect(body.ok).toBe(false);
    expect(body.error).toContain('conn');
    expect(body.error).toContain('reason');
    expect((await e.control('/faults', { fault: 'teleport' })).status).toBe(400);
    expect((await e.control('/nowhere')).status).toBe(404);
    const state = await e.state();
    expect(state).toMatchObject({ faults: [], configVersion: -1 });
  });

  it('runs a scenario file: the blip happens at its time', async () => {
    const e = start({ env: { CFEMU_SCENARIO: path.resolve('test/fixtures/emulator/scenario-blip.yaml') } });
    await e.waitFor((x) => x.message === 'failed to accept incoming stream requests' && x.connIndex === 2, 'the blip');
    await e.waitFor(registeredOn(2), 'conn 2 registered again', 2);
  });
});
