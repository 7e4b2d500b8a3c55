import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../src/config/load.js';
import { LEAVES } from '../src/config/leaves.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/settings/${name}`, import.meta.url), 'utf8');

function messages(input: Parameters<typeof loadSettings>[0]): string[] {
  const result = loadSettings(input);
  expect(result.ok).toBe(false);
  return result.diagnostics.map((d) => `${d.code} ${d.message}`);
}

describe('settings: sources and precedence', () => {
  it('gives every default when nothing is set', () => {
    const result = loadSettings({ env: {} });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.settings.cloudflared).toMatchObject({ binary: 'cloudflared', haConnections: 4, gracePeriod: 30_000, protocol: 'auto' });
    expect(result.settings.server.listen).toBe('0.0.0.0:9464');
    expect(result.settings.alerts.rules).toEqual([]);
  });

  it.each([
    [{ HOME: '/home/sre' }, '/home/sre/.local/state/tunnelwatch/spool'],
    [{ HOME: '/home/sre', XDG_STATE_HOME: '/srv/state' }, '/srv/state/tunnelwatch/spool'],
    [{ HOME: '/home/sre', STATE_DIRECTORY: '/var/lib/tunnelwatch:/var/lib/other' }, '/var/lib/tunnelwatch/spool'],
    [{}, '/var/lib/tunnelwatch/spool'],
    [{ HOME: '/home/sre', TUNNELWATCH_LOGS_SPOOL_DIR: './spool' }, './spool'],
  ])('puts the spool where %j says, never relative to the working directory unless asked', (env, dir) => {
    const result = loadSettings({ env });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.settings.logs.spoolDir).toBe(dir);
  });

  it('reads a full file', () => {
    const result = loadSettings({ file: { text: fixture('valid-full.yaml'), name: 'valid-full.yaml' }, env: {} });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.settings.alerts.rules[1]).toEqual({ alert: 'TunnelOriginUnreachable', enabled: true, for: 120_000, keepFiringFor: 60_000 });
    expect(result.settings.supervisor.restartWhenDisconnectedFor).toBe(600_000);
    expect(result.settings.identity.labels).toEqual({ team: 'platform' });
  });

  it('lets env override the file and --set override env', () => {
    const file = { text: 'cloudflared:\n  haConnections: 2\n  protocol: quic\n', name: 'tw.yaml' };
    const env = { TUNNELWATCH_CLOUDFLARED_HA_CONNECTIONS: '3', TUNNELWATCH_CLOUDFLARED_PROTOCOL: 'http2' };
    const result = loadSettings({ file, env, sets: ['cloudflared.protocol=quic', 'alerts.alertmanagers=http://a:9093,http://b:9093'] });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.settings.cloudflared.haConnections).toBe(3);
    expect(result.settings.cloudflared.protocol).toBe('quic');
    expect(result.settings.alerts.alertmanagers).toEqual(['http://a:9093', 'http://b:9093']);
  });

  it('takes lists of objects from env as JSON', () => {
    const result = loadSettings({ env: { TUNNELWATCH_ALERTS_RULES: '[{"alert":"Watchdog","enabled":false}]' } });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.settings.alerts.rules).toEqual([{ alert: 'Watchdog', enabled: false }]);
  });

  it('falls back to the variables cloudflared and the Cloudflare SDK read, below TUNNELWATCH_*', () => {
    const base = { TUNNEL_TOKEN: 'tok-from-cloudflared-env', CLOUDFLARE_API_TOKEN: 'api-tok', HOSTNAME: 'pod-1' };
    const result = loadSettings({ env: { ...base, TUNNELWATCH_EDGE_ACCOUNT_ID: '0123456789abcdef0123456789abcdef' } });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.settings.cloudflared.token?.reveal()).toBe('tok-from-cloudflared-env');
    expect(result.settings.edge.apiToken?.reveal()).toBe('api-tok');
    expect(result.settings.identity.replica).toBe('pod-1');
    const own = loadSettings({ env: { ...base, TUNNELWATCH_CLOUDFLARED_TOKEN_FILE: '/t', TUNNELWATCH_EDGE_ACCOUNT_ID: '0123456789abcdef0123456789abcdef' } });
    if (!own.ok) throw new Error(JSON.stringify(own.diagnostics));
    expect(own.settings.cloudflared.token).toBeUndefined();
    expect(own.settings.cloudflared.tokenFile).toBe('/t');
  });

  it('lists every leaf with a TUNNELWATCH_ variable', () => {
    expect(LEAVES.find((l) => l.dotted === 'alerts.rules')?.env).toBe('TUNNELWATCH_ALERTS_RULES');
    expect(LEAVES.find((l) => l.dotted === 'cloudflared.haConnections')?.env).toBe('TUNNELWATCH_CLOUDFLARED_HA_CONNECTIONS');
    expect(new Set(LEAVES.map((l) => l.env)).size).toBe(LEAVES.length);
  });
});

describe('settings: errors name the path, the bad value, what is expected and where it was set', () => {
  it.each([
    [
      'a bad duration deep in a list',
      'alerts:\n  rules:\n    - alert: Watchdog\n    - alert: TunnelHALost\n    - alert: TunnelOriginUnreachable\n      for: 2 minutes\n',
      'TW_ERR_SETTINGS_INVALID alerts.rules[2].for: got "2 minutes", expected a duration such as "30s", "5m" or "1h30m" (from tw.yaml:6)',
    ],
    [
      'an unknown key with a suggestion',
      'cloudflared:\n  haConections: 4\n',
      'TW_ERR_SETTINGS_UNKNOWN_KEY cloudflared.haConections: unknown key (from tw.yaml:2); valid keys here: binary, config, token, tokenFile, metrics, haConnections, protocol, gracePeriod, logLevel, extraArgs',
    ],
    ['a wrong type', 'cloudflared:\n  haConnections: four\n', 'TW_ERR_SETTINGS_INVALID cloudflared.haConnections: got "four", expected a whole number (from tw.yaml:2)'],
    ['out of range', 'cloudflared:\n  gracePeriod: 5m\n', 'TW_ERR_SETTINGS_INVALID cloudflared.gracePeriod: got "5m", expected at most 3m0s (from tw.yaml:2)'],
    [
      'a bad enum',
      'cloudflared:\n  protocol: h2mux\n',
      'TW_ERR_SETTINGS_INVALID cloudflared.protocol: got "h2mux", expected one of "auto", "quic", "http2" (from tw.yaml:2)',
    ],
    ['a missing required key', 'alerts:\n  rules:\n    - for: 5m\n', 'TW_ERR_SETTINGS_INVALID alerts.rules[0].alert: missing, expected one of '],
    ['a bad URL', 'alerts:\n  alertmanagers: [alertmanager:9093]\n', 'TW_ERR_SETTINGS_INVALID alerts.alertmanagers[0]: got "alertmanager:9093", expected an http:// or https:// URL (from tw.yaml:2)'],
    ['YAML syntax', 'cloudflared:\n  binary: [x\n', 'TW_ERR_SETTINGS_SYNTAX tw.yaml:'],
    ['not a mapping', '- a\n- b\n', 'TW_ERR_SETTINGS_SYNTAX tw.yaml: the settings file must be a YAML mapping'],
    ['a duplicate key', 'server:\n  listen: a:1\n  listen: b:2\n', 'TW_ERR_SETTINGS_SYNTAX tw.yaml:3:3: Map keys must be unique'],
  ])('%s', (_name, text, expected) => {
    const all = messages({ file: { text, name: 'tw.yaml' }, env: {} });
    expect(all.some((m) => m.startsWith(expected)), all.join('\n')).toBe(true);
  });

  it('names the environment variable that set a bad value', () => {
    expect(messages({ env: { TUNNELWATCH_ORIGINS_CONCURRENCY: 'lots' } })).toEqual([
      'TW_ERR_SETTINGS_INVALID origins.concurrency: got "lots", expected a number (from TUNNELWATCH_ORIGINS_CONCURRENCY)',
    ]);
    expect(messages({ env: { TUNNELWATCH_ORIGINS_CONCURRENCY: '0' } })).toEqual([
      'TW_ERR_SETTINGS_INVALID origins.concurrency: got 0, expected at least 1 (from TUNNELWATCH_ORIGINS_CONCURRENCY)',
    ]);
  });

  it('rejects unknown TUNNELWATCH_ variables and --set paths with the nearest valid name', () => {
    const result = loadSettings({ env: { TUNNELWATCH_SERVER_LISTN: ':1' }, sets: ['server.lisen=:1', 'nonsense'] });
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ code: 'TW_ERR_SETTINGS_UNKNOWN_ENV', fix: 'Did you mean TUNNELWATCH_SERVER_LISTEN? Otherwise unset it.' }),
      expect.objectContaining({ code: 'TW_ERR_SETTINGS_UNKNOWN_FLAG', message: '--set server.lisen: no such setting', fix: 'Write --set server.listen=VALUE.' }),
      expect.objectContaining({ code: 'TW_ERR_SETTINGS_UNKNOWN_FLAG', message: '--set nonsense: expected path=value' }),
    ]);
  });

  it('reports conflicting settings', () => {
    expect(messages({ env: { TUNNELWATCH_CLOUDFLARED_TOKEN: 'x', TUNNELWATCH_CLOUDFLARED_TOKEN_FILE: '/t' } })).toEqual([
      'TW_ERR_SETTINGS_CONFLICT cloudflared.token and cloudflared.tokenFile are both set',
    ]);
    expect(messages({ env: { CLOUDFLARE_API_TOKEN: 'x' } })[0]).toMatch(/edge.accountId is missing/);
    expect(messages({ env: {}, sets: ['supervisor.restoreQuicAfter=5m', 'edge.reachabilityInterval=0s'] })).toEqual([
      'TW_ERR_SETTINGS_CONFLICT supervisor.restoreQuicAfter is set but edge.reachabilityInterval is 0s, so nothing ever sees QUIC answer again',
    ]);
    expect(messages({ env: {}, sets: ['endToEnd.interval=5s', 'endToEnd.timeout=5s'] })).toEqual([
      'TW_ERR_SETTINGS_CONFLICT endToEnd.timeout is not shorter than endToEnd.interval, so a check would still wait when the next is due',
    ]);
  });
});

describe('settings: secrets never print', () => {
  const token = 'eyJhIjoiMDEyMzQ1Njc4OWFiY2RlZiIsInQiOiJ0dW5uZWwiLCJzIjoic2VjcmV0In0=';

  it('holds tokens in a type that prints <secret> everywhere', () => {
    const result = loadSettings({ env: { TUNNELWATCH_CLOUDFLARED_TOKEN: token } });
    if (!result.ok) throw new Error('unexpected');
    const t = result.settings.cloudflared.token;
    expect(t?.reveal()).toBe(token);
    const printed = [String(t), String(t), JSON.stringify(result.settings), inspect(result.settings, { depth: 9 })].join('\n');
    expect(printed).not.toContain(token);
    expect(printed).toContain('<secret>');
  });

  it('never echoes a secret in an error about it', () => {
    const all = messages({ file: { text: `edge:\n  apiToken: ["${token}"]\n`, name: 'tw.yaml' }, env: {} });
    expect(all.join('\n')).not.toContain(token);
    expect(all.join('\n')).toContain('edge.apiToken: got <secret>');
  });
});

describe('URLs with credentials', () => {
  it.each([
    ['file', { file: { text: 'logs:\n  loki:\n    url: http://u:hunter2pass@loki:3100\n', name: 'tw.yaml' }, env: {} }],
    ['--set', { env: {}, sets: ['alerts.alertmanagers=https://am:hunter2pass@am:9093'] }],
    ['env', { env: { TUNNELWATCH_EDGE_BASE_URL: 'https://x:hunter2pass@api.example/client/v4' } }],
  ] as const)('are refused from %s, naming the fix and never repeating the password', (_from, input) => {
    const result = loadSettings(input);
    expect(result.ok).toBe(false);
    const text = JSON.stringify(result);
    expect(text).toContain('without user:password@');
    expect(text).not.toContain('hunter2pass');
  });
});
