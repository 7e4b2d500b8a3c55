import { describe, expect, it } from 'vitest';
import { type CloudflaredConfig, parseCloudflaredConfig } from '../src/cloudflared/config/file.js';
import { ipRuleError, validateCloudflaredConfig } from '../src/cloudflared/config/ingress-validate.js';

function config(text: string, shape?: 'local' | 'remote'): CloudflaredConfig {
  const parsed = parseCloudflaredConfig(text, 'config.yml', shape === undefined ? {} : { shape });
  if (!parsed.config) throw new Error(parsed.diagnostics.map((d) => d.message).join('; '));
  return parsed.config;
}

/** The cloudflared error messages for a list of rules given as YAML flow mappings. */
function errors(...rules: string[]): string[] {
  const text = `ingress:\n${rules.map((r) => `  - ${r}\n`).join('')}`;
  return validateCloudflaredConfig(config(text))
    .filter((d) => d.severity === 'error')
    .map((d) => d.message);
}

const CATCH_ALL = '{service: "http_status:404"}';

describe("cloudflared's verdicts on the fact sheet examples", () => {
  it('localhost:8080 is not a service address', () => {
    expect(errors('{hostname: a.example.com, service: "localhost:8080"}', CATCH_ALL)).toEqual([
      'localhost:8080 is an invalid address, please make sure it has a scheme and a hostname',
    ]);
  });

  it('a path without hostname is fine except as the last rule', () => {
    expect(errors('{path: "^/api", service: "http://localhost:1"}', CATCH_ALL)).toEqual([]);
    expect(errors('{hostname: a.example.com, service: "http://localhost:1"}', '{path: "^/api", service: "http://localhost:1"}')).toEqual([
      'The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)',
    ]);
  });

  it('"*" and an empty hostname are both catch-alls', () => {
    expect(errors('{hostname: "*", service: "http_status:404"}')).toEqual([]);
    expect(errors('{service: "http://localhost:1"}', CATCH_ALL)).toEqual([
      "Rule #1 is matching the hostname '', but this will match every hostname, meaning the rules which follow it will never be triggered.",
    ]);
  });
});

describe('hostnames', () => {
  it.each([
    ['example.com:443', 'Hostname cannot contain a port'],
    ['"[::1]:80"', 'Hostname cannot contain a port'],
    ['":80"', 'Hostname cannot contain a port'],
    ['"example.com:"', 'Hostname cannot contain a port'],
    ['"a.*.example.com"', 'Hostname patterns can have at most one wildcard character ("*") and it can only be used for subdomains, e.g. "*.example.com"'],
    ['"**.example.com"', 'Hostname patterns can have at most one wildcard character ("*") and it can only be used for subdomains, e.g. "*.example.com"'],
  ])('%s → %s', (hostname, message) => {
    expect(errors(`{hostname: ${hostname}, service: "http://localhost:1"}`, CATCH_ALL)).toEqual([message]);
  });

  it.each(['"*.example.com"', '"*example.com"', 'a:b:c', '"::1"'])('%s is accepted', (hostname) => {
    expect(errors(`{hostname: ${hostname}, service: "http://localhost:1"}`, CATCH_ALL)).toEqual([]);
  });
});

describe('services', () => {
  it.each([
    ['http_status:+200', []],
    ['http_status:099', ['invalid HTTP status code: 99']],
    ['http_status:', ['invalid HTTP status code: strconv.Atoi: parsing "": invalid syntax']],
    ['http_status:99999999999999999999', ['invalid HTTP status code: strconv.Atoi: parsing "99999999999999999999": value out of range']],
    ['HTTP://LocalHost:80', []],
    ['http://localhost:80?debug=1', []],
    ['http://local host', ['parse "http://local host": invalid character " " in host name']],
    ['http://localhost:abc', ['parse "http://localhost:abc": invalid port ":abc" after host']],
    ['http://[::1', [`parse "http://[::1": missing ']' in host`]],
    ['tcp://', ['tcp:// is an invalid address, please make sure it has a scheme and a hostname']],
    ['', [' is an invalid address, please make sure it has a scheme and a hostname']],
    ['unix:relative/ok.sock', []],
    ['hello-world', []],
    ['http://localhost:8080/app', [
      "http://localhost:8080/app is an invalid address, ingress rules don't support proxying to a different path on the origin service. The path will be the same as the eyeball request's path",
    ]],
  ])('%j', (service, want) => {
    expect(errors(`{hostname: a.example.com, service: ${JSON.stringify(service)}}`, CATCH_ALL)).toEqual(want);
  });

  it('treats every service as a bastion when bastionMode is on, skipping the URL checks', () => {
    const text = 'ingress:\n  - hostname: a.example.com\n    service: localhost:8080\n    originRequest: {bastionMode: true}\n  - service: http_status:404\n';
    expect(validateCloudflaredConfig(config(text)).filter((d) => d.severity === 'error')).toEqual([]);
    expect(config(text).rules[0]?.service).toEqual({ kind: 'bastion' });
  });
});

describe('access', () => {
  it('needs teamName only when required and audTag are set', () => {
    const rule = (access: string): string => `{hostname: a.example.com, service: "http://localhost:1", originRequest: {access: ${access}}}`;
    expect(errors(rule('{required: true, audTag: [x]}'), CATCH_ALL)).toEqual(['access.TeamName cannot be blank when access.audTags are present']);
    expect(errors(rule('{required: false, audTag: [x]}'), CATCH_ALL)).toEqual([]);
    expect(errors(rule('{required: true}'), CATCH_ALL)).toEqual([]);
  });

  it('does not validate a top-level access block (cloudflared never looks at it)', () => {
    const text = `originRequest: {access: {required: true, audTag: [x]}}\ningress:\n  - ${CATCH_ALL}\n`;
    expect(validateCloudflaredConfig(config(text))).toEqual([]);
  });
});

describe('ipRules (ipaccess.NewRuleByCIDR)', () => {
  it.each([
    [{ prefix: '10.0.0.0/8', ports: [443], allow: true }, undefined],
    [{ prefix: '2001:db8::/32', ports: [], allow: true }, undefined],
    [{ ports: [], allow: true }, 'no prefix provided'],
    [{ prefix: '10.0.0.0', ports: [], allow: true }, 'unable to parse cidr: 10.0.0.0'],
    [{ prefix: '10.0.0.0/33', ports: [], allow: true }, 'unable to parse cidr: 10.0.0.0/33'],
    [{ prefix: 'fe80::1%eth0/64', ports: [], allow: true }, 'unable to parse cidr: fe80::1%eth0/64'],
    [{ prefix: '10.0.0.0/8', ports: [70000, 0], allow: true }, 'invalid port 0, needs to be between 1 and 65535'],
  ])('%j → %s', (rule, want) => {
    expect(ipRuleError({ at: 'x', ...rule })).toBe(want);
  });
});

describe('when there are no rules', () => {
  it('is an error for a local file, unless a token or a single origin stands in', () => {
    expect(validateCloudflaredConfig(config('tunnel: x\n')).map((d) => d.code)).toEqual(['TW_ERR_INGRESS_NO_RULES']);
    expect(validateCloudflaredConfig(config('token: x\n'))).toEqual([]);
    expect(validateCloudflaredConfig(config('url: http://localhost:8080\n'))).toEqual([]);
  });

  it('is not an error for remote config (cloudflared then answers 503)', () => {
    expect(validateCloudflaredConfig(config('{"ingress":[]}', 'remote'))).toEqual([]);
  });
});

describe('path regexes tunnelwatch cannot evaluate', () => {
  it('are a warning, not a cloudflared error', () => {
    const base = config(`ingress:\n  - {hostname: a.example.com, path: "^/x", service: "http://localhost:1"}\n  - ${CATCH_ALL}\n`);
    const [first, ...rest] = base.rules;
    if (!first) throw new Error('no rule');
    const broken = { ...base, rules: [{ ...first, pathRegexp: undefined, pathError: 'cannot translate to a JS regexp: SyntaxError' }, ...rest] };
    expect(validateCloudflaredConfig(broken).map((d) => [d.code, d.severity])).toEqual([['TW_WARN_INGRESS_REGEX_UNSUPPORTED', 'warning']]);
  });
});
