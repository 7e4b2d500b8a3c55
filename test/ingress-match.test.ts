import { describe, expect, it } from 'vitest';
import { parseCloudflaredConfig } from '../src/cloudflared/config/file.js';
import { matchIngress } from '../src/cloudflared/config/ingress-match.js';
import { punycodeHostname } from '../src/cloudflared/config/punycode-hostname.js';

const CONFIG = `
ingress:
  - hostname: app.example.com
    path: ^/api/
    service: http://localhost:9000
  - hostname: app.example.com
    service: http://localhost:8000
  - hostname: "*.example.com"
    service: http://localhost:8001
  - hostname: Upper.Example.org
    service: http://localhost:8002
  - hostname: bücher.example.net
    service: http://localhost:8003
  - hostname: "*.bücher.example.net"
    service: http://localhost:8004
  - path: /static
    service: http://localhost:8005
  - hostname: spaced.example.org
    path: ^/a b$
    service: http://localhost:8006
  - service: http_status:404
`;

const parsed = parseCloudflaredConfig(CONFIG, 'config.yml');
const config = parsed.config;
if (!config) throw new Error('fixture config did not parse');

function index(url: string): number | string {
  const m = matchIngress(config ?? [], url);
  return m.ok ? m.index : m.error;
}

describe('matchIngress agrees with `cloudflared tunnel ingress rule URL`', () => {
  it.each([
    ['https://app.example.com/api/users', 0],
    ['https://app.example.com/', 1],
    ['https://app.example.com:8443/api/x', 0],
    ['https://app.example.com/v1/api/x', 1],
    ['https://a.b.example.com/', 2],
    ['https://deep.a.b.example.com/', 2],
    ['https://example.com/', 8],
    ['https://APP.example.com/', 2],
    ['https://upper.example.org/', 3],
    ['https://Upper.Example.org/', 3],
    ['https://bücher.example.net/', 4],
    ['https://xn--bcher-kva.example.net/', 4],
    ['https://shop.bücher.example.net/', 5],
    ['https://shop.xn--bcher-kva.example.net/', 8],
    ['https://other.org/x/static/y.css', 6],
    ['https://other.org/static?x=/api/', 6],
    ['https://spaced.example.org/a%20b', 7],
    ['https://other.org/', 8],
    ['http://[::1]:8080/static', 6],
  ])('%s → rule #%d', (url, want) => {
    expect(index(url)).toBe(want);
  });

  it('returns the rule with the 0-based index', () => {
    const m = matchIngress(config.rules, 'https://app.example.com/');
    expect(m).toMatchObject({ ok: true, index: 1, rule: { hostname: 'app.example.com', serviceText: 'http://localhost:8000' } });
  });

  it('a URL with a scheme but no host still matches, with an empty hostname', () => {
    expect(index('localhost:8080')).toBe(8);
  });

  it('rejects what cloudflared rejects, with its words', () => {
    expect(index('')).toBe('cloudflared tunnel rule expects a single argument, the URL to test');
    expect(index('app.example.com/x')).toBe("app.example.com/x doesn't have a hostname, consider adding a scheme");
    expect(index('http://[::1')).toBe('http://[::1 is not a valid URL');
    expect(index('http://app.example.com/%zz')).toBe('http://app.example.com/%zz is not a valid URL');
    expect(matchIngress([], 'https://x/')).toEqual({ ok: false, error: "The config file doesn't contain any ingress rules" });
  });
});

describe('punycodeHostname (idna.Lookup.ToASCII)', () => {
  it.each([
    ['bücher.example.com', 'xn--bcher-kva.example.com'],
    ['Example.COM', 'example.com'],
    ['example.com', undefined],
    ['*.bücher.example', undefined],
    ['under_score.example.com', undefined],
    ['-lead.example.com', undefined],
    ['ab--cd.example.com', undefined],
    ['', undefined],
  ])('%s → %s', (host, want) => {
    expect(punycodeHostname(host)).toBe(want);
  });
});
