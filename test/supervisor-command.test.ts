import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../src/config/schema.js';
import { buildCommand, childEnv, goDuration } from '../src/supervisor/command.js';

const TOKEN = 'eyJhIjoiMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYiLCJ0IjoiNmZmNDJhZTIiLCJzIjoiYzJWamNtVjAifQ==';

describe('buildCommand', () => {
  it('defaults: tunnel-level flags before run, token in env only', () => {
    const settings = settingsSchema.parse({ cloudflared: { token: TOKEN } });
    const cmd = buildCommand(settings, { PATH: '/usr/bin' });
    expect(cmd.file).toBe('cloudflared');
    expect(cmd.args).toEqual([
      'tunnel', '--no-autoupdate', '--metrics', '127.0.0.1:20241', '--output', 'json', '--loglevel', 'info', '--grace-period', '30s', 'run',
    ]);
    expect(cmd.env).toEqual({ PATH: '/usr/bin', TUNNEL_TOKEN: TOKEN });
    expect(cmd.args.join(' ')).not.toContain(TOKEN);
    expect(JSON.stringify(cmd.args)).not.toContain(TOKEN.slice(0, 16));
  });

  it('config, protocol, extra args, grace period, token file', () => {
    const settings = settingsSchema.parse({
      cloudflared: { binary: '/opt/cloudflared', config: '/etc/tw/cf.yml', protocol: 'http2', gracePeriod: '1500ms', logLevel: 'debug', extraArgs: ['--label', 'x'], tokenFile: '/run/secrets/token' },
    });
    const cmd = buildCommand(settings, {});
    expect(cmd.file).toBe('/opt/cloudflared');
    expect(cmd.args).toEqual([
      'tunnel', '--no-autoupdate', '--metrics', '127.0.0.1:20241', '--output', 'json', '--loglevel', 'debug', '--grace-period', '1500ms',
      '--config', '/etc/tw/cf.yml', '--protocol', 'http2', '--label', 'x', 'run',
    ]);
    expect(cmd.env).toEqual({ TUNNEL_TOKEN_FILE: '/run/secrets/token' });
  });

  it('an inline token wins over a token file; no token means neither variable', () => {
    const both = buildCommand(settingsSchema.parse({ cloudflared: { token: TOKEN, tokenFile: '/t' } }), {});
    expect(both.env).toEqual({ TUNNEL_TOKEN: TOKEN });
    expect(buildCommand(settingsSchema.parse({}), {}).env).toEqual({});
  });

  it('an inherited token never survives, even without one configured', () => {
    const cmd = buildCommand(settingsSchema.parse({}), { TUNNEL_TOKEN: 'inherited', TUNNEL_METRICS: '0.0.0.0:1', HOME: '/h' });
    expect(cmd.env).toEqual({ HOME: '/h' });
  });
});

describe('childEnv', () => {
  it('drops systemd, TUNNEL_*, TUNNELWATCH_* and the API token; keeps the rest', () => {
    expect(
      childEnv({
        PATH: '/bin', HOME: '/h', HTTPS_PROXY: 'http://p', LISTEN_FDS: '3', LISTEN_PID: '1', LISTEN_FDNAMES: 'x', NOTIFY_SOCKET: '/run/n',
        TUNNEL_TOKEN: 't', TUNNEL_GRACE_PERIOD: '1s', TUNNELWATCH_EDGE_APITOKEN: 's', CLOUDFLARE_API_TOKEN: 's', UNSET: undefined,
      }),
    ).toEqual({ PATH: '/bin', HOME: '/h', HTTPS_PROXY: 'http://p' });
  });
});

describe('goDuration', () => {
  it.each([[0, '0s'], [30_000, '30s'], [180_000, '180s'], [1500, '1500ms']])('%i ms → %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});
