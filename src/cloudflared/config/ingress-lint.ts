// Ingress settings cloudflared accepts but an SRE must know about: disabled certificate checks, CA
// files it cannot use, Access blocks it does not enforce, rules that can never match, plaintext hops.
import type { Diagnostic } from '../../base/index.js';
import type { CloudflaredConfig, IngressRule } from './file.js';
import { ingressDiagnostic } from './ingress-codes.js';
import { matchHost } from './ingress-match.js';
import { ipRuleError, isCatchAll } from './ingress-validate.js';
import type { IpRuleSettings } from './origin-request.js';

/** Reads a file for the linter; undefined when it does not exist or cannot be read. */
export type ReadFile = (path: string) => string | undefined;

function describe(rule: IngressRule): string {
  const host = rule.hostname === '' ? 'any hostname' : `hostname ${rule.hostname}`;
  return rule.path === undefined ? host : `${host}, path ${rule.path}`;
}

const DEFAULT = { noTLSVerify: false, caPool: '' } as const;

/** Every document path where an option is set to a value `pick` selects, with the rules it affects. */
function settingSites(config: CloudflaredConfig, key: 'noTLSVerify' | 'caPool', pick: (rule: IngressRule) => boolean): Map<string, IngressRule[]> {
  const sites = new Map<string, IngressRule[]>();
  const global = config.originRequestFrom[key];
  if (global !== undefined && config.originRequest[key] !== DEFAULT[key]) sites.set(global, []);
  for (const rule of config.rules) {
    const from = rule.originRequestFrom[key];
    if (from === undefined || !pick(rule)) continue;
    sites.set(from, [...(sites.get(from) ?? []), rule]);
  }
  return sites;
}

function usesHttpTransport(rule: IngressRule): boolean {
  return rule.service.kind === 'http' || rule.service.kind === 'unix' || rule.service.kind === 'hello_world';
}

function usesTls(rule: IngressRule): boolean {
  const { service } = rule;
  return (service.kind === 'http' && (service.scheme === 'https' || service.scheme === 'wss')) || (service.kind === 'unix' && service.tls);
}

function tlsLints(config: CloudflaredConfig, readFile: ReadFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [at, rules] of settingSites(config, 'noTLSVerify', (r) => r.originRequest.noTLSVerify)) {
    const tls = rules.filter(usesTls).map((r) => r.at);
    const which =
      tls.length === 0
        ? 'no rule has a TLS origin yet, but every https origin added later will skip certificate checks'
        : `cloudflared accepts any certificate from the origin of ${tls.join(', ')}, so whoever can intercept that hop can impersonate the origin`;
    out.push(ingressDiagnostic('TW_WARN_INGRESS_NO_TLS_VERIFY', at, `noTLSVerify is true: ${which}`));
  }
  for (const [at, rules] of settingSites(config, 'caPool', (r) => r.originRequest.caPool !== '' && usesHttpTransport(r))) {
    const file = rules[0]?.originRequest.caPool ?? config.originRequest.caPool;
    const text = readFile(file);
    if (text === undefined) {
      out.push(
        ingressDiagnostic(
          'TW_WARN_INGRESS_CA_POOL_MISSING',
          at,
          `caPool file ${file} cannot be read; cloudflared will not start (Error loading cert pool: unable to read the file ${file} for --origin-ca-pool)`,
        ),
      );
    } else if (!/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.test(text)) {
      out.push(
        ingressDiagnostic(
          'TW_WARN_INGRESS_CA_POOL_NOT_PEM',
          at,
          `caPool file ${file} holds no PEM certificate; cloudflared only logs "could not append the provided origin CA to the cloudflared certificate pool" and verifies the origin against the system roots`,
        ),
      );
    }
  }
  return out;
}

function accessLints(config: CloudflaredConfig): Diagnostic[] {
  // `/config` prints every rule with the merged settings, so a rule's own access cannot be told apart.
  if (config.shape === 'endpoint') return [];
  const out: Diagnostic[] = [];
  const globalAt = config.originRequestFrom.access;
  const global = config.originRequest.access;
  if (globalAt !== undefined && global && (global.required || global.teamName !== '' || global.audTag.length > 0)) {
    const open = config.rules.filter((r) => !r.hasOwnAccess).map((r) => r.at);
    out.push(
      ingressDiagnostic(
        'TW_WARN_INGRESS_ACCESS_NOT_ENFORCED',
        globalAt,
        'cloudflared ignores a top-level originRequest.access: it copies it into every rule\'s settings but installs the Access token check only for access blocks written inside a rule' +
          (open.length > 0 ? `; ${open.join(', ')} serve requests without it` : ''),
      ),
    );
  }
  for (const rule of config.rules) {
    const access = rule.hasOwnAccess ? rule.originRequest.access : undefined;
    if (access && !access.required && (access.teamName !== '' || access.audTag.length > 0)) {
      out.push(
        ingressDiagnostic(
          'TW_WARN_INGRESS_ACCESS_NOT_REQUIRED',
          `${rule.at}.originRequest.access`,
          `${rule.at} sets access.teamName/audTag but not required: true, so cloudflared does not check Access tokens for it`,
        ),
      );
    }
  }
  return out;
}

/** Host patterns of a rule: undefined stands for "any host". */
function hostForms(rule: IngressRule): (string | undefined)[] {
  if (rule.hostname === '' || rule.hostname === '*') return [undefined];
  return rule.punycodeHostname === undefined ? [rule.hostname] : [rule.hostname, rule.punycodeHostname];
}

function formCovers(earlier: string | undefined, later: string | undefined): boolean {
  if (earlier === undefined) return true;
  if (later === undefined) return false;
  if (later.startsWith('*.')) return earlier.startsWith('*.') && later.slice(1).endsWith(earlier.slice(1));
  return matchHost(earlier, later);
}

/** True when every request `later` matches is matched by `earlier` first (conservative). */
function covers(earlier: IngressRule, later: IngressRule): boolean {
  if (isCatchAll(earlier) || earlier.pathError !== undefined) return false;
  if (earlier.path !== undefined && earlier.path !== later.path) return false;
  return hostForms(later).every((l) => hostForms(earlier).some((e) => formCovers(e, l)));
}

function shadowLints(rules: readonly IngressRule[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  rules.slice(0, -1).forEach((later, j) => {
    const earlier = rules.slice(0, j).find((e) => covers(e, later));
    if (!earlier) return;
    const duplicate = earlier.hostname === later.hostname && earlier.path === later.path;
    out.push(
      duplicate
        ? ingressDiagnostic('TW_WARN_INGRESS_DUPLICATE_RULE', later.at, `${later.at} repeats ${earlier.at} (${describe(later)}); only ${earlier.at} is ever used`)
        : ingressDiagnostic(
            'TW_WARN_INGRESS_UNREACHABLE_RULE',
            later.at,
            `${later.at} (${describe(later)}) can never match: ${earlier.at} (${describe(earlier)}) comes first and matches every request it would`,
          ),
    );
  });
  return out;
}

function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127\./.test(h) || h === '::1' || h === '0.0.0.0' || h === '::';
}

function hostnameLints(rule: IngressRule): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = `${rule.at}.hostname`;
  const h = rule.hostname;
  if (h.startsWith('*') && h !== '*' && !h.startsWith('*.') && h.lastIndexOf('*') === 0) {
    out.push(ingressDiagnostic('TW_WARN_INGRESS_WILDCARD_NOT_SUBDOMAIN', at, `hostname ${h} is not a wildcard: without a dot after *, cloudflared only matches the literal text "${h}"`));
  }
  if (h.startsWith('*.') && /[^\x20-\x7e]/.test(h)) {
    out.push(
      ingressDiagnostic(
        'TW_WARN_INGRESS_IDN_WILDCARD',
        at,
        `hostname ${h} never matches real requests: cloudflared converts hostnames to punycode only when they contain no "*", and requests carry the punycode form`,
      ),
    );
  }
  if (rule.path?.startsWith('/') === true) {
    const example = /^\/[\w.~/-]*$/.test(rule.path) ? ` (e.g. /x${rule.path.replace(/\/$/, '')}/y)` : '';
    out.push(
      ingressDiagnostic(
        'TW_WARN_INGRESS_PATH_UNANCHORED',
        `${rule.at}.path`,
        `path ${rule.path} is an unanchored regex: it matches every request path that contains it anywhere${example}, not only paths that start with it`,
      ),
    );
  }
  return out;
}

function originLints(rule: IngressRule): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { service } = rule;
  if (service.kind === 'http' && (service.scheme === 'http' || service.scheme === 'ws') && !isLoopback(service.host)) {
    out.push(
      ingressDiagnostic('TW_WARN_INGRESS_PLAINTEXT_ORIGIN', `${rule.at}.service`, `${rule.serviceText} is reached over unencrypted ${service.scheme}:// on the network, not on this host`),
    );
  }
  const ownIpRules = rule.originRequestFrom.ipRules?.startsWith(`${rule.at}.`) === true;
  if (service.kind === 'socks_proxy' && !ownIpRules) {
    out.push(
      ingressDiagnostic('TW_WARN_INGRESS_SOCKS_DENIES_ALL', `${rule.at}.service`, `${rule.at} is a socks-proxy without its own ipRules; cloudflared then refuses every destination (top-level ipRules do not apply)`),
    );
  }
  if (service.kind !== 'socks_proxy' && ownIpRules) out.push(...droppedIpRules(rule.originRequest.ipRules));
  return out;
}

function globalBastionLint(config: CloudflaredConfig): Diagnostic[] {
  const at = config.originRequestFrom.bastionMode;
  if (at === undefined || !config.originRequest.bastionMode) return [];
  const turned = config.rules.filter((r) => r.service.kind === 'bastion' && r.serviceText !== 'bastion' && r.originRequestFrom.bastionMode === at);
  if (turned.length === 0) return [];
  return [
    ingressDiagnostic(
      'TW_WARN_INGRESS_GLOBAL_BASTION',
      at,
      `the top-level bastionMode: true makes ${turned.map((r) => r.at).join(', ')} a bastion (jump host); the service written there is ignored`,
    ),
  ];
}

function droppedIpRules(ipRules: readonly IpRuleSettings[]): Diagnostic[] {
  return ipRules.flatMap((r) => {
    const error = ipRuleError(r);
    return error === undefined ? [] : [ingressDiagnostic('TW_WARN_INGRESS_IP_RULE_DROPPED', r.at, `ipRules entry dropped without a word: ${error}`)];
  });
}

/** Warnings about ingress settings cloudflared accepts; `readFile` is used for caPool files only. */
export function lintIngress(config: CloudflaredConfig, readFile: ReadFile): Diagnostic[] {
  const out = [...tlsLints(config, readFile), ...accessLints(config)];
  if (config.rules.length === 0 && config.shape !== 'local') {
    out.push(ingressDiagnostic('TW_WARN_INGRESS_DEFAULT_503', config.configAt === '' ? 'ingress' : `${config.configAt}.ingress`, 'The configuration has no ingress rules: cloudflared answers every request with HTTP 503'));
  }
  if (config.originRequestFrom.ipRules !== undefined) out.push(...droppedIpRules(config.originRequest.ipRules));
  out.push(...globalBastionLint(config), ...shadowLints(config.rules));
  for (const rule of config.rules) out.push(...hostnameLints(rule), ...originLints(rule));
  return out;
}
