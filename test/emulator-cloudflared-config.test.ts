// The emulated cloudflared run from a config file and credentials (a locally managed tunnel), and the fatal
// start-up path when the first connection cannot register.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConnectorMetrics } from '../src/cloudflared/metrics/connector-metrics.js';
import { parseExposition } from '../src/cloudflared/metrics/exposition.js';
import { ACCOUNT_TAG, expectInOrder, isType, registeredOn, trackedEmulators, TUNNEL_ID } from './emulator-cloudflared-harness.js';

const start = trackedEmulators();

describe('named tunnels with a config file', () => {
  it('runs from a credentials file: config-file flags, debug lines, local config push, pidfile', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfemu-local-'));
    const creds = path.join(dir, `${TUNNEL_ID}.json`);
    writeFileSync(creds, JSON.stringify({ AccountTag: ACCOUNT_TAG, TunnelSecret: Buffer.alloc(32, 1).toString('base64'), TunnelID: TUNNEL_ID, Endpoint: '' }));
    const config = path.join(dir, 'config.yml');
    writeFileSync(config, `credentials-file: ${creds}\n${readFileSync('test/fixtures/emulator/valid-local.yaml', 'utf8')}`);
    const e = start({ token: false, args: ['tunnel', '--no-autoupdate', '--config', config, '--pidfile', '{dir}/cloudflared.pid', '--metrics', '127.0.0.1:0', 'run'] });
    await e.waitFor(registeredOn(3), 'conn 3 registered');
    expect(e.events.find((x) => x.type === 'starting')).toMatchObject({ tunnelId: TUNNEL_ID });
    expect(e.count((x) => x.message.startsWith('Cannot determine default configuration path'))).toBe(0);
    const settings = e.events.find((x) => x.message.startsWith('Settings: '))?.message ?? '';
    expect(settings).toContain(`config:${config}`);
    expect(settings).toContain('grace-period:10s');
    expect(settings).toContain('loglevel:debug');
    expect(e.count((x) => x.level === 'debug' && x.message === 'Registering tunnel connection')).toBeGreaterThanOrEqual(4);
    const m = readConnectorMetrics(parseExposition(await e.metrics()));
    expect(m.configVersion).toBe(0);
    const pushes = /^cloudflared_config_local_config_pushes (\d+)$/m.exec(await e.metrics())?.[1];
    expect(pushes).toBe('1');
    expect(readFileSync(path.join(e.dir, 'cloudflared.pid'), 'utf8')).toBe(String(e.child.pid));
    const diag = (await (await e.get('/diag/configuration')).json()) as Record<string, string>;
    expect(diag).toMatchObject({ 'grace-period': '10s', loglevel: 'debug', 'no-autoupdate': 'true', pidfile: path.join(e.dir, 'cloudflared.pid') });
    expect(diag).not.toHaveProperty('credentials-file');
    const served = (await (await e.get('/config')).json()) as { version: number; config: { ingress: { hostname: string; path: string | null }[] } };
    expect(served.version).toBe(-1);
    expect(served.config.ingress.map((r) => [r.hostname, r.path])).toEqual([['app.example.com', '^/api/'], ['', null]]);
  });

  it('initial tunnel connection failed: Initiating shutdown, exit 1 with the error', async () => {
    const e = start({ env: { CFEMU_SCENARIO: path.resolve('test/fixtures/emulator/scenario-tunnel-not-found.yaml') } });
    expect(await e.exited).toEqual({ code: 1, signal: null });
    expectInOrder(e.events, [
      (x) => x.type === 'register_error' && x.error === 'Tunnel not found',
      isType('retrying'),
      (x) => x.type === 'fatal' && x.message === 'initial tunnel connection failed' && x.error === 'Tunnel not found',
      (x) => x.type === 'shutdown' && x.phase === 'fatal' && x.error === 'Tunnel not found',
      (x) => x.type === 'shutdown' && x.phase === 'stopped',
    ]);
    expect(e.lines.filter((l) => l !== '').at(-1)).toBe('Tunnel not found');
  });
});
