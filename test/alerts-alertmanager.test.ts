import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertmanagerClient, type PostableAlert } from '../src/alerts/alertmanager.js';
import { AlertEngine, type LogFn } from '../src/alerts/engine.js';
import { effectiveRules, type RuleOverride } from '../src/alerts/overrides.js';
import type { AlertInputs } from '../src/alerts/rules.js';
import { NOW, TUNNEL_ID } from './helpers/health-snapshots.js';
import { REPLICA, calmInputs, downInputs } from './helpers/alert-inputs.js';

const S = 1000;

interface Received { path: string; authorization: string | undefined; alerts: PostableAlert[] }

/** A fake Alertmanager on 127.0.0.1: records every POST body; `status` answers them; `hang` never answers. */
class FakeAlertmanager {
  readonly received: Received[] = [];
  status = 200;
  hang = false;
  port = 0;
  #server: Server | undefined;
  #waiters: (() => void)[] = [];

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => { void this.#handle(req, res); });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => { resolve(); });
    });
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Alert names per request, e.g. [['Watchdog'], ['TunnelConnectorUnhealthy']]. */
  names(): string[][] {
    return this.received.map((r) => r.alerts.map((a) => a.labels.alertname ?? '').sort());
  }

  nextRequest(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.received.push({ path: `${req.method ?? ''} ${req.url ?? ''}`, authorization: req.headers.authorization, alerts: JSON.parse(Buffer.concat(chunks).toString('utf8')) as PostableAlert[] });
    for (const w of this.#waiters.splice(0)) w();
    if (this.hang) return;
    res.writeHead(this.status, { 'content-type': 'application/json' });
    res.end(this.status === 200 ? '' : '{"code":400,"message":"bad alert"}');
  }
}

const servers: FakeAlertmanager[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
async function fake(port = 0): Promise<FakeAlertmanager> {
  const s = await new FakeAlertmanager().start(port);
  servers.push(s);
  return s;
}

interface Harness {
  dispatch(inputs: AlertInputs, t: number): void;
  tick(inputs: AlertInputs, t: number): Promise<void>;
  client: AlertmanagerClient;
  logs: string[];
}

/** Engine and client driven by a fake clock: each tick evaluates at NOW + t and waits for the requests. */
function harness(urls: string[], overrides: RuleOverride[], timeoutMs?: number): Harness {
  const logs: string[] = [];
  const log: LogFn = (level, fields, msg) => logs.push(`${level} ${msg} ${JSON.stringify(fields)}`);
  const engine = new AlertEngine({ rules: effectiveRules([{ alert: 'Watchdog', enabled: false }, ...overrides]), runbookBaseUrl: 'https://runbooks.example', log });
  const client = new AlertmanagerClient({ urls, resendIntervalMs: 60 * S, evaluationIntervalMs: S, generatorUrl: 'http://tw-0:9464/status', log, ...(timeoutMs ? { timeoutMs } : {}) });
  return {
    client,
    logs,
    dispatch(inputs, t) {
      client.dispatch(engine.evaluate(inputs, NOW + t), NOW + t);
    },
    async tick(inputs, t) {
      this.dispatch(inputs, t);
      await client.idle();
    },
  };
}

const iso = (t: number): string => new Date(NOW + t).toISOString();
const UNHEALTHY: RuleOverride = { alert: 'TunnelConnectorUnhealthy', enabled: true, for: 10 * S, keepFiringFor: 0 };

describe('Alertmanager client against a real HTTP server', () => {
  it('posts API v2 alerts to every Alertmanager; one down then back misses nothing', async () => {
    const a = await fake();
    const b = await fake();
    const bPort = b.port;
    await b.stop(); // B is down: connection refused
    const h = harness([a.url, b.url], [UNHEALTHY]);

    await h.tick(downInputs(), 0); // pending: nothing to send
    expect(a.received).toEqual([]);
    await h.tick(downInputs(), 10 * S); // fires after exactly `for`
    expect(a.names()).toEqual([['TunnelConnectorUnhealthy']]);

    const [request] = a.received;
    expect(request?.path).toBe('POST /api/v2/alerts');
    expect(request?.alerts).toEqual([
      {
        labels: { alertname: 'TunnelConnectorUnhealthy', severity: 'critical', tunnel_id: TUNNEL_ID, replica: REPLICA },
        annotations: {
          summary: `Connector of tunnel ${TUNNEL_ID} on replica ${REPLICA} has no registered connection`,
          description: expect.any(String) as string,
          runbook_url: 'https://runbooks.example/TunnelConnectorUnhealthy.md',
        },
        startsAt: iso(10 * S),
        endsAt: iso(10 * S + 4 * 60 * S),
        generatorURL: 'http://tw-0:9464/status',
      },
    ]);
    expect(h.logs.filter((l) => l.includes('did not accept'))).toHaveLength(1);

    await h.tick(downInputs(), 11 * S); // B still down: retried, A not re-sent before resendInterval
    expect(a.received).toHaveLength(1);
    expect(h.logs.filter((l) => l.includes('did not accept'))).toHaveLength(1); // once per outage

    const back = await fake(bPort); // B recovers on the same address
    await h.tick(downInputs(), 12 * S);
    expect(back.names()).toEqual([['TunnelConnectorUnhealthy']]);
    expect(back.received[0]?.alerts[0]?.startsAt).toBe(iso(10 * S));
    expect(a.received).toHaveLength(1);
    expect(h.logs.some((l) => l.includes('accepts alerts again'))).toBe(true);

    expect(h.client.counts()).toEqual([
      { alertmanager: a.url, outcome: 'success', value: 1 },
      { alertmanager: a.url, outcome: 'rejected', value: 0 },
      { alertmanager: a.url, outcome: 'error', value: 0 },
      { alertmanager: b.url, outcome: 'success', value: 1 },
      { alertmanager: b.url, outcome: 'rejected', value: 0 },
      { alertmanager: b.url, outcome: 'error', value: 2 },
    ]);
  });

  it('re-sends firing alerts every resendInterval, resolves with endsAt now and repeats the resolve for 5 minutes', async () => {
    const a = await fake();
    const h = harness([a.url], [UNHEALTHY]);
    await h.tick(downInputs(), 0);
    await h.tick(downInputs(), 10 * S);
    await h.tick(downInputs(), 69 * S);
    expect(a.received).toHaveLength(1);
    await h.tick(downInputs(), 70 * S);
    expect(a.received).toHaveLength(2);
    expect(a.received[1]?.alerts[0]).toMatchObject({ startsAt: iso(10 * S), endsAt: iso(70 * S + 240 * S) });

    await h.tick(calmInputs(), 75 * S); // resolved at once (keep_firing_for 0)
    expect(a.received[2]?.alerts[0]).toMatchObject({ startsAt: iso(10 * S), endsAt: iso(75 * S) });
    await h.tick(calmInputs(), 134 * S);
    expect(a.received).toHaveLength(3);
    await h.tick(calmInputs(), 135 * S); // resolve repeated after resendInterval
    expect(a.received[3]?.alerts[0]).toMatchObject({ endsAt: iso(75 * S) });
    await h.tick(calmInputs(), 75 * S + 5 * 60 * S - 1); // still within the 5 minutes: repeated once more
    expect(a.received).toHaveLength(5);
    await h.tick(calmInputs(), 75 * S + 5 * 60 * S); // 5 minutes after the resolve: forgotten
    await h.tick(calmInputs(), 75 * S + 9 * 60 * S);
    expect(a.received).toHaveLength(5);
  });

  it('does not re-notify for a flap inside keep_firing_for', async () => {
    const a = await fake();
    const h = harness([a.url], [{ ...UNHEALTHY, keepFiringFor: 120 * S }]);
    await h.tick(downInputs(), 0);
    await h.tick(downInputs(), 10 * S);
    for (const [t, down] of [[20, false], [30, true], [40, false], [50, true]] as const) await h.tick(down ? downInputs() : calmInputs(), t * S);
    expect(a.received).toHaveLength(1);
  });

  it('sends credentials from the URL as Basic auth and never names them', async () => {
    const a = await fake();
    a.status = 400;
    const h = harness([`http://am:s3cr3t-pass@127.0.0.1:${a.port}/sub/`], [{ ...UNHEALTHY, for: 0 }]);
    await h.tick(downInputs(), 0);
    expect(a.received[0]?.path).toBe('POST /sub/api/v2/alerts');
    expect(a.received[0]?.authorization).toBe(`Basic ${Buffer.from('am:s3cr3t-pass').toString('base64')}`);
    const rejected = h.client.counts().find((c) => c.outcome === 'rejected');
    expect(rejected).toEqual({ alertmanager: `http://127.0.0.1:${a.port}/sub`, outcome: 'rejected', value: 1 });
    expect(h.logs.join('\n')).toContain('HTTP 400');
    expect(h.logs.join('\n')).not.toContain('s3cr3t');
  });

  it('an Alertmanager that hangs does not hold up the others', async () => {
    const slow = await fake();
    slow.hang = true;
    const fast = await fake();
    const h = harness([slow.url, fast.url], [{ ...UNHEALTHY, for: 0 }], 500);
    const arrived = fast.nextRequest();
    h.dispatch(downInputs(), 0);
    await arrived;
    const slowCounts = (): number[] => h.client.counts().filter((c) => c.alertmanager === slow.url).map((c) => c.value);
    expect(slowCounts()).toEqual([0, 0, 0]); // still waiting for the slow one
    await h.client.idle();
    expect(slowCounts()).toEqual([0, 0, 1]); // timed out: an error, sent again on the next tick
    expect(fast.names()).toEqual([['TunnelConnectorUnhealthy']]);
  });
});
