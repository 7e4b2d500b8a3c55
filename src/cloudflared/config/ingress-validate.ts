// cloudflared's own ingress checks (validateIngress, validateHostname, validateAccessConfiguration in
// ingress/ingress.go, ipaccess.NewRuleByCIDR in ipaccess/access.go, validateIngressCommand in
// cmd/cloudflared/tunnel/ingress_subcommands.go), with cloudflared's exact error text. cloudflared stops
// at the first error; this reports every rule's problems.
import { isIP } from 'node:net';
import type { Diagnostic } from '../../base/index.js';
import type { CloudflaredConfig, IngressRule } from './file.js';
import { issueDiagnostics } from './issues.js';
import { goSplitHostPort } from '../../go/index.js';
import { ingressDiagnostic } from './ingress-codes.js';
import type { IpRuleSettings } from './origin-request.js';
import { STREAM_DEFAULT_PORTS } from './origin-service.js';

/** ipaccess.NewRuleByCIDR's error for one ipRules entry, or undefined when cloudflared accepts it. */
export function ipRuleError(rule: IpRuleSettings): string | undefined {
  if (rule.prefix === undefined || rule.prefix === '') return 'no prefix provided';
  const [ip = '', bits = '', ...extra] = rule.prefix.split('/');
  const family = ip.includes('%') ? 0 : isIP(ip);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || extra.length > 0 || !/^[0-9]+$/.test(bits) || Number(bits) > max) {
    return `unable to parse cidr: ${rule.prefix}`;
  }
  const bad = [...rule.ports].sort((a, b) => a - b).find((p) => p < 1 || p > 65535);
  return bad === undefined ? undefined : `invalid port ${String(bad)}, needs to be between 1 and 65535`;
}

/** True for a rule cloudflared treats as catch-all: no hostname (or `*`) and no path. */
export function isCatchAll(rule: IngressRule): boolean {
  return (rule.hostname === '' || rule.hostname === '*') && rule.path === undefined;
}

function serviceDiagnostics(rule: IngressRule): Diagnostic[] {
  const at = `${rule.at}.service`;
  const { service } = rule;
  if (service.kind === 'invalid') {
    const code = {
      url: 'TW_ERR_INGRESS_SERVICE_UNPARSABLE',
      'scheme-host': 'TW_ERR_INGRESS_SERVICE_NO_SCHEME_OR_HOST',
      path: 'TW_ERR_INGRESS_SERVICE_HAS_PATH',
      status: 'TW_ERR_INGRESS_BAD_HTTP_STATUS',
    } as const;
    return [ingressDiagnostic(code[service.reason], at, service.message)];
  }
  if (service.kind === 'socks_proxy' && rule.originRequestFrom.ipRules?.startsWith(`${rule.at}.`) === true) {
    for (const ipRule of rule.originRequest.ipRules) {
      const error = ipRuleError(ipRule);
      if (error !== undefined) {
        return [ingressDiagnostic('TW_ERR_INGRESS_SOCKS_IP_RULE', ipRule.at, `unable to create ip rule for socks-proxy: ${error}`)];
      }
    }
  }
  if (service.kind === 'stream' && !(service.scheme in STREAM_DEFAULT_PORTS)) {
    return [
      ingressDiagnostic(
        'TW_WARN_INGRESS_UNKNOWN_SCHEME',
        at,
        `${rule.serviceText} uses the scheme "${service.scheme}", which cloudflared does not know; it accepts the rule ` +
          'and proxies raw TCP over WebSocket to it, which only `cloudflared access` clients can use',
      ),
    ];
  }
  return [];
}

function hostnameDiagnostics(rule: IngressRule, total: number): Diagnostic[] {
  const at = `${rule.at}.hostname`;
  if (goSplitHostPort(rule.hostname)) {
    return [ingressDiagnostic('TW_ERR_INGRESS_HOSTNAME_PORT', at, 'Hostname cannot contain a port')];
  }
  if (rule.hostname.lastIndexOf('*') > 0) {
    return [
      ingressDiagnostic(
        'TW_ERR_INGRESS_BAD_WILDCARD',
        at,
        'Hostname patterns can have at most one wildcard character ("*") and it can only be used for subdomains, e.g. "*.example.com"',
      ),
    ];
  }
  const last = rule.index === total - 1;
  if (last && !isCatchAll(rule)) {
    return [
      ingressDiagnostic(
        'TW_ERR_INGRESS_LAST_RULE_NOT_CATCH_ALL',
        rule.at,
        'The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)',
      ),
    ];
  }
  if (!last && isCatchAll(rule)) {
    return [
      ingressDiagnostic(
        'TW_ERR_INGRESS_CATCH_ALL_NOT_LAST',
        rule.at,
        `Rule #${String(rule.index + 1)} is matching the hostname '${rule.hostname}', but this will match every ` +
          'hostname, meaning the rules which follow it will never be triggered.',
      ),
    ];
  }
  return [];
}

function ruleDiagnostics(rule: IngressRule, total: number): Diagnostic[] {
  const out = serviceDiagnostics(rule);
  const access = rule.hasOwnAccess ? rule.originRequest.access : undefined;
  if (access?.required === true && access.teamName === '' && access.audTag.length > 0) {
    out.push(
      ingressDiagnostic(
        'TW_ERR_INGRESS_ACCESS_TEAM_NAME',
        `${rule.at}.originRequest.access.teamName`,
        'access.TeamName cannot be blank when access.audTags are present',
      ),
    );
  }
  out.push(...hostnameDiagnostics(rule, total));
  if (rule.pathError !== undefined) {
    out.push(
      rule.pathRegexp === undefined && rule.pathError.startsWith('error parsing regexp:')
        ? ingressDiagnostic('TW_ERR_INGRESS_BAD_PATH_REGEX', `${rule.at}.path`, `Rule #${String(rule.index + 1)} has an invalid regex: ${rule.pathError}`)
        : ingressDiagnostic('TW_WARN_INGRESS_REGEX_UNSUPPORTED', `${rule.at}.path`, `path ${JSON.stringify(rule.path)}: ${rule.pathError}`),
    );
  }
  return out;
}

/** Whether a local config can run without ingress rules: a token (remote-managed) or a single origin. */
function runsWithoutRules(config: CloudflaredConfig): boolean {
  return ['token', 'token-file', 'url', 'hello-world', 'bastion', 'unix-socket'].some((k) => {
    const v = config.flags.get(k);
    return v !== undefined && v !== false && v !== '';
  });
}

/** cloudflared's own verdict on a parsed config: its errors, and the warnings it prints itself. */
export function validateCloudflaredConfig(config: CloudflaredConfig): Diagnostic[] {
  const out = issueDiagnostics(config);
  const { rules } = config;
  if (rules.length === 0) {
    if (config.shape === 'local' && !runsWithoutRules(config)) {
      out.push(ingressDiagnostic('TW_ERR_INGRESS_NO_RULES', 'ingress', "The config file doesn't contain any ingress rules"));
    }
    return out;
  }
  for (const rule of rules) out.push(...ruleDiagnostics(rule, rules.length));
  const url = config.flags.get('url');
  if (typeof url === 'string' && url !== '') {
    out.push(
      ingressDiagnostic('TW_ERR_INGRESS_URL_WITH_INGRESS', 'url', "You can't set the --url flag (or $TUNNEL_URL) when using multiple-origin ingress rules"),
    );
  }
  return out;
}
