// The doctor's checks on loopback, without cloudflared: what each says, the verdicts and the exit code.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeArgs, flagValues } from '../src/cloudflared/config/index.js';
import { encodeTunnelToken } from '../src/cloudflared/token.js';
import { loadSettings } from '../src/config/load.js';
import type { Settings } from '../src/config/index.js';
import { doctorExitCode, runDoctor, type CheckResult } from '../src/doctor/index.js';
import { checkMetricsAddress, checkProxy, checkToken } from '../src/doctor/local-checks.js';
import { runBin, runCli } from './helpers/cli.js';

const TUNNEL = '3a5c7e9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d';
const TOKEN = encodeTunnelToken({ accountTag: '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e', tunnelId: TUNNEL, secret: Buffer.alloc(32, 7) });

function settings(env: Readonly<Record<string, string>>): Settings {
  const loaded = loadSettings({ env: { TUNNELWATCH_LOGS_SPOOL_DIR: '/tmp/unused', ...env } });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.settings;
}

const listen = async (server: Server | HttpServer): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

describe('doctor checks', () => {
  let origin: HttpServer;
  let originPort: number;
  let dead: number;
  let taken: Server;
  let dir: string;
  beforeAll(async () => {
    origin = createHttpServer((_req, res) => res.end('ok'));
    originPort = await listen(origin);
    const closed = createServer();
    dead = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    // Takes connections and drops them, as a port held by something that is not cloudflared may.
    taken = createServer((socket) => { socket.destroy(); });
    await listen(taken);
    dir = mkdtempSync(join(tmpdir(), 'tw-doctor-'));
  });
  afterAll(() => {
    origin.close();
    taken.close();
  });

  it('reads which tunnel the token names, and never shows a bad one', () => {
    expect(checkToken(settings({ TUNNELWATCH_CLOUDFLARED_TOKEN: TOKEN }))).toMatchObject({ verdict: 'PASS', summary: `names tunnel ${TUNNEL} of account 0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e` });
    const other = checkToken(settings({ TUNNELWATCH_CLOUDFLARED_TOKEN: TOKEN, TUNNELWATCH_EDGE_TUNNEL_ID: '00000000-1111-4222-8333-444444444444' }));
    expect(other).toMatchObject({ verdict: 'FAIL', summary: `the token names tunnel ${TUNNEL}, but edge.tunnelId is 00000000-1111-4222-8333-444444444444` });
    const bad = checkToken(settings({ TUNNELWATCH_CLOUDFLARED_TOKEN: 'c2VjcmV0LW5vdC1qc29u' }));
    expect(bad).toMatchObject({ verdict: 'FAIL', cause: 'token_malformed', summary: 'the tunnel token cannot be read: the decoded token is not JSON' });
    expect(JSON.stringify(bad)).not.toContain('c2VjcmV0LW5vdC1qc29u');
    expect(checkToken(settings({}))).toMatchObject({ verdict: 'FAIL', summary: 'nothing names a tunnel: no token and no cloudflared config' });
  });

  it('without a token, fails on a credentials file cloudflared cannot use, and passes a good one', async () => {
    const cert = join(dir, 'cert.pem');
    writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const good = join(dir, `${TUNNEL}.json`);
    writeFileSync(good, JSON.stringify({ AccountTag: 'a1', TunnelSecret: 'c2VjcmV0', TunnelID: TUNNEL }));
    const run = async (credentials: string): Promise<CheckResult | undefined> => {
      const config = join(dir, 'creds.yml');
      writeFileSync(config, `tunnel: ${TUNNEL}\ncredentials-file: ${credentials}\ningress:\n  - service: http_status:404\n`);
      const results = await runDoctor(settings({ TUNNELWATCH_CLOUDFLARED_CONFIG: config, TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0', TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: `--edge,127.0.0.1:${String(dead)}`, TUNNELWATCH_EDGE_BASE_URL: `http://127.0.0.1:${String(dead)}/` }), { env: {}, timeoutMs: 300 });
      return results.find((r) => r.name === 'credentials');
    };
    expect(await run(cert)).toMatchObject({ verdict: 'FAIL', summary: expect.stringMatching(/should be \.json but you gave a \.pem/) as string });
    expect(await run(good)).toMatchObject({ verdict: 'PASS', summary: `${good} reads as tunnel credentials for tunnel ${TUNNEL}` });
  });

  it('warns that proxy variables do not carry the edge connections', () => {
    expect(checkProxy({}).verdict).toBe('PASS');
    expect(checkProxy({ HTTPS_PROXY: 'http://proxy:3128' })).toMatchObject({ verdict: 'WARN', evidence: ['HTTPS_PROXY is set'] });
  });

  it('fails a metrics address held by something that is not cloudflared', async () => {
    const port = (taken.address() as AddressInfo).port;
    expect(await checkMetricsAddress(`127.0.0.1:${String(port)}`, false)).toMatchObject({ verdict: 'FAIL', cause: 'metrics_port_in_use' });
    expect((await checkMetricsAddress(`127.0.0.1:${String(port)}`, true)).verdict).toBe('PASS');
    expect((await checkMetricsAddress(`127.0.0.1:${String(dead)}`, false)).verdict).toBe('PASS');
  });

  it('reads --edge, --region and --edge-ip-version as cloudflared does', () => {
    expect(flagValues(['--edge', '127.0.0.1:7844', '--edge=127.0.0.2:7844', '--region', 'us'], 'edge')).toEqual(['127.0.0.1:7844', '127.0.0.2:7844']);
    expect(flagValues(['--region=us'], 'region')).toEqual(['us']);
    expect(edgeArgs(['--region', 'eu', '--edge-ip-version', '6', '--edge', '[::1]:7844'])).toEqual({ edges: ['[::1]:7844'], region: 'eu', ipVersion: '6' });
    expect(edgeArgs([])).toEqual({ edges: [], region: '' });
  });

  it('probes every origin of the config, names a dead one, and checks the --edge addresses instead of DNS', async () => {
    const config = join(dir, 'config.yml');
    writeFileSync(config, `ingress:\n  - hostname: app.example.com\n    service: http://127.0.0.1:${String(originPort)}\n  - hostname: dead.example.com\n    service: http://127.0.0.1:${String(dead)}\n  - service: http_status:404\n`);
    const s = settings({
      TUNNELWATCH_CLOUDFLARED_TOKEN: TOKEN,
      TUNNELWATCH_CLOUDFLARED_CONFIG: config,
      TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
      TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: `--edge,127.0.0.1:${String(originPort)}`,
      TUNNELWATCH_EDGE_BASE_URL: `http://127.0.0.1:${String(originPort)}/client/v4`,
    });
    const results = await runDoctor(s, { env: {}, timeoutMs: 500 });
    const by = (name: string): CheckResult | undefined => results.find((r) => r.name === name);
    expect(by('config')?.verdict).toBe('PASS');
    expect(by('clock')?.verdict).toBe('PASS');
    expect(by('edge dns')).toMatchObject({ verdict: 'SKIP', summary: `not used: --edge 127.0.0.1:${String(originPort)} names the edge` });
    expect(by('edge tcp 7844')?.verdict).toBe('PASS');
    // An HTTP server gives no QUIC answer: under protocol auto, a warning that cloudflared will fall back.
    expect(by('edge udp 7844')).toMatchObject({ verdict: 'WARN', cause: 'udp_7844_blocked' });
    expect(by(`origin rule0:http://127.0.0.1:${String(originPort)}`)).toMatchObject({ verdict: 'PASS', evidence: [expect.stringMatching(/ ms, status 200$/)] });
    expect(by(`origin rule1:http://127.0.0.1:${String(dead)}`)).toMatchObject({ verdict: 'FAIL', cause: 'origin_refused' });
    expect(by('connector')?.verdict).toBe('SKIP');
    expect(doctorExitCode(results)).toBe(1);
  });

  it('as a command: --json, exit 1 on a FAIL, 2 on bad settings', async () => {
    const run = await runCli(['doctor', '--json'], { env: { TUNNELWATCH_LOGS_SPOOL_DIR: '/tmp/unused', TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0', TUNNELWATCH_EDGE_BASE_URL: `http://127.0.0.1:${String(dead)}/`, TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: `--edge,127.0.0.1:${String(dead)}` } });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; checks: CheckResult[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'edge tcp 7844')).toMatchObject({ verdict: 'FAIL', cause: 'tcp_7844_blocked' });
    expect((await runCli(['doctor', '--set', 'cloudflared.haConnections=99'])).code).toBe(2);
  });

  it('as the built executable, waits for checks whose only timer is an AbortSignal deadline (it used to exit 13 with no output)', { timeout: 30_000 }, async () => {
    const port = (taken.address() as AddressInfo).port;
    const run = await runBin(['doctor', '--json'], { env: { TUNNELWATCH_LOGS_SPOOL_DIR: '/tmp/unused', TUNNELWATCH_CLOUDFLARED_METRICS: `127.0.0.1:${String(port)}`, TUNNELWATCH_EDGE_BASE_URL: `http://127.0.0.1:${String(dead)}/`, TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: `--edge,127.0.0.1:${String(dead)}` } });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { checks: CheckResult[] };
    expect(report.checks.find((c) => c.name === 'metrics address')).toMatchObject({ verdict: 'FAIL', cause: 'metrics_port_in_use' });
    expect((await runCli(['doctor', 'extra'])).code).toBe(2);
  });
});
