import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkCloudflaredConfig } from '../src/cloudflared/config/check.js';
import { parseCloudflaredConfig } from '../src/cloudflared/config/file.js';
import {
  CONFIG_FLAGS,
  IP_RULE_SCHEMA,
  ACCESS_SCHEMA,
  ORIGIN_REQUEST_SCHEMA,
  RULE_SCHEMA,
  WARP_ROUTING_SCHEMA,
} from '../src/cloudflared/config/schema.js';
import { INGRESS_CODES } from '../src/cloudflared/config/ingress-codes.js';
import { matchIngress } from '../src/cloudflared/config/ingress-match.js';
import type { Diagnostic } from '../src/base/diagnostic.js';

const CODES = new Set<string>(INGRESS_CODES.map((c) => c.code));
const RUNS = { numRuns: 400, seed: 424242 } as const;

const KEYS = [
  ...[RULE_SCHEMA, ORIGIN_REQUEST_SCHEMA, ACCESS_SCHEMA, IP_RULE_SCHEMA, WARP_ROUTING_SCHEMA].flatMap((s) => Object.keys(s.fields)),
  ...CONFIG_FLAGS.keys(),
  'ingress', 'originRequest', 'warp-routing', 'tunnel', 'config', 'version', 'result', 'success', 'Handlers', 'cred-file', 'bogus',
];

const INTERESTING = fc.constantFrom(
  '30s', '1m30s', '5m', 30, -1, 1.5, true, 'yes', null, '', '*', '*.example.com', 'a.example.com:443', 'bücher.example',
  'http://localhost:8080', 'https://10.0.0.1', 'localhost:8080', 'http://x/y', 'http_status:404', 'http_status:abc', 'unix:/s',
  'socks-proxy', 'bastion', 'hello_world', 'tcp://db:5432', 'foo://bar', '^/api', '/api', '(?=x)', '(', '10.0.0.0/8', '10.0.0.0/33',
);

const VALUE: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    INTERESTING,
    fc.jsonValue({ maxDepth: 1 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 5 }),
  ),
})).value;

const CONFIG_LIKE = fc.dictionary(fc.constantFrom(...KEYS), VALUE, { maxKeys: 8 });

function checkDiagnostics(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    expect(CODES.has(d.code), d.code).toBe(true);
    expect(d.message.length).toBeGreaterThan(0);
    expect(d.fix.length).toBeGreaterThan(0);
  }
}

function everything(text: string, url: string): void {
  for (const shape of [undefined, 'local', 'remote', 'endpoint'] as const) {
    const { config, diagnostics } = checkCloudflaredConfig(text, 'prop', shape === undefined ? { readFile: () => 'x' } : { shape });
    checkDiagnostics(diagnostics);
    if (config) {
      const m = matchIngress(config, url);
      if (m.ok) expect(m.index).toBeLessThan(config.rules.length);
    }
  }
}

describe('no input crashes parse, validate, lint or match', () => {
  it('arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string(), (text, url) => {
        everything(text, url);
      }),
      RUNS,
    );
  });

  it('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.webUrl(), (value, url) => {
        everything(JSON.stringify(value), url);
      }),
      RUNS,
    );
  });

  it('config-shaped documents with the real key names, as YAML and as JSON', () => {
    fc.assert(
      fc.property(CONFIG_LIKE, fc.webUrl({ withQueryParameters: true }), (doc, url) => {
        everything(stringify(doc), url);
        everything(JSON.stringify(doc), url);
      }),
      { ...RUNS, numRuns: 250 },
    );
  });
});

const HOST = fc.oneof(
  fc.constantFrom('', '*', 'a.example.com', 'b.example.com', '*.example.com', '*.a.example.com', 'example.com', 'bücher.example'),
  fc.domain(),
);
const PATH = fc.option(fc.constantFrom('^/api', '/static', '\\.css$', '^/$', '(?i)^/ADMIN', '[0-9]+'), { nil: undefined });
const RULE = fc.record({ hostname: HOST, path: PATH }).filter((r) => r.path !== undefined || (r.hostname !== '' && r.hostname !== '*'));

describe('matching a valid config', () => {
  it('always returns the index of an existing rule', () => {
    fc.assert(
      fc.property(
        fc.array(RULE, { maxLength: 8 }),
        fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.domain().map((d) => `https://${d}/api/x`)),
        (rules, url) => {
          const ingress = [...rules.map((r) => ({ ...r, service: 'http://localhost:8080' })), { service: 'http_status:404' }];
          const { config } = parseCloudflaredConfig(stringify({ ingress }), 'prop');
          if (!config) throw new Error('valid config did not parse');
          const m = matchIngress(config, url);
          expect(m.ok).toBe(true);
          if (m.ok) {
            expect(m.index).toBeGreaterThanOrEqual(0);
            expect(m.index).toBeLessThan(ingress.length);
            expect(m.rule).toBe(config.rules[m.index]);
          }
        },
      ),
      RUNS,
    );
  });
});
