import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CloudflaredConfig, parseCloudflaredConfig } from '../src/cloudflared/config/file.js';
import { Secret } from '../src/base/secret.js';

const DIR = new URL('./fixtures/cloudflared-config/', import.meta.url);

function load(name: string): CloudflaredConfig {
  const { config, diagnostics } = parseCloudflaredConfig(readFileSync(new URL(name, DIR), 'utf8'), name);
  expect(diagnostics).toEqual([]);
  if (!config) throw new Error(`${name} did not parse`);
  return config;
}

function parse(text: string, shape?: 'local' | 'remote' | 'endpoint'): CloudflaredConfig {
  const { config } = parseCloudflaredConfig(text, 'test', shape === undefined ? {} : { shape });
  if (!config) throw new Error('did not parse');
  return config;
}

describe('local config file', () => {
  const config = load('valid-local.yaml');

  it('reads top-level keys and flags with their Go types', () => {
    expect(config).toMatchObject({ shape: 'local', format: 'yaml', tunnel: '6ff42ae2-765d-4adf-8112-31c55c1551ef', hasIngressKey: true });
    expect(config.flags.get('grace-period')).toBe(60_000);
    expect(config.flags.get('ha-connections')).toBe(4);
    expect(config.flags.get('no-autoupdate')).toBe(true);
    expect(config.flags.get('tag')).toEqual(['team=sre', 'env=prod']);
    expect(config.warpRouting).toEqual({ connectTimeout: 10_000, tcpKeepAlive: 30_000, maxActiveFlows: 1000 });
    expect(config.issues).toEqual([]);
  });

  it('types every service form', () => {
    expect(config.rules.map((r) => r.service)).toEqual([
      { kind: 'http', url: 'https://localhost:8443', scheme: 'https', host: 'localhost', port: 8443 },
      { kind: 'http', url: 'http://127.0.0.1:8000', scheme: 'http', host: '127.0.0.1', port: 8000 },
      { kind: 'http', url: 'http://localhost:3000', scheme: 'http', host: 'localhost', port: 3000 },
      { kind: 'http', url: 'wss://localhost:9443', scheme: 'wss', host: 'localhost', port: 9443 },
      { kind: 'stream', scheme: 'ssh', host: 'localhost', port: 22 },
      { kind: 'stream', scheme: 'rdp', host: 'localhost', port: 3389 },
      { kind: 'stream', scheme: 'smb', host: 'localhost', port: 445 },
      { kind: 'stream', scheme: 'tcp', host: 'localhost', port: 5432 },
      { kind: 'unix', path: '/run/app.sock', tls: false },
      { kind: 'unix', path: '/run/app-tls.sock', tls: true },
      { kind: 'hello_world' },
      { kind: 'bastion' },
      { kind: 'socks_proxy' },
      { kind: 'http', url: 'http://localhost:8001', scheme: 'http', host: 'localhost', port: 8001 },
      { kind: 'http_status', status: 410 },
      { kind: 'http_status', status: 404 },
    ]);
    expect(config.rules.map((r) => r.index)).toEqual(config.rules.map((_, i) => i));
  });

  it('merges each rule over the global originRequest, durations in ms, and keeps where values came from', () => {
    const [first, , third] = config.rules;
    expect(first?.originRequest).toMatchObject({
      connectTimeout: 10_000,
      tlsTimeout: 5_000,
      tcpKeepAlive: 30_000,
      keepAliveConnections: 50,
      keepAliveTimeout: 90_000,
      originServerName: 'app.internal',
      http2Origin: true,
      proxyAddress: '127.0.0.1',
      access: { required: true, teamName: 'myteam', audTag: ['0123456789abcdef'], environment: '' },
    });
    expect(first?.originRequestFrom).toMatchObject({
      connectTimeout: 'originRequest.connectTimeout',
      originServerName: 'ingress[0].originRequest.originServerName',
      access: 'ingress[0].originRequest.access',
    });
    expect(first?.hasOwnAccess).toBe(true);
    // yaml.v3 reads `yes` as true for a bool field.
    expect(third?.originRequest.noHappyEyeballs).toBe(true);
    expect(third?.hasOwnAccess).toBe(false);
    expect(config.rules[12]?.originRequest.ipRules).toEqual([
      { at: 'ingress[12].originRequest.ipRules[0]', prefix: '10.0.0.0/8', ports: [80, 443], allow: true },
      { at: 'ingress[12].originRequest.ipRules[1]', prefix: '0.0.0.0/0', ports: [], allow: false },
    ]);
  });

  it('keeps path regexes and punycode forms', () => {
    expect(config.rules[0]).toMatchObject({ at: 'ingress[0]', hostname: 'app.example.com', path: '^/api/v[0-9]+/' });
    expect(config.rules[0]?.pathRegexp?.test('/api/v2/x')).toBe(true);
    expect(config.rules[13]?.punycodeHostname).toBe('xn--bcher-kva.example.com');
  });
});

describe('remote-managed JSON (edge push, `configurations` API)', () => {
  it('reads integer seconds', () => {
    const config = load('valid-remote.json');
    expect(config.shape).toBe('remote');
    expect(config.rules[0]?.originRequest).toMatchObject({ connectTimeout: 10_000, keepAliveTimeout: 60_000 });
    expect(config.rules[1]?.service).toEqual({ kind: 'stream', scheme: 'ssh', host: 'localhost', port: 22 });
  });

  it('reads the `config` field of an `Updated to new configuration` log line', () => {
    const line = JSON.parse(
      '{"level":"info","version":3,"config":"{\\"ingress\\":[{\\"hostname\\":\\"a.example.com\\",\\"service\\":\\"http://localhost:80\\"},{\\"service\\":\\"http_status:404\\"}],\\"warp-routing\\":{\\"enabled\\":false}}","message":"Updated to new configuration"}',
    ) as { config: string };
    const config = parse(line.config, 'remote');
    expect(config.rules.map((r) => r.hostname)).toEqual(['a.example.com', '']);
    expect(config.issues).toEqual([]);
  });

  it('unwraps the API envelope and keeps document paths', () => {
    const config = load('valid-api-configurations.json');
    expect(config).toMatchObject({ shape: 'remote', version: 12 });
    expect(config.rules[0]).toMatchObject({ at: 'result.config.ingress[0]', originRequest: { connectTimeout: 15_000 } });
  });

  it('matches JSON keys case-insensitively, as encoding/json does', () => {
    const config = parse('{"Ingress":[{"Hostname":"a.example.com","Service":"http://localhost:80"},{"service":"http_status:404"}]}');
    expect(config.rules[0]?.hostname).toBe('a.example.com');
  });
});

describe('/config endpoint body', () => {
  it('reads float seconds, `"path": null` and the `Handlers` field', () => {
    const config = load('valid-config-endpoint.json');
    expect(config).toMatchObject({ shape: 'endpoint', version: 7 });
    expect(config.rules[0]).toMatchObject({ at: 'config.ingress[0]', hostname: 'app.example.com' });
    expect(config.rules[0]?.path).toBeUndefined();
    expect(config.rules[1]?.originRequest.connectTimeout).toBe(500);
    expect(config.issues).toEqual([]);
  });
});

describe('YAML read as yaml.v3 reads it', () => {
  it('resolves scalars the Go way', () => {
    const config = parse(
      'originRequest:\n  keepAliveConnections: 0x10\n  proxyPort: 1_000\n  noTLSVerify: on\n  httpHostHeader: 0755\ningress:\n  - service: http_status:404\n',
    );
    expect(config.originRequest).toMatchObject({ keepAliveConnections: 16, proxyPort: 1000, noTLSVerify: true, httpHostHeader: '0755' });
  });

  it('truncates a float written for an int, as yaml.v3 does', () => {
    expect(parse('originRequest:\n  keepAliveConnections: 1.9\n').originRequest.keepAliveConnections).toBe(1);
  });

  it('follows anchors and merge keys', () => {
    const config = parse(
      'x-defaults: &defaults\n  connectTimeout: 5s\ningress:\n  - hostname: a.example.com\n    service: http://localhost:1\n    originRequest:\n      <<: *defaults\n      tlsTimeout: 2s\n  - service: http_status:404\n',
    );
    expect(config.rules[0]?.originRequest).toMatchObject({ connectTimeout: 5_000, tlsTimeout: 2_000 });
  });

  it('reads only the first of several documents', () => {
    const { config, diagnostics } = parseCloudflaredConfig('tunnel: a\n---\ntunnel: b\n', 'f.yml');
    expect(config?.tunnel).toBe('a');
    expect(diagnostics.map((d) => d.code)).toEqual(['TW_WARN_CONFIG_EXTRA_DOCUMENTS']);
  });
});

describe('robustness', () => {
  it('reports syntax errors with line and column and no config', () => {
    const { config, diagnostics } = parseCloudflaredConfig('ingress:\n  - hostname: a\n   service: b\n', 'config.yml');
    expect(config).toBeUndefined();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'TW_ERR_CONFIG_SYNTAX', severity: 'error', path: '' });
    expect(diagnostics[0]?.message).toMatch(/^error parsing YAML in config file at config\.yml: line 3, column \d+: /);
  });

  it('never prints a secret', () => {
    const config = parse('token: eyJhIjoic2VjcmV0In0=\ncredentials-contents: \'{"TunnelSecret":"c2VjcmV0"}\'\n');
    expect(config.flags.get('token')).toBeInstanceOf(Secret);
    const text = JSON.stringify(config, (_k, v: unknown): unknown => (v instanceof Map ? (Object.fromEntries(v) as unknown) : v));
    expect(text).not.toContain('eyJhIjoi');
    expect(text).not.toContain('c2VjcmV0');
  });

  it('handles an empty text', () => {
    const { config, diagnostics } = parseCloudflaredConfig('', 'empty.yml');
    expect(config?.rules).toEqual([]);
    expect(diagnostics.map((d) => d.code)).toEqual(['TW_WARN_CONFIG_EMPTY']);
  });
});
