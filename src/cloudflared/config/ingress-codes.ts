import type { CodeInfo, Diagnostic } from '../../base/index.js';

/** Every code the cloudflared config parser, validator and linter emit. Codes are never reused. */
export const INGRESS_CODES = [
  // Errors cloudflared itself raises (it refuses to start, or `ingress validate` fails).
  { code: 'TW_ERR_CONFIG_SYNTAX', severity: 'error', title: 'cloudflared config is not valid YAML or JSON', fix: 'Fix the syntax at the line and column shown; indent with spaces, not tabs.' },
  { code: 'TW_ERR_CONFIG_NOT_MAPPING', severity: 'error', title: 'cloudflared config is not a mapping', fix: 'Make the top level a mapping of keys such as tunnel:, credentials-file: and ingress:.' },
  { code: 'TW_ERR_CONFIG_BAD_TYPE', severity: 'error', title: 'Config value has the wrong type', fix: 'Write a value of the type named in the message; booleans are true/false without quotes.' },
  { code: 'TW_ERR_CONFIG_BAD_DURATION', severity: 'error', title: 'Duration in the wrong format', fix: 'In a config file write durations as Go duration strings such as "30s" or "1m30s"; in remote (JSON) config as whole seconds.' },
  { code: 'TW_ERR_CONFIG_FLAG_TYPE', severity: 'error', title: 'Flag key has the wrong type', fix: 'Write the flag value with the type named in the message; quote strings that YAML would read as numbers.' },
  { code: 'TW_ERR_CONFIG_FLAG_VALUE', severity: 'error', title: 'Flag key has a value cloudflared rejects', fix: 'Use one of the values the message allows.' },
  { code: 'TW_ERR_INGRESS_NO_RULES', severity: 'error', title: 'No ingress rules', fix: 'Add ingress rules ending with a catch-all rule such as `- service: http_status:404`.' },
  { code: 'TW_ERR_INGRESS_LAST_RULE_NOT_CATCH_ALL', severity: 'error', title: 'Last ingress rule is not a catch-all', fix: 'End the list with a rule that has no hostname and no path, e.g. `- service: http_status:404`.' },
  { code: 'TW_ERR_INGRESS_CATCH_ALL_NOT_LAST', severity: 'error', title: 'Catch-all ingress rule before the end', fix: 'Give the rule a hostname or path, or move it to the end of the list.' },
  { code: 'TW_ERR_INGRESS_BAD_WILDCARD', severity: 'error', title: 'Wildcard not at the start of the hostname', fix: 'Use a single `*` as the whole first label only, e.g. `*.example.com`.' },
  { code: 'TW_ERR_INGRESS_HOSTNAME_PORT', severity: 'error', title: 'Hostname contains a port', fix: 'Remove the port from hostname; cloudflared ignores the port of incoming requests.' },
  { code: 'TW_ERR_INGRESS_BAD_PATH_REGEX', severity: 'error', title: 'Path is not a valid Go regular expression', fix: 'Fix the path regex; Go (RE2) has no lookarounds or backreferences.' },
  { code: 'TW_ERR_INGRESS_SERVICE_UNPARSABLE', severity: 'error', title: 'Service is not a parsable URL', fix: 'Write the service as scheme://host[:port], e.g. http://localhost:8080.' },
  { code: 'TW_ERR_INGRESS_SERVICE_NO_SCHEME_OR_HOST', severity: 'error', title: 'Service lacks a scheme or host', fix: 'Write the service with a scheme and host, e.g. http://localhost:8080 instead of localhost:8080.' },
  { code: 'TW_ERR_INGRESS_SERVICE_HAS_PATH', severity: 'error', title: 'Service URL has a path', fix: 'Remove the path (even a trailing /) from the service URL; the request path is passed through unchanged.' },
  { code: 'TW_ERR_INGRESS_BAD_HTTP_STATUS', severity: 'error', title: 'Bad http_status service', fix: 'Write http_status:NNN with a status code from 100 to 999.' },
  { code: 'TW_ERR_INGRESS_ACCESS_TEAM_NAME', severity: 'error', title: 'Access audTag without teamName', fix: 'Set originRequest.access.teamName to your Zero Trust team name.' },
  { code: 'TW_ERR_INGRESS_SOCKS_IP_RULE', severity: 'error', title: 'Bad ipRules entry on a socks-proxy rule', fix: 'Give every ipRules entry a CIDR prefix such as 10.0.0.0/8 and ports between 1 and 65535.' },
  { code: 'TW_ERR_INGRESS_URL_WITH_INGRESS', severity: 'error', title: 'url set together with ingress rules', fix: 'Remove url (and $TUNNEL_URL); the ingress rules already say where traffic goes.' },
  // Warnings cloudflared prints itself, or about input it accepts without complaint.
  { code: 'TW_WARN_CONFIG_EMPTY', severity: 'warning', title: 'cloudflared config is empty', fix: 'Fill in the config or stop pointing --config at the file.' },
  { code: 'TW_WARN_CONFIG_EXTRA_DOCUMENTS', severity: 'warning', title: 'Config holds several YAML documents', fix: 'Merge everything into one document; cloudflared reads only the first.' },
  { code: 'TW_WARN_CONFIG_UNUSED_KEY', severity: 'warning', title: 'Key cloudflared does not know', fix: 'Remove the key or correct its spelling; cloudflared ignores it.' },
  { code: 'TW_WARN_CONFIG_KEY_IGNORED', severity: 'warning', title: 'Top-level key cloudflared never reads', fix: 'Use the key name the message suggests, or remove the key.' },
  { code: 'TW_WARN_CONFIG_HOSTNAME_IGNORED', severity: 'warning', title: 'hostname key ignored with a named tunnel', fix: 'Remove hostname and route DNS with `cloudflared tunnel route dns`.' },
  { code: 'TW_WARN_CONFIG_PROTOCOL_H2MUX', severity: 'warning', title: 'protocol h2mux is no longer supported', fix: 'Set protocol to auto, quic or http2.' },
  { code: 'TW_WARN_CONFIG_SECRET_IN_FILE', severity: 'warning', title: 'Secret written in the config file', fix: 'Pass the token via TUNNEL_TOKEN or token-file (mode 0400) instead of writing it in the config.' },
  { code: 'TW_WARN_CONFIG_CREDENTIALS_MISSING', severity: 'warning', title: 'Credentials file not found', fix: 'Point credentials-file at the <tunnel-id>.json written by `cloudflared tunnel create`.' },
  { code: 'TW_WARN_CONFIG_CREDENTIALS_INVALID', severity: 'warning', title: 'Credentials file is not a tunnel credentials JSON', fix: 'Point credentials-file at the <tunnel-id>.json written by `cloudflared tunnel create`, not at cert.pem.' },
  { code: 'TW_WARN_CONFIG_CREDENTIALS_MISMATCH', severity: 'warning', title: 'Credentials belong to another tunnel', fix: 'Use the credentials file of the tunnel named in `tunnel:`, or correct `tunnel:`.' },
  { code: 'TW_WARN_INGRESS_UNKNOWN_SCHEME', severity: 'warning', title: 'Service scheme cloudflared does not know', fix: 'Use http, https, ws, wss, tcp, ssh, rdp, smb, unix:, unix+tls: or http_status:.' },
  { code: 'TW_WARN_INGRESS_REGEX_UNSUPPORTED', severity: 'warning', title: 'Path regex could not be checked', fix: 'Check the rule with `cloudflared tunnel ingress rule URL`; tunnelwatch cannot evaluate this regex.' },
  // What cloudflared lets through but an SRE must know.
  { code: 'TW_WARN_INGRESS_NO_TLS_VERIFY', severity: 'warning', title: 'Origin certificate verification disabled', fix: 'Remove noTLSVerify and give the origin CA with caPool, or set originServerName to the name in its certificate.' },
  { code: 'TW_WARN_INGRESS_CA_POOL_MISSING', severity: 'warning', title: 'caPool file not found', fix: 'Point caPool at an existing PEM file; cloudflared refuses to start when it cannot read it.' },
  { code: 'TW_WARN_INGRESS_CA_POOL_NOT_PEM', severity: 'warning', title: 'caPool file holds no PEM certificate', fix: 'Point caPool at a PEM file with -----BEGIN CERTIFICATE----- blocks; cloudflared silently ignores anything else.' },
  { code: 'TW_WARN_INGRESS_ACCESS_NOT_ENFORCED', severity: 'warning', title: 'Top-level originRequest.access is not enforced', fix: 'Move the access block into the originRequest of each rule that must be protected.' },
  { code: 'TW_WARN_INGRESS_ACCESS_NOT_REQUIRED', severity: 'warning', title: 'Access settings without required: true', fix: 'Add `required: true` to the access block, or remove the block.' },
  { code: 'TW_WARN_INGRESS_UNREACHABLE_RULE', severity: 'warning', title: 'Ingress rule can never match', fix: 'Move the rule above the earlier rule that catches its traffic, or remove it.' },
  { code: 'TW_WARN_INGRESS_DUPLICATE_RULE', severity: 'warning', title: 'Duplicate ingress rule', fix: 'Remove the later copy; only the first rule with this hostname and path is ever used.' },
  { code: 'TW_WARN_INGRESS_PLAINTEXT_ORIGIN', severity: 'warning', title: 'Unencrypted origin on the network', fix: 'Use https:// (or wss://) for origins that are not on this host, or keep them on a trusted network.' },
  { code: 'TW_WARN_INGRESS_WILDCARD_NOT_SUBDOMAIN', severity: 'warning', title: 'Wildcard without a following dot', fix: 'Write `*.example.com`; `*example.com` only matches that literal text.' },
  { code: 'TW_WARN_INGRESS_IDN_WILDCARD', severity: 'warning', title: 'Wildcard hostname with non-ASCII labels', fix: 'Write the wildcard hostname in punycode (xn--…), as requests carry it.' },
  { code: 'TW_WARN_INGRESS_PATH_UNANCHORED', severity: 'warning', title: 'Path regex is not anchored', fix: 'Start the path with ^ (e.g. ^/api/) to match a prefix; it is a regex, not a glob.' },
  { code: 'TW_WARN_INGRESS_SOCKS_DENIES_ALL', severity: 'warning', title: 'socks-proxy rule without ipRules denies everything', fix: 'Add originRequest.ipRules to the socks-proxy rule itself.' },
  { code: 'TW_WARN_INGRESS_IP_RULE_DROPPED', severity: 'warning', title: 'ipRules entry silently dropped', fix: 'Give the entry a CIDR prefix such as 10.0.0.0/8 and ports between 1 and 65535.' },
  { code: 'TW_WARN_INGRESS_GLOBAL_BASTION', severity: 'warning', title: 'Global bastionMode turns rules into bastions', fix: 'Set bastionMode on the rules that need it, or use `service: bastion`.' },
  { code: 'TW_WARN_INGRESS_DEFAULT_503', severity: 'warning', title: 'Remote config has no ingress rules', fix: 'Add public hostnames to the tunnel in the dashboard or the configurations API.' },
] as const satisfies readonly CodeInfo[];

/** One of the codes above. */
export type IngressCode = (typeof INGRESS_CODES)[number]['code'];

/** Builds a diagnostic; severity comes from the catalogue and the fix defaults to its advice. */
export function ingressDiagnostic(code: IngressCode, path: string, message: string, fix?: string): Diagnostic {
  const info = INGRESS_CODES.find((c) => c.code === code);
  return { code, severity: info?.severity ?? 'error', path, message, fix: fix ?? info?.fix ?? '' };
}
