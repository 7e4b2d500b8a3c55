import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCloudflaredConfig } from '../src/cloudflared/config/check.js';
import { INGRESS_CODES } from '../src/cloudflared/config/ingress-codes.js';

const DIR = new URL('./fixtures/cloudflared-config/', import.meta.url);
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUJ\n-----END CERTIFICATE-----\n';
const CREDS = (id: string): string =>
  JSON.stringify({ AccountTag: '0123456789abcdef0123456789abcdef', TunnelSecret: 'c2VjcmV0', TunnelID: id, Endpoint: '' });

/** The files the fixtures refer to, as a fake file system. */
const FILES: Readonly<Record<string, string>> = {
  '/etc/cloudflared/origin-ca.pem': PEM,
  '/etc/cloudflared/not-a-cert.pem': 'this is not a certificate\n',
  '/etc/cloudflared/cert.pem': '-----BEGIN ARGO TUNNEL TOKEN-----\nabc\n-----END ARGO TUNNEL TOKEN-----\n',
  '/etc/cloudflared/6ff42ae2-765d-4adf-8112-31c55c1551ef.json': CREDS('6ff42ae2-765d-4adf-8112-31c55c1551ef'),
  '/etc/cloudflared/other-tunnel.json': CREDS('9a1b2c3d-765d-4adf-8112-31c55c1551ef'),
};

function check(name: string): ReturnType<typeof checkCloudflaredConfig> {
  return checkCloudflaredConfig(readFileSync(new URL(name, DIR), 'utf8'), name, { readFile: (p) => FILES[p] });
}

const AVAILABLE =
  "Available protocols: 'auto' - automatically chooses the best protocol over time (the default; and also the recommended one); " +
  "'quic' - based on QUIC, relying on UDP egress to Cloudflare edge; 'http2' - using Go's HTTP2 library, relying on TCP egress to Cloudflare edge";

// [fixture, code, path, exact message]: the one error each invalid fixture must produce.
const INVALID: readonly [string, string, string, string][] = [
  ['invalid-syntax.yaml', 'TW_ERR_CONFIG_SYNTAX', '', 'error parsing YAML in config file at invalid-syntax.yaml: line 5, column 3: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ['invalid-not-mapping.yaml', 'TW_ERR_CONFIG_NOT_MAPPING', '', 'line 1: cannot unmarshal !!seq into config.configFileSettings'],
  ['invalid-no-rules.yaml', 'TW_ERR_INGRESS_NO_RULES', 'ingress', "The config file doesn't contain any ingress rules"],
  ['invalid-last-not-catch-all.yaml', 'TW_ERR_INGRESS_LAST_RULE_NOT_CATCH_ALL', 'ingress[1]', 'The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)'],
  ['invalid-catch-all-not-last.yaml', 'TW_ERR_INGRESS_CATCH_ALL_NOT_LAST', 'ingress[1]', "Rule #2 is matching the hostname '*', but this will match every hostname, meaning the rules which follow it will never be triggered."],
  ['invalid-wildcard.yaml', 'TW_ERR_INGRESS_BAD_WILDCARD', 'ingress[0].hostname', 'Hostname patterns can have at most one wildcard character ("*") and it can only be used for subdomains, e.g. "*.example.com"'],
  ['invalid-hostname-port.yaml', 'TW_ERR_INGRESS_HOSTNAME_PORT', 'ingress[0].hostname', 'Hostname cannot contain a port'],
  ['invalid-path-regex.yaml', 'TW_ERR_INGRESS_BAD_PATH_REGEX', 'ingress[0].path', 'Rule #1 has an invalid regex: error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
  ['invalid-path-regex-paren.yaml', 'TW_ERR_INGRESS_BAD_PATH_REGEX', 'ingress[0].path', 'Rule #1 has an invalid regex: error parsing regexp: missing closing ): `^/(static|assets`'],
  ['invalid-service-no-scheme.yaml', 'TW_ERR_INGRESS_SERVICE_NO_SCHEME_OR_HOST', 'ingress[0].service', 'localhost:8080 is an invalid address, please make sure it has a scheme and a hostname'],
  ['invalid-service-unparsable.yaml', 'TW_ERR_INGRESS_SERVICE_UNPARSABLE', 'ingress[0].service', 'parse "127.0.0.1:8080": first path segment in URL cannot contain colon'],
  ['invalid-service-path.yaml', 'TW_ERR_INGRESS_SERVICE_HAS_PATH', 'ingress[0].service', "http://localhost:8080/ is an invalid address, ingress rules don't support proxying to a different path on the origin service. The path will be the same as the eyeball request's path"],
  ['invalid-http-status.yaml', 'TW_ERR_INGRESS_BAD_HTTP_STATUS', 'ingress[1].service', 'invalid HTTP status code: strconv.Atoi: parsing "notfound": invalid syntax'],
  ['invalid-http-status-range.yaml', 'TW_ERR_INGRESS_BAD_HTTP_STATUS', 'ingress[1].service', 'invalid HTTP status code: 1000'],
  ['invalid-access-team-name.yaml', 'TW_ERR_INGRESS_ACCESS_TEAM_NAME', 'ingress[0].originRequest.access.teamName', 'access.TeamName cannot be blank when access.audTags are present'],
  ['invalid-socks-ip-rule.yaml', 'TW_ERR_INGRESS_SOCKS_IP_RULE', 'ingress[0].originRequest.ipRules[0]', 'unable to create ip rule for socks-proxy: invalid port 70000, needs to be between 1 and 65535'],
  ['invalid-url-with-ingress.yaml', 'TW_ERR_INGRESS_URL_WITH_INGRESS', 'url', "You can't set the --url flag (or $TUNNEL_URL) when using multiple-origin ingress rules"],
  ['invalid-bool-type.yaml', 'TW_ERR_CONFIG_BAD_TYPE', 'ingress[0].originRequest.http2Origin', 'line 5: cannot unmarshal !!str `true` into bool'],
  ['invalid-int-type.yaml', 'TW_ERR_CONFIG_BAD_TYPE', 'originRequest.keepAliveConnections', 'line 2: cannot unmarshal !!str `lots` into int'],
  ['invalid-list-type.yaml', 'TW_ERR_CONFIG_BAD_TYPE', 'ingress[0].originRequest.access.audTag', 'line 8: cannot unmarshal !!str `0123456...` into []string'],
  ['invalid-ip-rules-shape.yaml', 'TW_ERR_CONFIG_BAD_TYPE', 'ingress[0].originRequest.ipRules', 'line 6: cannot unmarshal !!map into []config.IngressIPRule'],
  ['invalid-duration-int.yaml', 'TW_ERR_CONFIG_BAD_DURATION', 'originRequest.connectTimeout', 'line 2: cannot unmarshal !!int `30` into time.Duration'],
  ['invalid-duration-string.yaml', 'TW_ERR_CONFIG_BAD_DURATION', 'originRequest.keepAliveTimeout', 'line 2: cannot unmarshal !!str `90 seconds` into time.Duration'],
  ['invalid-flag-int.yaml', 'TW_ERR_CONFIG_FLAG_TYPE', 'ha-connections', 'expected int found string for ha-connections'],
  ['invalid-flag-string.yaml', 'TW_ERR_CONFIG_FLAG_TYPE', 'edge-ip-version', 'expected string found int for edge-ip-version'],
  ['invalid-flag-duration.yaml', 'TW_ERR_CONFIG_FLAG_TYPE', 'grace-period', 'expected duration found int for grace-period'],
  ['invalid-flag-bool.yaml', 'TW_ERR_CONFIG_FLAG_TYPE', 'no-autoupdate', 'expected boolean found string for no-autoupdate'],
  ['invalid-grace-period.yaml', 'TW_ERR_CONFIG_FLAG_VALUE', 'grace-period', 'grace-period must be equal or less than 3m0s'],
  ['invalid-protocol.yaml', 'TW_ERR_CONFIG_FLAG_VALUE', 'protocol', `unknown protocol udp, ${AVAILABLE}`],
  ['invalid-remote-duration.json', 'TW_ERR_CONFIG_BAD_DURATION', 'ingress[0].originRequest.connectTimeout', 'strconv.ParseInt: parsing "\\"30s\\"": invalid syntax'],
  ['invalid-remote-type.json', 'TW_ERR_CONFIG_BAD_TYPE', 'ingress[0].originRequest.noTLSVerify', 'json: cannot unmarshal string into Go struct field OriginRequestConfig.ingress.originRequest.noTLSVerify of type bool'],
];

// [fixture, code, path, exact message]: the warning each warn fixture must produce.
const WARN: readonly [string, string, string, string][] = [
  ['warn-empty.yaml', 'TW_WARN_CONFIG_EMPTY', '', 'Configuration file warn-empty.yaml was empty'],
  ['warn-extra-documents.yaml', 'TW_WARN_CONFIG_EXTRA_DOCUMENTS', '', 'warn-extra-documents.yaml holds 2 YAML documents; cloudflared reads only the first and ignores the rest'],
  ['warn-unused-key.yaml', 'TW_WARN_CONFIG_UNUSED_KEY', 'ingress[0].originRequest.connectTimout', 'line 5: field connectTimout not found in type config.OriginRequestConfig'],
  ['warn-key-ignored.yaml', 'TW_WARN_CONFIG_KEY_IGNORED', 'cred-file', 'cred-file is only a command-line flag or alias; cloudflared never reads it from the config file'],
  ['warn-key-unknown.yaml', 'TW_WARN_CONFIG_KEY_IGNORED', 'loglevl', 'loglevl is not a cloudflared option; cloudflared ignores it without a warning'],
  ['warn-hostname-ignored.yaml', 'TW_WARN_CONFIG_HOSTNAME_IGNORED', 'hostname', 'The property `hostname` in your configuration is ignored because you configured a Named Tunnel in the property `tunnel` to run. Make sure to provision the routing (e.g. via `cloudflared tunnel route dns/lb`) or else your origin will not be reachable. You should remove the `hostname` property to avoid this warning.'],
  ['warn-protocol-h2mux.yaml', 'TW_WARN_CONFIG_PROTOCOL_H2MUX', 'protocol', "h2mux is no longer a supported protocol: upgrading edge connection to http2. Please remove '--protocol h2mux' from runtime arguments to remove this warning."],
  ['warn-secret-in-file.yaml', 'TW_WARN_CONFIG_SECRET_IN_FILE', 'token', 'token is written in clear text in warn-secret-in-file.yaml; anyone who can read the file can use it'],
  ['warn-credentials-missing.yaml', 'TW_WARN_CONFIG_CREDENTIALS_MISSING', 'credentials-file', "Tunnel credentials file '/etc/cloudflared/gone.json' doesn't exist or is not a file"],
  ['warn-credentials-invalid.yaml', 'TW_WARN_CONFIG_CREDENTIALS_INVALID', 'credentials-file', 'The tunnel credentials file should be .json but you gave a .pem. The tunnel credentials file was originally created by `cloudflared tunnel create`. You may have accidentally used the filepath to cert.pem, which is generated by `cloudflared tunnel login`.'],
  ['warn-credentials-mismatch.yaml', 'TW_WARN_CONFIG_CREDENTIALS_MISMATCH', 'credentials-file', 'The credentials file at /etc/cloudflared/other-tunnel.json is for tunnel 9a1b2c3d-765d-4adf-8112-31c55c1551ef, but tunnel: names 6ff42ae2-765d-4adf-8112-31c55c1551ef'],
  ['warn-unknown-scheme.yaml', 'TW_WARN_INGRESS_UNKNOWN_SCHEME', 'ingress[0].service', 'postgres://db.internal:5432 uses the scheme "postgres", which cloudflared does not know; it accepts the rule and proxies raw TCP over WebSocket to it, which only `cloudflared access` clients can use'],
  ['warn-no-tls-verify.yaml', 'TW_WARN_INGRESS_NO_TLS_VERIFY', 'ingress[0].originRequest.noTLSVerify', 'noTLSVerify is true: cloudflared accepts any certificate from the origin of ingress[0], so whoever can intercept that hop can impersonate the origin'],
  ['warn-ca-pool-missing.yaml', 'TW_WARN_INGRESS_CA_POOL_MISSING', 'originRequest.caPool', 'caPool file /etc/cloudflared/missing-ca.pem cannot be read; cloudflared will not start (Error loading cert pool: unable to read the file /etc/cloudflared/missing-ca.pem for --origin-ca-pool)'],
  ['warn-ca-pool-not-pem.yaml', 'TW_WARN_INGRESS_CA_POOL_NOT_PEM', 'ingress[0].originRequest.caPool', 'caPool file /etc/cloudflared/not-a-cert.pem holds no PEM certificate; cloudflared only logs "could not append the provided origin CA to the cloudflared certificate pool" and verifies the origin against the system roots'],
  ['warn-access-not-enforced.yaml', 'TW_WARN_INGRESS_ACCESS_NOT_ENFORCED', 'originRequest.access', "cloudflared ignores a top-level originRequest.access: it copies it into every rule's settings but installs the Access token check only for access blocks written inside a rule; ingress[0], ingress[1] serve requests without it"],
  ['warn-access-not-required.yaml', 'TW_WARN_INGRESS_ACCESS_NOT_REQUIRED', 'ingress[0].originRequest.access', 'ingress[0] sets access.teamName/audTag but not required: true, so cloudflared does not check Access tokens for it'],
  ['warn-unreachable-rule.yaml', 'TW_WARN_INGRESS_UNREACHABLE_RULE', 'ingress[1]', 'ingress[1] (hostname api.example.com, path ^/v1/) can never match: ingress[0] (hostname *.example.com) comes first and matches every request it would'],
  ['warn-duplicate-rule.yaml', 'TW_WARN_INGRESS_DUPLICATE_RULE', 'ingress[1]', 'ingress[1] repeats ingress[0] (hostname app.example.com, path ^/api/); only ingress[0] is ever used'],
  ['warn-plaintext-origin.yaml', 'TW_WARN_INGRESS_PLAINTEXT_ORIGIN', 'ingress[0].service', 'http://10.0.3.7:8080 is reached over unencrypted http:// on the network, not on this host'],
  ['warn-wildcard-not-subdomain.yaml', 'TW_WARN_INGRESS_WILDCARD_NOT_SUBDOMAIN', 'ingress[0].hostname', 'hostname *example.com is not a wildcard: without a dot after *, cloudflared only matches the literal text "*example.com"'],
  ['warn-idn-wildcard.yaml', 'TW_WARN_INGRESS_IDN_WILDCARD', 'ingress[0].hostname', 'hostname *.bücher.example never matches real requests: cloudflared converts hostnames to punycode only when they contain no "*", and requests carry the punycode form'],
  ['warn-path-unanchored.yaml', 'TW_WARN_INGRESS_PATH_UNANCHORED', 'ingress[0].path', 'path /api is an unanchored regex: it matches every request path that contains it anywhere (e.g. /x/api/y), not only paths that start with it'],
  ['warn-socks-denies-all.yaml', 'TW_WARN_INGRESS_SOCKS_DENIES_ALL', 'ingress[0].service', 'ingress[0] is a socks-proxy without its own ipRules; cloudflared then refuses every destination (top-level ipRules do not apply)'],
  ['warn-ip-rule-dropped.yaml', 'TW_WARN_INGRESS_IP_RULE_DROPPED', 'ingress[0].originRequest.ipRules[0]', 'ipRules entry dropped without a word: unable to parse cidr: 10.0.0.0/33'],
  ['warn-global-bastion.yaml', 'TW_WARN_INGRESS_GLOBAL_BASTION', 'originRequest.bastionMode', 'the top-level bastionMode: true makes ingress[0] a bastion (jump host); the service written there is ignored'],
  ['warn-default-503.json', 'TW_WARN_INGRESS_DEFAULT_503', 'ingress', 'The configuration has no ingress rules: cloudflared answers every request with HTTP 503'],
];

const VALID = ['valid-local.yaml', 'valid-path-without-hostname.yaml', 'valid-remote.json', 'valid-config-endpoint.json', 'valid-api-configurations.json'];

describe('invalid fixtures: cloudflared refuses them, with its own message', () => {
  it.each(INVALID)('%s → %s', (file, code, path, message) => {
    const errors = check(file).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => ({ code: d.code, path: d.path, message: d.message }))).toEqual([{ code, path, message }]);
    expect(errors[0]?.fix.length).toBeGreaterThan(10);
  });
});

describe('warn fixtures: accepted by cloudflared, but worth a warning', () => {
  it.each(WARN)('%s → %s', (file, code, path, message) => {
    const { diagnostics } = check(file);
    const found = diagnostics.filter((d) => d.code === code);
    expect(found.map((d) => ({ path: d.path, message: d.message, severity: d.severity }))).toEqual([{ path, message, severity: 'warning' }]);
    if (!file.startsWith('warn-empty')) expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});

describe('valid fixtures', () => {
  it.each(VALID)('%s has no findings', (file) => {
    const { config, diagnostics } = check(file);
    expect(diagnostics).toEqual([]);
    expect(config?.rules.length).toBeGreaterThan(1);
  });
});

describe('fixtures and code catalogue agree', () => {
  const fixtures = readdirSync(DIR).filter((f) => /^(invalid|warn|valid)-/.test(f));
  const tabled = new Set([...INVALID, ...WARN].map(([f]) => f).concat(VALID));

  it('every fixture file is in a table', () => {
    expect(fixtures.filter((f) => !tabled.has(f))).toEqual([]);
  });

  it('every emitted code is catalogued, and every catalogued code has a fixture (but one)', () => {
    const known = new Set<string>(INGRESS_CODES.map((c) => c.code));
    const emitted = new Set(fixtures.flatMap((f) => check(f).diagnostics.map((d) => d.code)));
    expect([...emitted].filter((c) => !known.has(c))).toEqual([]);
    // TW_WARN_INGRESS_REGEX_UNSUPPORTED only appears when the JS translation fails (unit-tested).
    expect([...known].filter((c) => !emitted.has(c))).toEqual(['TW_WARN_INGRESS_REGEX_UNSUPPORTED']);
  });

  it('catalogue severities match the code prefixes', () => {
    for (const c of INGRESS_CODES) expect(c.code.startsWith(c.severity === 'error' ? 'TW_ERR_' : 'TW_WARN_'), c.code).toBe(true);
    expect(new Set(INGRESS_CODES.map((c) => c.code)).size).toBe(INGRESS_CODES.length);
  });
});
