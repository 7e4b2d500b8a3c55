import { describe, expect, it } from 'vitest';
import { parseCloudflaredConfig } from '../src/cloudflared/config/file.js';
import { lintIngress } from '../src/cloudflared/config/ingress-lint.js';

function lint(text: string, files: Readonly<Record<string, string>> = {}): { code: string; path: string }[] {
  const { config } = parseCloudflaredConfig(text, 'config.yml');
  if (!config) throw new Error('did not parse');
  return lintIngress(config, (p) => files[p]).map(({ code, path }) => ({ code, path }));
}

/** Rules as YAML flow mappings, followed by a catch-all. */
function rules(...list: string[]): string {
  return `ingress:\n${list.map((r) => `  - ${r}\n`).join('')}  - service: http_status:404\n`;
}

const svc = 'service: "https://localhost:1"';

describe('unreachable and duplicate rules: only when certain', () => {
  it.each([
    ['a wildcard with a path does not hide a host without one', [`{hostname: "*.example.com", path: "^/a", ${svc}}`, `{hostname: x.example.com, ${svc}}`]],
    ['an exact host does not hide a wildcard', [`{hostname: a.example.com, ${svc}}`, `{hostname: "*.example.com", ${svc}}`]],
    ['a wildcard does not cover its bare domain', [`{hostname: "*.example.com", ${svc}}`, `{hostname: example.com, ${svc}}`]],
    ['different paths are never compared as regexes', [`{hostname: "*.example.com", path: "^/api", ${svc}}`, `{hostname: x.example.com, path: "^/api/v1", ${svc}}`]],
    ['hostnames are case-sensitive', [`{hostname: a.example.com, ${svc}}`, `{hostname: A.example.com, ${svc}}`]],
    ['a rule with a broken regex hides nothing', [`{hostname: a.example.com, path: "(", ${svc}}`, `{hostname: a.example.com, path: "(", ${svc}}`]],
  ])('%s', (_name, list) => {
    expect(lint(rules(...list)).filter((d) => /UNREACHABLE|DUPLICATE/.test(d.code))).toEqual([]);
  });

  it.each([
    ['a path-only rule hides the same path on any host', [`{path: "^/api", ${svc}}`, `{hostname: a.example.com, path: "^/api", ${svc}}`], 'TW_WARN_INGRESS_UNREACHABLE_RULE'],
    ['a wildcard hides a deeper wildcard', [`{hostname: "*.example.com", ${svc}}`, `{hostname: "*.a.example.com", ${svc}}`], 'TW_WARN_INGRESS_UNREACHABLE_RULE'],
    ['a Unicode hostname hides its punycode twin', [`{hostname: bücher.example, ${svc}}`, `{hostname: xn--bcher-kva.example, ${svc}}`], 'TW_WARN_INGRESS_UNREACHABLE_RULE'],
    ['the same hostname twice', [`{hostname: a.example.com, ${svc}}`, `{hostname: a.example.com, ${svc}}`], 'TW_WARN_INGRESS_DUPLICATE_RULE'],
  ])('%s', (_name, list, code) => {
    expect(lint(rules(...list)).filter((d) => /UNREACHABLE|DUPLICATE/.test(d.code))).toEqual([{ code, path: 'ingress[1]' }]);
  });

  it('never flags the final catch-all', () => {
    expect(lint(rules(`{hostname: a.example.com, ${svc}}`))).toEqual([]);
  });
});

describe('plaintext origins', () => {
  it.each([
    ['http://localhost:8080', false],
    ['http://127.0.0.2:8080', false],
    ['http://[::1]:8080', false],
    ['http://api.localhost:8080', false],
    ['https://10.0.0.5:8443', false],
    ['http://web:8080', true],
    ['ws://10.0.0.5:8080', true],
  ])('%s → %s', (service, warned) => {
    const found = lint(rules(`{hostname: a.example.com, service: "${service}"}`)).some((d) => d.code === 'TW_WARN_INGRESS_PLAINTEXT_ORIGIN');
    expect(found).toBe(warned);
  });
});

describe('TLS settings', () => {
  it('reports a global noTLSVerify once, where it is set', () => {
    const text = `originRequest: {noTLSVerify: true}\n${rules(`{hostname: a.example.com, ${svc}}`, `{hostname: b.example.com, ${svc}}`)}`;
    expect(lint(text)).toEqual([{ code: 'TW_WARN_INGRESS_NO_TLS_VERIFY', path: 'originRequest.noTLSVerify' }]);
  });

  it('accepts a caPool file with a PEM certificate', () => {
    const text = `originRequest: {caPool: /ca.pem}\n${rules(`{hostname: a.example.com, ${svc}}`)}`;
    expect(lint(text, { '/ca.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' })).toEqual([]);
  });
});

describe('/config bodies', () => {
  it('do not warn about access blocks cloudflared copied into every rule', () => {
    const body = {
      version: 1,
      config: {
        ingress: [{ hostname: '', path: null, service: 'http_status:503', Handlers: null, originRequest: { access: { teamName: 't', audTag: ['x'] } } }],
        originRequest: { access: { teamName: 't', audTag: ['x'] } },
      },
    };
    const { config } = parseCloudflaredConfig(JSON.stringify(body), '/config');
    if (!config) throw new Error('did not parse');
    expect(lintIngress(config, () => undefined)).toEqual([]);
  });
});
