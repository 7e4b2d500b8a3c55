// `tunnelwatch doctor` beside the real cloudflared and the loopback edge: all PASS on a healthy setup; the
// matching FAIL with its fix for a dead origin, a self-signed origin, a taken metrics port, UDP blocked under
// protocol quic, a bad token, and a running tunnelwatch whose diagnosis names a cause.
import { writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/index.js';
import { createSelfSigned } from '../../src/emulator/self-signed-cert.js';
import { runBin } from '../helpers/cli.js';
import { serverAddress, statusUntil } from '../helpers/run-observe.js';
import { trackedProcesses, type TunnelwatchRun } from '../helpers/run-process.js';
import { HOSTS, startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

interface Report {
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

describe('tunnelwatch doctor beside the real cloudflared', () => {
  let world: RealWorld;
  let appOnly: string;
  let taken: Server;
  beforeAll(async () => {
    world = await startRealWorld({ protocol: 'quic' });
    appOnly = join(world.dir, 'app-only.yml');
    writeFileSync(appOnly, `ingress:\n  - hostname: ${HOSTS.app}\n    service: http://${world.app.address}\n  - service: http_status:404\n`);
    // Something that is not cloudflared on a port: it takes connections and drops them. A socket left unread would
    // never see its peer close, and close() would wait for it for ever.
    taken = createServer((socket) => { socket.destroy(); });
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await world.stop();
  });

  /** tunnelwatch running the real cloudflared, healthy; the address of cloudflared's metrics server. */
  const healthyRun = async (): Promise<{ run: TunnelwatchRun; metrics: string }> => {
    const run = p.run(world.env(), [], world.cloudflared);
    await statusUntil(run, (s) => (s.state === 'healthy' && s.registeredConnections === 4 ? s : undefined), 'healthy 4 of 4', 60_000);
    const announced = await run.until(() => run.records.find((r) => r.source === 'cloudflared' && r.event === 'metrics_server'), 'the metrics server line');
    return { run, metrics: /Starting metrics server on (\S+)\/metrics/.exec(String(announced.msg))?.[1] ?? 'none' };
  };

  const doctor = async (extra: Readonly<Record<string, string>>, args: readonly string[] = []): Promise<{ code: number; report: Report }> => {
    const env = world.env({ TUNNELWATCH_CLOUDFLARED_CONFIG: appOnly, ...extra });
    const result = await runBin(['doctor', '--json', ...args], { env });
    expect(result.stderr).toBe('');
    return { code: result.code, report: JSON.parse(result.stdout) as Report };
  };
  const check = (report: Report, name: string): CheckResult | undefined => report.checks.find((c) => c.name === name);

  it('all PASS on a healthy setup: config, token, edge TCP and UDP, the origin, the running connector', async () => {
    const { metrics } = await healthyRun();
    const { code, report } = await doctor({ TUNNELWATCH_CLOUDFLARED_METRICS: metrics });
    expect(report.checks.filter((c) => c.verdict === 'WARN' || c.verdict === 'FAIL')).toEqual([]);
    expect(code).toBe(0);
    expect(report.checks.filter((c) => c.verdict === 'PASS').map((c) => c.name)).toEqual(
      expect.arrayContaining(['config', 'token', 'metrics address', 'clock', 'edge tcp 7844', 'edge udp 7844', `origin rule0:http://${world.app.address}`, 'connector /ready', 'connector /metrics', 'connector /config']),
    );
    expect(check(report, 'token')?.summary).toMatch(/^names tunnel 3a5c7e9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d of account /);
    expect(check(report, 'connector /ready')?.summary).toBe(`${metrics}: 4 of 4 HA connections`);
  });

  it('a dead origin: FAIL, named refused, with the fix', async () => {
    const { code, report } = await doctor({ TUNNELWATCH_CLOUDFLARED_CONFIG: join(world.dir, 'config.yml') });
    expect(code).toBe(1);
    const dead = check(report, `origin rule1:http://${world.deadAddress}`);
    expect(dead).toMatchObject({ verdict: 'FAIL', cause: 'origin_refused' });
    expect(dead?.fix).toMatch(/Nothing listens/);
  });

  it('a self-signed HTTPS origin: FAIL origin_tls_untrusted, the fix caPool and originServerName, never noTLSVerify', async () => {
    const cert = createSelfSigned({ commonName: 'selfsigned.real.example', altNames: ['selfsigned.real.example'] });
    const server = createHttpsServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const config = join(world.dir, 'self-signed.yml');
      writeFileSync(config, `ingress:\n  - hostname: secure.real.example\n    service: https://127.0.0.1:${String((server.address() as AddressInfo).port)}\n  - service: http_status:404\n`);
      const { code, report } = await doctor({ TUNNELWATCH_CLOUDFLARED_CONFIG: config });
      expect(code).toBe(1);
      const origin = report.checks.find((c) => c.name.startsWith('origin rule0:https://'));
      expect(origin).toMatchObject({ verdict: 'FAIL', cause: 'origin_tls_untrusted' });
      expect(origin?.fix).toMatch(/caPool.*originServerName.*noTLSVerify only hides the problem/);
    } finally {
      server.close();
    }
  });

  it('the metrics port taken by something that is not cloudflared: FAIL metrics_port_in_use', async () => {
    const { code, report } = await doctor({ TUNNELWATCH_CLOUDFLARED_METRICS: `127.0.0.1:${String((taken.address() as AddressInfo).port)}` });
    expect(code).toBe(1);
    expect(check(report, 'metrics address')).toMatchObject({ verdict: 'FAIL', cause: 'metrics_port_in_use' });
  });

  it('a token that cannot be read: FAIL token_malformed, the token never shown', async () => {
    const { code, report } = await doctor({ TUNNELWATCH_CLOUDFLARED_TOKEN: 'not-a-token-at-all-xyz' });
    expect(code).toBe(1);
    expect(check(report, 'token')).toMatchObject({ verdict: 'FAIL', cause: 'token_malformed' });
    expect(JSON.stringify(report)).not.toContain('not-a-token-at-all-xyz');
  });

  it('UDP blocked at the edge with protocol quic: FAIL udp_7844_blocked; the running tunnelwatch\'s diagnosis is read too', async () => {
    const { run } = await healthyRun();
    await statusUntil(run, (s) => (s.diagnosis.some((d) => d.cause === 'single_replica') ? s : undefined), 'the edge view listing one connector');
    expect(await world.edge.fault({ action: 'block-udp' })).toBe(4);
    try {
      const { code, report } = await doctor({ TUNNELWATCH_CLOUDFLARED_PROTOCOL: 'quic' }, ['--tunnelwatch', `http://${await serverAddress(run)}`]);
      expect(code).toBe(1);
      expect(check(report, 'edge udp 7844')).toMatchObject({ verdict: 'FAIL', cause: 'udp_7844_blocked' });
      expect(check(report, 'edge tcp 7844')?.verdict).toBe('PASS');
      // One replica in this world: the running tunnelwatch's diagnosis says so.
      expect(check(report, 'tunnelwatch single_replica')).toMatchObject({ verdict: 'FAIL', cause: 'single_replica' });
    } finally {
      await world.edge.fault({ action: 'unblock-udp' });
    }
  });
});
