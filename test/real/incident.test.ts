// Incident bundles with the real cloudflared through the loopback edge: every connection dropped while the edge
// holds registrations turns the connector down, and tunnelwatch writes a bundle of that moment (its snapshot and
// diagnosis, cloudflared's /ready, /metrics, /config and /diag answers, both /metrics, the newest records, the
// settings), bounded and free of every secret; its path is on /status and in the record. One more on demand
// through `tunnelwatch incident`, and the oldest beyond incidents.keep are removed.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, metric, ownRecord, serverAddress, status, statusUntil } from '../helpers/run-observe.js';
import { trackedProcesses } from '../helpers/run-process.js';
import { startRealWorld, type RealWorld } from './helpers/world.js';

const BIN = fileURLToPath(new URL('../../bin/tunnelwatch', import.meta.url));
const MAX_BYTES = 256 * 1024;
const p = trackedProcesses();

interface Bundle {
  trigger: string;
  reason: string;
  snapshot: { state: string };
  diagnosis: { cause: string }[];
  connector: Record<string, { status?: number; body?: string; error?: string }>;
  metrics: string;
  records: { msg?: string; source?: string }[];
  settings: { cloudflared: { token: string }; edge: { apiToken: string } };
}

describe('incident bundles of the real cloudflared', () => {
  let world: RealWorld;
  beforeAll(async () => { world = await startRealWorld({ protocol: 'quic' }); });
  afterAll(async () => {
    await world.edge.fault({ action: 'slow', delayMs: 0 });
    await world.stop();
  });

  it('writes one when the connector goes down, free of every secret, and one more on demand', async () => {
    const run = p.run(world.env({ TUNNELWATCH_INCIDENTS_MAX_BYTES: String(MAX_BYTES), TUNNELWATCH_INCIDENTS_KEEP: '1' }), [], world.cloudflared);
    await statusUntil(run, (s) => (s.state === 'healthy' && s.registeredConnections === 4 ? s : undefined), 'healthy 4 of 4', 60_000);

    // Every connection dropped while the edge holds registrations: the connector is down until it answers.
    await world.edge.fault({ action: 'slow', delayMs: 120_000 });
    expect(await world.edge.fault({ action: 'close' })).toBe(4);
    const written = await run.until(() => ownRecord(run, 'incident bundle written: '), 'the incident bundle record', 30_000);
    expect(written).toMatchObject({ event: 'incident_bundle', trigger: 'down' });
    const path = String(written.path);
    expect(path).toMatch(/\/spool\/incidents\/incident-\d{8}T\d{9}Z-down\.json$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_BYTES);

    // Free of every secret: the tunnel token, the secret inside it, the API token.
    const secret = (JSON.parse(Buffer.from(world.token, 'base64').toString('utf8')) as { s: string }).s;
    for (const value of [world.token, secret, world.apiToken]) expect(text).not.toContain(value);

    const bundle = JSON.parse(text) as Bundle;
    expect(bundle.trigger).toBe('down');
    expect(bundle.reason).toMatch(/^state (healthy|degraded) -> down: /);
    expect(bundle.snapshot.state).toBe('down');
    expect(bundle.settings.cloudflared.token).toMatch(/^<(secret|redacted)>$/);
    expect(bundle.settings.edge.apiToken).toMatch(/^<(secret|redacted)>$/);
    expect(bundle.connector['/ready']?.status).toBe(503);
    expect(bundle.connector['/metrics']?.body).toMatch(/^cloudflared_tunnel_ha_connections /m);
    expect(JSON.parse(bundle.connector['/config']?.body ?? '{}')).toHaveProperty('config');
    for (const path of ['/diag/tunnel', '/diag/configuration', '/diag/system']) expect(bundle.connector[path]?.status).toBeDefined();
    expect(bundle.metrics).toMatch(/^tunnelwatch_connector_state\{state="down"\} 1$/m);
    expect(bundle.records.some((r) => r.source === 'cloudflared')).toBe(true);
    expect(bundle.records.some((r) => r.msg?.startsWith('cloudflared started') === true)).toBe(true);

    expect((await status(run) as unknown as { incident?: { path: string } }).incident?.path).toBe(path);
    expect(metric((await get(run, '/metrics')).body, 'tunnelwatch_incident_bundles_total', { trigger: 'down' })).toBe(1);

    // On demand, from the command line; incidents.keep 1 removes the first.
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'incident', '--tunnelwatch', `http://${await serverAddress(run)}`]);
    const demanded = /^incident bundle written by \S+: (\S+) \(\d+ bytes, /.exec(stdout)?.[1];
    expect(demanded).toMatch(/-on_demand\.json$/);
    expect(readdirSync(dirname(path))).toEqual([String(demanded).split('/').pop()]);
    expect(JSON.parse(readFileSync(join(String(demanded)), 'utf8'))).toMatchObject({ trigger: 'on_demand' });
    expect(metric((await get(run, '/metrics')).body, 'tunnelwatch_incident_bundles_total', { trigger: 'on_demand' })).toBe(1);
  });
});
