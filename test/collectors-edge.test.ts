// The edge collector against the in-process Cloudflare API emulator (requests counted on the emulator side),
// and the API budget's arithmetic with fast-check.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiBudget } from '../src/collectors/api-budget.js';
import { edgeCollector, retryAfterMs, type EdgeCollectorOptions } from '../src/collectors/edge.js';
import { CollectorRunner } from '../src/collectors/runner.js';
import { startApiEmulator, type ApiEmulator } from '../src/emulator/api/main.js';
import type { RequestRecord } from '../src/emulator/api/server.js';
import { Secret } from '../src/base/secret.js';
import type { EdgeObservation, Observation } from '../src/state/observations.js';
import { ACCOUNT, CONNECTOR_A, CONNECTOR_B, TOKEN, TUNNEL, connector, manualClock, seed } from './emulator-api-helpers.js';
import { recordSpans } from './helpers/recorded-spans.js';

const exporter = recordSpans();

let emulator: ApiEmulator | undefined;
let server: Server | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => {
    if (server) server.close(resolve);
    else resolve(undefined);
  });
  server = undefined;
});

async function start(clock = manualClock()) {
  const requests: RequestRecord[] = [];
  emulator = await startApiEmulator({ seed: seed(), now: clock.now, onRequest: (r) => { if (r.path.startsWith('/client/v4/')) requests.push(r); } });
  return { emulator, requests, clock };
}

function collector(url: string, now: () => number, options: Partial<EdgeCollectorOptions> = {}) {
  const edge = edgeCollector({
    apiToken: new Secret(TOKEN),
    accountId: ACCOUNT,
    tunnelId: TUNNEL,
    connectorId: () => CONNECTOR_A,
    baseUrl: url,
    budget: new ApiBudget({ share: 0.25 }),
    intervalMs: 30_000,
    timeoutMs: 2000,
    ...options,
  });
  const collect = async (): Promise<EdgeObservation | undefined> => {
    const [first, ...rest] = await edge.collect({ signal: new AbortController().signal, now });
    expect(rest).toEqual([]);
    return first;
  };
  return { edge, collect };
}

const errorOf = (o: EdgeObservation | undefined): string => (o?.ok === false ? o.error : `not a failure: ${JSON.stringify(o)}`);

describe('a healthy tunnel', () => {
  it('reports status, name and every connector with its connections; this connector is found by id', async () => {
    const { emulator: api, requests, clock } = await start();
    const a = connector(api.origin, CONNECTOR_A);
    for (const i of [0, 1, 2, 3]) await a.register(i);
    await connector(api.origin, CONNECTOR_B).register(0);
    const { edge } = collector(api.url, clock.now);
    const seen: Observation[] = [];
    const runner = new CollectorRunner([edge], (batch) => seen.push(...batch), { now: clock.now });
    await runner.runOnce('edge');

    expect(requests.map((r) => `${r.method} ${r.path} ${String(r.status)}`).sort()).toEqual([
      `GET /client/v4/accounts/${ACCOUNT}/cfd_tunnel/${TUNNEL} 200`,
      `GET /client/v4/accounts/${ACCOUNT}/cfd_tunnel/${TUNNEL}/connections 200`,
    ]);
    const [obs] = seen;
    if (obs?.kind !== 'edge' || !obs.ok) throw new Error(`expected a good edge observation, got ${JSON.stringify(obs)}`);
    expect(obs).toMatchObject({ at: clock.now(), tunnelStatus: 'healthy', tunnelName: 'prod-web' });
    expect(obs.connectors.map((c) => c.id).sort()).toEqual([CONNECTOR_A, CONNECTOR_B].sort());
    const self = obs.connectors.find((c) => c.id === CONNECTOR_A);
    expect(self).toMatchObject({ version: '2026.8.2', arch: 'linux_amd64', runAt: '2026-09-01T11:59:58Z' });
    expect(self?.connections).toHaveLength(4);
    expect(self?.connections[1]).toEqual({
      id: a.connection(1),
      colo: 'lax08',
      openedAt: new Date(clock.now()).toISOString(),
      originIp: '203.0.113.10',
      pendingReconnect: false,
    });

    const spans = exporter.getFinishedSpans();
    const cycle = spans.find((s) => s.name === 'collect edge');
    expect(cycle?.attributes).toMatchObject({ collector: 'edge', 'tunnelwatch.connector_id': CONNECTOR_A, 'tunnelwatch.connector_listed': true });
    const calls = spans.filter((s) => s.name.startsWith('cloudflare '));
    expect(calls.map((s) => s.name).sort()).toEqual(['cloudflare zeroTrust.tunnels.cloudflared.connections.get', 'cloudflare zeroTrust.tunnels.cloudflared.get']);
    expect(calls.every((s) => s.parentSpanContext?.spanId === cycle?.spanContext().spanId)).toBe(true);
    expect(runner.stats.get('edge')).toMatchObject({ lastSuccess: true, runs: 1 });
  });

  it('marks connections the edge keeps as pending reconnect', async () => {
    const { emulator: api, clock } = await start();
    const a = connector(api.origin, CONNECTOR_A);
    await a.register(0);
    await a.register(1);
    await a.unregister(1, true);
    const obs = await collector(api.url, clock.now).collect();
    if (!obs?.ok) throw new Error(errorOf(obs));
    expect(obs.connectors[0]?.connections.map((c) => c.pendingReconnect)).toEqual([false, true]);
  });
});

describe('failures', () => {
  it('honours a 429 Retry-After: no request before it has passed, ok:false meanwhile', async () => {
    const { emulator: api, requests, clock } = await start();
    api.setFaults({ status: 429, count: 2, retryAfter: 30 });
    const { collect, edge } = collector(api.url, clock.now, { intervalMs: 5000 });

    const limited = errorOf(await collect());
    expect(limited).toMatch(/^zeroTrust\.tunnels\.cloudflared(\.connections)?\.get answered HTTP 429 \(971 Please wait and consider throttling your request speed\); no call before its Retry-After of 30s$/);
    expect(edge.notBefore).toBe(clock.now() + 30_000);
    expect(requests).toHaveLength(2);

    for (const [advanceS, leftS] of [[5, 25], [5, 20], [19, 1]] as const) {
      clock.advance(advanceS * 1000);
      expect(errorOf(await collect())).toBe(`rate limited by the Cloudflare API (HTTP 429), next try in ${String(leftS)}s`);
    }
    expect(requests).toHaveLength(2);

    clock.advance(1000);
    expect(await collect()).toMatchObject({ ok: true, tunnelStatus: 'inactive' });
    expect(requests).toHaveLength(4);
  });

  it('holds back after a 503 with Retry-After, and not after a 500 without one', async () => {
    const { emulator: api, requests, clock } = await start();
    const { collect } = collector(api.url, clock.now);
    api.setFaults({ status: 500, count: 1 });
    expect(errorOf(await collect())).toMatch(/answered HTTP 500 \(500 Internal Server Error \(injected by the emulator\)\)$/);
    expect(await collect()).toMatchObject({ ok: true });
    api.setFaults({ status: 503, count: 2, retryAfter: 12 });
    expect(errorOf(await collect())).toMatch(/answered HTTP 503 .*; no call before its Retry-After of 12s$/);
    const before = requests.length;
    clock.advance(2000);
    expect(errorOf(await collect())).toBe('Cloudflare API unavailable (HTTP 503), next try in 10s');
    expect(requests).toHaveLength(before);
  });

  it('reports an API that is down, or too slow, naming the call', async () => {
    const { emulator: api, clock } = await start();
    const { collect } = collector(api.url, clock.now, { timeoutMs: 100 });
    api.setFaults({ latencyMs: 400 });
    expect(errorOf(await collect())).toMatch(/^zeroTrust\.tunnels\.cloudflared(\.connections)?\.get timed out after 0\.1s \(http:\/\/127\.0\.0\.1:\d+\/client\/v4\)$/);
    api.setFaults({ latencyMs: 0 });
    await api.close();
    const down = errorOf(await collect());
    expect(down).not.toContain(TOKEN);
    expect(down).toMatch(/^zeroTrust\.tunnels\.cloudflared(\.connections)?\.get could not reach http:\/\/127\.0\.0\.1:\d+\/client\/v4: .*ECONNREFUSED/);
  });

  it('names the setting to check on 403 and 404', async () => {
    const { emulator: api, clock } = await start();
    const denied = await collector(api.url, clock.now, { apiToken: new Secret('wrong-token-value') }).collect();
    expect(errorOf(denied)).toMatch(/answered HTTP 403 \(10000 Authentication error\); check edge\.apiToken/);
    expect(errorOf(denied)).not.toContain('wrong-token-value');
    const missing = await collector(api.url, clock.now, { tunnelId: '99999999-9999-4999-8999-999999999999' }).collect();
    expect(errorOf(missing)).toMatch(/answered HTTP 404 \(1002 Tunnel not found\); check edge\.accountId and edge\.tunnelId$/);
  });

  it('never puts the token in an error, even when the API echoes it back', async () => {
    const token = 'echoed-secret-token-42';
    server = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: false, errors: [{ code: 6003, message: `Invalid request headers: ${auth}` }], messages: [], result: null }));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/client/v4`;
    const clock = manualClock();
    const obs = await collector(url, clock.now, { apiToken: new Secret(token) }).collect();
    const error = errorOf(obs);
    expect(error).toMatch(/answered HTTP 400 \(6003 Invalid request headers: Bearer <secret>\)/);
    expect(error).not.toContain(token);
    expect(JSON.stringify(obs)).not.toContain(token);
  });
});

describe('answers that break the API\'s shape', () => {
  it('a tunnel answer with result: null is a failed poll that says so (it used to throw, keeping the previous error)', async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: true, errors: [], messages: [], result: (req.url ?? '').includes('/connections') ? [] : null }));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/client/v4`;
    expect(errorOf(await collector(url, manualClock().now).collect())).toMatch(/answered result null, not a tunnel$/);
  });
});

describe('budget', () => {
  it('skips a cycle without calling when the budget is short, and stretches its effective interval', async () => {
    const { emulator: api, requests, clock } = await start();
    // 10 requests per 5 minutes: a burst of 2, then 8 per 300 s, i.e. one 2-request cycle every 75 s.
    const { collect, edge } = collector(api.url, clock.now, { budget: new ApiBudget({ share: 10 / 1200 }) });
    expect(edge.effectiveIntervalSeconds).toBe(30);
    expect(await collect()).toMatchObject({ ok: true });
    expect(edge.effectiveIntervalSeconds).toBe(75);
    expect(edge.intervalMs).toBe(75_000);
    clock.advance(30_000);
    expect(await edge.collect({ signal: new AbortController().signal, now: clock.now })).toEqual([]);
    expect(edge.effectiveIntervalSeconds).toBe(45);
    expect(requests).toHaveLength(2);
    clock.advance(45_000);
    expect(await collect()).toMatchObject({ ok: true });
    expect(requests).toHaveLength(4);
  });

  it('says which setting to raise when the share cannot pay for one cycle', async () => {
    const { emulator: api, requests, clock } = await start();
    const obs = await collector(api.url, clock.now, { budget: new ApiBudget({ share: 1 / 1200 }) }).collect();
    expect(errorOf(obs)).toBe('edge.budgetShare allows 1 API requests per 5 minutes, too few for one poll (2 requests); raise edge.budgetShare');
    expect(requests).toEqual([]);
  });
});

describe('ApiBudget', () => {
  const step = fc.record({ gapMs: fc.integer({ min: 0, max: 20_000 }), n: fc.integer({ min: 1, max: 4 }) });

  it('never hands out more than share × 1200 in any 300 s window', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1, noNaN: true }), fc.option(fc.integer({ min: 0, max: 50 })), fc.array(step, { maxLength: 400 }), (share, burst, steps) => {
        const budget = new ApiBudget(burst === null ? { share } : { share, burst });
        const taken: { at: number; n: number }[] = [];
        let now = 0;
        for (const { gapMs, n } of steps) {
          now += gapMs;
          if (budget.tryTake(n, now)) taken.push({ at: now, n });
        }
        // Closed windows [t, t + 300 s], stricter than half-open ones.
        let from = 0;
        let sum = 0;
        for (const take of taken) {
          sum += take.n;
          while ((taken[from]?.at ?? take.at) < take.at - 300_000) sum -= taken[from++]?.n ?? 0;
          expect(sum).toBeLessThanOrEqual(budget.allowance);
        }
        expect(budget.allowance).toBe(Math.floor(share * 1200));
      }),
    );
  });

  it('nextAvailableAt is exact: a take succeeds then and not a millisecond before', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.005, max: 1, noNaN: true }), fc.array(step, { maxLength: 100 }), fc.integer({ min: 1, max: 3 }), (share, steps, n) => {
        const budget = new ApiBudget({ share });
        let now = 0;
        for (const { gapMs, n: taken } of steps) {
          now += gapMs;
          budget.tryTake(taken, now);
        }
        const at = budget.nextAvailableAt(n, now);
        if (!Number.isFinite(at)) return;
        if (at > now) expect(budget.tryTake(n, at - 1)).toBe(false);
        expect(budget.tryTake(n, at)).toBe(true);
      }),
    );
  });

  it('uses its share: greedy takes over 50 minutes get all but the burst of ten windows\' allowance', () => {
    for (const share of [0.25, 0.05, 10 / 1200]) {
      const budget = new ApiBudget({ share });
      let now = 0;
      let count = 0;
      while (now <= 3_000_000) {
        if (budget.tryTake(2, now)) count += 2;
        now = Math.max(now + 1, budget.nextAvailableAt(2, now));
      }
      expect(count).toBeGreaterThanOrEqual(10 * (budget.allowance - budget.burst));
      expect(count).toBeLessThanOrEqual(10 * budget.allowance);
    }
  });

  it('refills nothing while the clock goes back, and never takes more than the burst at once', () => {
    const budget = new ApiBudget({ share: 0.25 });
    expect(budget.burst).toBe(30);
    expect(budget.tryTake(31, 0)).toBe(false);
    expect(budget.nextAvailableAt(31, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(budget.tryTake(30, 0)).toBe(true);
    expect(budget.available(-50_000)).toBe(0);
    expect(budget.available(10_000)).toBe(9);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-09-01T12:00:00Z');
  it('reads retry-after-ms, seconds and HTTP dates, caps at an hour, and ignores junk', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '1.5' }), now)).toBe(1500);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Tue, 01 Sep 2026 12:00:20 GMT' }), now)).toBe(20_000);
    expect(retryAfterMs(new Headers({ 'retry-after': '86400' }), now)).toBe(3_600_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
