// End to end: two replicas of one tunnel against one Cloudflare API emulator (`tunnelwatch emulate api`, its own
// process), each `tunnelwatch run` supervising its own emulated connector, both pushing to the same real
// Alertmanager (Debian prometheus-alertmanager). When one connector loses every connection, both replicas see
// the edge list fewer than 2 healthy connectors and both send TunnelHALost (`for` compressed to 5 s) with the
// identical label set {alertname, severity, tunnel_id}: Alertmanager must deliver it once, not twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTunnelToken } from '../../src/cloudflared/token.js';
import { startAlertmanager, startWebhook, runningServers, waitFor, type Alertmanager, type Webhook } from '../helpers/obs-servers.js';
import { metric, get, statusUntil } from '../helpers/run-observe.js';
import { baseEnv, isGone, trackedProcesses, type Ports, type TunnelwatchRun } from '../helpers/run-process.js';

const BIN = fileURLToPath(new URL('../../bin/tunnelwatch', import.meta.url));
const ALERT = 'TunnelHALost';
const ACCOUNT = randomBytes(16).toString('hex');
const TUNNEL = '6f1c2b7e-4d3a-4b8e-9c1f-2a5d7e9b0c34';
const SECRET = randomBytes(32);
const API_TOKEN = randomBytes(24).toString('base64url');

const p = trackedProcesses();
const dir = mkdtempSync(join(tmpdir(), 'tw-alerts-ha-'));
let webhook: Webhook;
let am: Alertmanager;
let api: { child: ChildProcess; url: string; origin: string };

/** `tunnelwatch emulate api` with one remotely-managed tunnel; resolves once it printed where it listens. */
async function startApi(): Promise<typeof api> {
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify({
    apiTokens: [API_TOKEN],
    // Two replicas polling every second must never meet the emulated rate limit.
    rateLimit: { limit: 100_000, windowMs: 300_000 },
    accounts: [{ id: ACCOUNT, tunnels: [{ id: TUNNEL, name: 'ha', secret: SECRET.toString('base64'), config_src: 'cloudflare', config: { version: 1, config: { ingress: [{ service: 'http_status:404' }] } } }] }],
  }));
  const child = spawn(process.execPath, [BIN, 'emulate', 'api', '--state', seed], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => { resolve(d.toString('utf8')); });
    child.once('exit', (code) => { reject(new Error(`emulate api exited (${String(code)}) before listening: ${stderr}`)); });
  });
  const { url, origin } = JSON.parse(line) as { url: string; origin: string };
  return { child, url, origin };
}

beforeAll(async () => {
  webhook = await startWebhook();
  am = await startAlertmanager(webhook.url);
  api = await startApi();
});

afterAll(async () => {
  api.child.kill('SIGTERM');
  await waitFor(() => (isGone(api.child.pid ?? 0) ? true : undefined), 'the API emulator to exit', 10_000);
  await am.close();
  await webhook.close();
  rmSync(dir, { recursive: true, force: true });
  expect(runningServers()).toEqual([]);
});

function replica(name: string): { run: TunnelwatchRun; portsFile: string } {
  const portsFile = join(dir, `${name}.ports.json`);
  const run = p.run(baseEnv(join(dir, `${name}-spool`), {
    TUNNELWATCH_IDENTITY_REPLICA: name,
    TUNNELWATCH_CLOUDFLARED_BINARY: 'emulator',
    TUNNELWATCH_CLOUDFLARED_TOKEN: encodeTunnelToken({ accountTag: ACCOUNT, tunnelId: TUNNEL, secret: SECRET }),
    TUNNELWATCH_CLOUDFLARED_POLL_INTERVAL: '200ms',
    TUNNELWATCH_EDGE_API_TOKEN: API_TOKEN,
    TUNNELWATCH_EDGE_ACCOUNT_ID: ACCOUNT,
    TUNNELWATCH_EDGE_TUNNEL_ID: TUNNEL,
    TUNNELWATCH_EDGE_BASE_URL: api.url,
    TUNNELWATCH_EDGE_POLL_INTERVAL: '1s',
    TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
    TUNNELWATCH_ALERTS_ALERTMANAGERS: am.url,
    TUNNELWATCH_ALERTS_EVALUATION_INTERVAL: '500ms',
    TUNNELWATCH_ALERTS_RULES: JSON.stringify([{ alert: ALERT, for: '5s', keepFiringFor: '0s' }]),
    CFEMU_API: api.origin,
    CFEMU_EDGE: '127.0.0.1:0',
    CFEMU_CONTROL: '127.0.0.1:0',
    CFEMU_PORTS_FILE: portsFile,
  }));
  return { run, portsFile };
}

/** POSTs a fault to the emulated connector whose ports file is `portsFile`. */
async function fault(portsFile: string, body: Readonly<Record<string, unknown>>): Promise<void> {
  const { control } = JSON.parse(readFileSync(portsFile, 'utf8')) as Ports;
  const reply = await fetch(`http://${control}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (reply.status !== 200) throw new Error(`fault ${JSON.stringify(body)} refused: HTTP ${String(reply.status)} ${await reply.text()}`);
}

/** Waits until `run` sees `count` connectors on the edge with a live connection. */
const edgeHealthy = (run: TunnelwatchRun, ok: (count: number) => boolean, what: string): Promise<unknown> =>
  statusUntil(run, (s) => {
    const healthy = s.edge.connectors.filter((c) => c.connections.some((x) => !x.pendingReconnect)).length;
    return s.edge.status !== 'unknown' && ok(healthy) ? true : undefined;
  }, what, 20_000);

const accepted = async (run: TunnelwatchRun): Promise<number> => metric((await get(run, '/metrics')).body, 'tunnelwatch_alertmanager_notifications_total', { outcome: 'success' }) ?? 0;

const firingRecord = (run: TunnelwatchRun, t0: number): Promise<unknown> =>
  run.until(() => run.records.find((r) => typeof r.time === 'number' && r.time >= t0 && r.msg === `alert ${ALERT} firing`), `the "alert ${ALERT} firing" record`, 20_000);

describe('two replicas of one tunnel, one Alertmanager', () => {
  it('delivers TunnelHALost once when one connector loses every connection', { timeout: 85_000 }, async () => {
    const a = replica('replica-a');
    const b = replica('replica-b');
    await Promise.all([a.run.registered(), b.run.registered()]);
    await Promise.all([edgeHealthy(a.run, (n) => n === 2, 'two healthy connectors seen by replica-a'), edgeHealthy(b.run, (n) => n === 2, 'two healthy connectors seen by replica-b')]);
    expect(webhook.find(ALERT)).toEqual([]);
    const [beforeA, beforeB] = [await accepted(a.run), await accepted(b.run)];

    const t0 = Date.now();
    await fault(b.portsFile, { fault: 'edge_unreachable' });
    await fault(b.portsFile, { fault: 'drop_all' });
    await Promise.all([edgeHealthy(a.run, (n) => n < 2, 'replica-a seeing fewer than 2 healthy connectors'), edgeHealthy(b.run, (n) => n < 2, 'replica-b seeing fewer than 2 healthy connectors')]);
    await Promise.all([firingRecord(a.run, t0), firingRecord(b.run, t0)]);
    // Both replicas have pushed the firing alert (the only alert sent since the fault) and Alertmanager took it.
    await waitFor(async () => ((await accepted(a.run)) > beforeA && (await accepted(b.run)) > beforeB ? true : undefined), 'both replicas to push to Alertmanager', 10_000);
    const firing = await waitFor(() => webhook.find(ALERT, 'firing')[0], `${ALERT} firing at the webhook`, 15_000);
    expect(firing.labels).toEqual({ alertname: ALERT, severity: 'critical', tunnel_id: TUNNEL });
    expect(firing.startsAt).toBeGreaterThanOrEqual(t0 + 5000);

    // The resolve comes several group_interval flushes after both pushes: a duplicate would have arrived first.
    await fault(b.portsFile, { fault: 'clear' });
    await waitFor(() => webhook.find(ALERT, 'resolved')[0], `${ALERT} resolved at the webhook`, 30_000);
    expect(webhook.find(ALERT, 'firing')).toHaveLength(1);
    expect(webhook.find(ALERT, 'resolved')).toHaveLength(1);
  });
});
