import { describe, expect, it } from 'vitest';
import { parseCloudflaredConfig, type IngressRule } from '../src/cloudflared/config/file.js';
import { DEFAULT_ORIGIN_REQUEST } from '../src/cloudflared/config/origin-request.js';
import { parseOriginService } from '../src/cloudflared/config/origin-service.js';
import { probeHttp } from '../src/probers/http.js';
import { DEFAULT_PROBERS, proberFor, schemeOf, statusAllowed, type ProbeService } from '../src/probers/index.js';
import { deriveTargets } from '../src/probers/targets.js';
import { probeTcp } from '../src/probers/tcp.js';
import { probeUnix } from '../src/probers/unix.js';

function rules(yaml: string): readonly IngressRule[] {
  const parsed = parseCloudflaredConfig(yaml, 'config.yml');
  if (!parsed.config) throw new Error('fixture does not parse');
  return parsed.config.rules;
}

const options = { timeoutMs: 5000 };

describe('deriveTargets', () => {
  it('keys each probeable rule by index and service, with its merged originRequest', () => {
    const plan = deriveTargets(
      rules(`
originRequest:
  connectTimeout: 3s
ingress:
  - hostname: app.example.com
    service: HTTPS://app.internal:8443
    originRequest:
      noTLSVerify: true
  - hostname: ssh.example.com
    service: ssh://bastion.internal
  - hostname: sock.example.com
    service: unix:/run/app.sock
  - service: http_status:404
`),
      [],
      options,
    );
    expect(plan.targets.map((t) => t.key)).toEqual(['rule0:https://app.internal:8443', 'rule1:ssh://bastion.internal:22', 'rule2:unix:/run/app.sock']);
    expect(plan.targets[0]).toMatchObject({ timeoutMs: 5000, rules: [0], originRequest: { noTLSVerify: true, connectTimeout: 3000 } });
    expect(plan.targets[1]?.service).toEqual({ kind: 'stream', scheme: 'ssh', host: 'bastion.internal', port: 22 });
    expect(plan.skipped).toEqual([{ key: 'rule3:http_status:404', reason: 'cloudflared answers 404 itself; there is no origin' }]);
  });

  it('skips services cloudflared answers itself or whose destination comes with each request', () => {
    const plan = deriveTargets(
      rules(`
ingress:
  - hostname: a.example.com
    service: hello_world
  - hostname: b.example.com
    service: bastion
  - hostname: c.example.com
    service: socks-proxy
  - hostname: d.example.com
    service: localhost:8080
  - hostname: e.example.com
    service: foo://host
  - service: http_status:503
`),
      [],
      options,
    );
    expect(plan.targets).toEqual([]);
    expect(plan.skipped.map((s) => s.key)).toEqual([
      'rule0:hello_world',
      'rule1:bastion',
      'rule2:socks-proxy',
      'rule3:localhost:8080',
      'rule4:foo://host',
      'rule5:http_status:503',
    ]);
    expect(plan.skipped[3]?.reason).toMatch(/^invalid service: localhost:8080 is an invalid address/);
    expect(plan.skipped[4]?.reason).toBe('no port, and the scheme foo has no default');
  });

  it('probes rules with the same service and probe options once, listing every rule it covers', () => {
    const plan = deriveTargets(
      rules(`
ingress:
  - hostname: a.example.com
    service: http://localhost:8080
  - hostname: b.example.com
    service: http://localhost:8080
    originRequest:
      access: { required: true, teamName: t, audTag: [x] }
  - hostname: c.example.com
    service: http://localhost:8080
    originRequest:
      httpHostHeader: c.internal
  - service: http://localhost:8080
`),
      [],
      options,
    );
    expect(plan.targets.map((t) => [t.key, t.rules])).toEqual([
      ['rule0:http://localhost:8080', [0, 1, 3]],
      ['rule2:http://localhost:8080', [2]],
    ]);
  });

  it('adds settings targets by name, with a health path, and refuses duplicate names', () => {
    const plan = deriveTargets(
      rules('ingress:\n  - service: http://localhost:8080\n'),
      [
        { name: 'api', url: 'https://api.internal:8443/healthz?deep=1#x' },
        { name: 'db', url: 'tcp://db.internal:5432' },
        { name: 'root', url: 'http://web.internal/' },
        { name: 'api', url: 'http://other' },
        { name: 'fixed', url: 'http_status:200' },
      ],
      options,
    );
    expect(plan.targets.map((t) => [t.key, t.serviceText, t.path, t.rules])).toEqual([
      ['rule0:http://localhost:8080', 'http://localhost:8080', undefined, [0]],
      ['api', 'https://api.internal:8443', '/healthz?deep=1', []],
      ['db', 'tcp://db.internal:5432', undefined, []],
      ['root', 'http://web.internal', undefined, []],
    ]);
    expect(plan.targets[1]?.originRequest).toBe(DEFAULT_ORIGIN_REQUEST);
    expect(plan.skipped).toEqual([
      { key: 'api', reason: 'origins.targets: the name api is used twice; rename one' },
      { key: 'fixed', reason: 'origins.targets fixed: cloudflared answers 200 itself; there is no origin' },
    ]);
  });

  it('gives no targets for no rules', () => {
    expect(deriveTargets([], [], options)).toEqual({ targets: [], skipped: [] });
  });
});

describe('proberFor', () => {
  it('maps schemes to probers and unknown stream schemes to tcp', () => {
    const svc = (s: string) => parseOriginService(s, false) as ProbeService;
    expect(proberFor(svc('http://a'))).toBe(probeHttp);
    expect(proberFor(svc('wss://a'))).toBe(probeHttp);
    expect(proberFor(svc('rdp://a'))).toBe(probeTcp);
    expect(proberFor(svc('redis://a:6379'))).toBe(probeTcp);
    expect(schemeOf(svc('redis://a:6379'))).toBe('tcp');
    expect(proberFor(svc('unix+tls:/x'))).toBe(probeUnix);
    const custom = { ...DEFAULT_PROBERS, ssh: probeHttp };
    expect(proberFor(svc('ssh://a'), custom)).toBe(probeHttp);
  });

  it('accepts any status below 600 by default', () => {
    expect(statusAllowed(503)).toBe(true);
    expect(statusAllowed(600)).toBe(false);
    expect(statusAllowed(503, [{ min: 200, max: 299 }])).toBe(false);
  });
});
